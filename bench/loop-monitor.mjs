// Preloaded into a benchmark's platform process (--import): its event-loop delay (monitorEventLoopDelay), written
// to /tmp/cc-loop-<pid>.json on SIGUSR2, then reset, so that a benchmark reads the delay of each of its phases.
import fs from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const histogram = monitorEventLoopDelay({ resolution: 10 });
histogram.enable();
process.on('SIGUSR2', () => {
  const ms = (ns) => Math.round(ns / 1e4) / 100;
  const stats = { p50: ms(histogram.percentile(50)), p99: ms(histogram.percentile(99)), max: ms(histogram.max) };
  fs.writeFileSync(`/tmp/cc-loop-${process.pid}.json`, JSON.stringify(stats));
  histogram.reset();
});
