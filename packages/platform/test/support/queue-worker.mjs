// A queue worker in a process of its own, for the test that kills one (SIGKILL) holding a job. It runs the built
// platform (dist/): it claims `test-hang` jobs, prints "claimed <seq>" for each, and never finishes them.
import { Type } from 'typebox';
import { createLogger } from '../../dist/infra/log.js';
import { JobQueue, defineJob } from '../../dist/infra/queue/index.js';
import { openStore } from '../../dist/infra/store/index.js';

const store = await openStore({ databaseUrl: process.env.DATABASE_URL || undefined, dataDir: process.env.DATA_DIR });
const queue = new JobQueue(store, createLogger('fatal'), {
  concurrency: 4,
  pollMs: 50,
  leaseMs: Number(process.env.LEASE_MS),
});
queue.handle(defineJob('test-hang', Type.Object({ n: Type.Integer() })), (_payload, job) => {
  process.stdout.write(`claimed ${job.seq}\n`);
  return new Promise(() => {});
});
await queue.start();
process.stdout.write('started\n');
