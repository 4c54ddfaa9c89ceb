/**
 * A webhook receiver in its own process, as a real one would be: answers 204 and notes when each webhook-id
 * arrived (epoch ms, sub-ms precision). Speaks to its parent over IPC: `{ listen }` → `{ port }`;
 * `{ watch: true }` → one `{ id, at }` per arrival; `{ collect: true }` → `{ arrivals: [[id, at], …] }`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

const arrivals: Array<[string, number]> = [];
let watch = false;
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    const id = String(req.headers['webhook-id'] ?? '');
    const at = performance.timeOrigin + performance.now();
    arrivals.push([id, at]);
    if (watch) process.send!({ id, at });
    res.writeHead(204).end();
  });
});

process.on('message', (m: { listen?: boolean; watch?: boolean; collect?: boolean }) => {
  // Every loopback address (127.0.0.0/8), so that applications can each have an endpoint (a host) of their own.
  if (m.listen) server.listen(0, '0.0.0.0', () => process.send!({ port: (server.address() as AddressInfo).port }));
  if (m.watch !== undefined) watch = m.watch;
  if (m.collect) process.send!({ arrivals: arrivals.splice(0) });
});
process.on('disconnect', () => process.exit(0));
