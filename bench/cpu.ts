/**
 * Who uses the CPU while a benchmark runs: processes found in /proc by what they are (PostgreSQL's postmaster and
 * its backends, radosgw and its mon and OSD, the platform's processes), and the machine's busy share.
 */
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { cpuSeconds } from './platform.js';

const pids = () => fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d));
const read = (file: string) => {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return ''; // gone meanwhile
  }
};
const cpuOf = (pid: number | string) => {
  try {
    return cpuSeconds(Number(pid));
  } catch {
    return 0;
  }
};
/**
 * PostgreSQL's CPU seconds so far: its postmaster's (found from the data directory of the server at `databaseUrl`),
 * with what its exited children used (a backend whose connection closes meanwhile), and its live children's.
 */
export async function postgresCpu(databaseUrl: string): Promise<() => number> {
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  const dir = (await c.query<{ data_directory: string }>('show data_directory')).rows[0]!.data_directory;
  await c.end();
  const postmaster = read(path.join(dir, 'postmaster.pid')).split('\n')[0]!;
  const children = () => pids().filter((p) => read(`/proc/${p}/stat`).split(') ')[1]?.split(' ')[1] === postmaster);
  return () => {
    const f = read(`/proc/${postmaster}/stat`).split(') ')[1]!.split(' ');
    const own = (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / 100; // utime, stime, cutime, cstime
    return own + children().reduce((s, p) => s + cpuOf(p), 0);
  };
}
/** radosgw's processes: the one listening on `endpoint`'s port, and the mon and OSD of its ceph.conf. */
export function cephPids(endpoint: string): string[] {
  const port = Number(new URL(endpoint).port).toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set(
    (read('/proc/net/tcp') + read('/proc/net/tcp6'))
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .filter((f) => f[1]?.endsWith(`:${port}`) && f[3] === '0A')
      .map((f) => `socket:[${f[9]}]`),
  );
  const listener = pids().find((p) => {
    try {
      return fs.readdirSync(`/proc/${p}/fd`).some((fd) => inodes.has(readlink(p, fd)));
    } catch {
      return false;
    }
  });
  if (!listener) return [];
  const args = read(`/proc/${listener}/cmdline`).split('\0');
  const conf = args[args.indexOf('-c') + 1];
  if (!conf) return [listener];
  return pids().filter((p) => read(`/proc/${p}/cmdline`).split('\0').includes(conf));
}
function readlink(pid: string, fd: string) {
  try {
    return fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
  } catch {
    return '';
  }
}
/** The machine's busy and total CPU seconds so far (all cores). */
function machine() {
  const f = read('/proc/stat').split('\n')[0]!.split(/\s+/).slice(1, 9).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: (total - f[3]! - f[4]!) / 100, total: total / 100 };
}

/** Each party's CPU seconds so far. */
export type Parties = Record<string, () => number>;
export const ofPids = (list: () => string[]) => () => list().reduce((s, p) => s + cpuOf(p), 0);
/** Cores each party used while `work` ran, the machine's busy share, and the other users (neighbours, curl…). */
export async function watched<T>(
  parties: Parties,
  work: () => Promise<T>,
): Promise<{ result: T; cores: string; seconds: Record<string, number> }> {
  const sample = () => ({
    at: performance.now(),
    self: process.cpuUsage(),
    machine: machine(),
    parties: Object.fromEntries(Object.entries(parties).map(([name, of]) => [name, of()])),
  });
  const a = sample();
  const result = await work();
  const b = sample();
  const wall = (b.at - a.at) / 1000;
  const self = (b.self.user + b.self.system - a.self.user - a.self.system) / 1e6;
  const used = Object.fromEntries(Object.keys(parties).map((k) => [k, (b.parties[k]! - a.parties[k]!) / wall]));
  used.bench = self / wall;
  const busy = (b.machine.busy - a.machine.busy) / wall;
  const cores = (b.machine.total - a.machine.total) / wall;
  const ours = Object.values(used).reduce((s, v) => s + v, 0);
  const cells = Object.entries(used).map(([k, v]) => `${k} ${v.toFixed(2)}`);
  return {
    result,
    /** CPU seconds each party used meanwhile. */
    seconds: Object.fromEntries(Object.entries(used).map(([k, v]) => [k, v * wall])),
    cores: `${cells.join(', ')}, other ${Math.max(0, busy - ours).toFixed(2)}; busy ${busy.toFixed(2)} of ${cores.toFixed(0)}`,
  };
}
