// A writer that is killed mid-blob (by the test that forks it): what a crash leaves behind for the sweep.
import { filesystemBlobs } from '../../src/infra/blobs/index.js';
import { s3Blobs } from '../../src/infra/blobs/s3.js';

const { dataDir, s3, key, bytes } = JSON.parse(process.env.CRASH_WRITER!) as {
  dataDir: string;
  s3?: Parameters<typeof s3Blobs>[0];
  key: string;
  bytes: number;
};
const blobs = s3 ? await s3Blobs(s3) : filesystemBlobs(dataDir);
const writer = await blobs.create(key);
const chunk = Buffer.alloc(256 * 1024, 7);
for (let n = 0; n < bytes; n += chunk.length) await writer.write(chunk);
process.send!('written');
setInterval(() => {}, 60_000); // until killed
