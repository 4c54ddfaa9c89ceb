import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { changesBetween } from '../../src/features/files/changes.js';
import { SolutionRegistry } from '../../src/features/solutions/registry.js';
import { filesystemBlobs } from '../../src/infra/blobs/index.js';
import { ingestJsonArray } from '../../src/infra/ingest/index.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-changes-test-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const blobs = filesystemBlobs(dir);
const validate = new SolutionRegistry('http://localhost').validator('ecommerce', 'products')!;
const product = (id: string, price: number) => ({
  id,
  name: `Product ${id}`,
  netPrice: price,
  tax: 20,
  discountByUnit: true,
  timestamp: '2026-11-28T10:00:00.000Z',
});

async function store(key: string, text: string) {
  // Fed in small pieces, so that records and characters fall across chunks.
  const pieces = Array.from({ length: Math.ceil(text.length / 7001) }, (_, i) =>
    Buffer.from(text.slice(i * 7001, (i + 1) * 7001)),
  );
  return ingestJsonArray({
    body: Readable.from(pieces),
    validate,
    blobs,
    key,
    indexed: true,
    maxRecordBytes: 1024 * 1024,
  });
}

describe('changes between two versions', () => {
  it('matches records by id across many buckets: added, updated and removed, each once, records as sent', async () => {
    const n = 12_345; // several buckets
    const id = (i: number) => (i % 7 === 0 ? `é-${i}-"q"` : `p${i}`);
    const older = Array.from({ length: n }, (_, i) => product(id(i), i));
    const newer = older
      .filter((_, i) => i % 97 !== 5) // removed
      .map((p, i) => (i % 89 === 3 ? { ...p, netPrice: p.netPrice + 0.5 } : p)) // updated
      .concat(Array.from({ length: 150 }, (_, i) => product(`new-${i}`, i))); // added
    // The newer file is pretty-printed and in another order: records are compared by content, not by text.
    const a = await store('a.json', JSON.stringify(older));
    const b = await store('b.json', JSON.stringify([...newer].reverse(), null, 2));

    let text = '';
    for await (const part of changesBetween(
      blobs,
      { key: 'a.json', records: a.records },
      { key: 'b.json', records: b.records },
      dir,
    ))
      text += part;
    const lines = text
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { op: string; id: string; record?: unknown });

    const before = new Map(older.map((p) => [p.id, p]));
    const expected = new Map<string, { op: string; id: string; record?: unknown }>();
    for (const p of newer) {
      const was = before.get(p.id);
      before.delete(p.id);
      if (!was) expected.set(p.id, { op: 'added', id: p.id, record: p });
      else if (JSON.stringify(was) !== JSON.stringify(p)) expected.set(p.id, { op: 'updated', id: p.id, record: p });
    }
    for (const idLeft of before.keys()) expected.set(idLeft, { op: 'removed', id: idLeft });
    expect(expected.size).toBeGreaterThan(400);
    expect(lines).toHaveLength(expected.size);
    expect(new Map(lines.map((l) => [l.id, l]))).toEqual(expected);
    // Removed records come first.
    const firstOther = lines.findIndex((l) => l.op !== 'removed');
    expect(lines.slice(firstOther).every((l) => l.op !== 'removed')).toBe(true);
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('cc-changes-'))).toEqual([]); // its buckets are gone
  });

  it('leaves no file open when only removals are found, or when the reader stops early', async () => {
    const filesOpenInDir = () =>
      fs
        .readdirSync('/proc/self/fd')
        .map((fd) => {
          try {
            return fs.readlinkSync(`/proc/self/fd/${fd}`);
          } catch {
            return ''; // closed meanwhile (readdir's own)
          }
        })
        .filter((target) => target.startsWith(dir + path.sep));
    const older = Array.from({ length: 300 }, (_, i) => product(`p${i}`, i));
    const a = await store('c.json', JSON.stringify(older));
    const b = await store('d.json', JSON.stringify(older.slice(0, 200))); // removals only: nothing read from d.json
    const versions = [
      { key: 'c.json', records: a.records },
      { key: 'd.json', records: b.records },
    ] as const;
    const removed: string[] = [];
    for await (const part of changesBetween(blobs, versions[0], versions[1], dir)) removed.push(part);
    expect(removed.join('').trimEnd().split('\n')).toHaveLength(100);
    expect(filesOpenInDir()).toEqual([]);
    // The other way round everything is added; a reader that stops at the first part leaves nothing open either.
    for await (const part of changesBetween(blobs, versions[1], versions[0], dir)) {
      expect(part).toContain('"op":"added"');
      break;
    }
    expect(filesOpenInDir()).toEqual([]);
  });
});
