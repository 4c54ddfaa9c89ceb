#!/usr/bin/env -S node --max-semi-space-size=2 --single-threaded-gc
// The platform's command. The flags keep the footprint small and flat while large files stream through: a small
// young generation is collected often instead of growing to 48 MB, and one GC thread keeps no per-thread buffers
// (measured by `npm run bench:files`: peak RSS on a 1 GB upload falls from ~270 MB to under 150 MB).
import '../dist/main.js';
