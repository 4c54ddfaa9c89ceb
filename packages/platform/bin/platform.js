#!/usr/bin/env -S node --max-semi-space-size=2 --single-threaded-gc --heap-growing-percent=20 --wasm-tiering-budget=100000000
// The platform's command. The flags keep the footprint small and flat while large files stream through: a small
// young generation is collected often instead of growing to 48 MB; one GC thread keeps no per-thread buffers; and
// the old generation is collected when it has grown by a fifth rather than by up to four times, as JSON.parse leaves
// short strings there that only a full collection frees (measured by `npm run bench:files`: peak RSS on a 1 GB
// upload falls from ~270 MB to under 150 MB). The webhooks' HTTP client (undici) parses responses in WebAssembly, which
// V8 optimises after dozens of deliveries rather than at the first, saving 0.2 s of CPU a process that delivers a few.
// dist/bundle/main.js runs dist/main.js and its imports, bundled in one file (scripts/bundle.mjs), which starts in half
// the time, with V8's code cache (scripts/bundle-entry.js).
import '../dist/bundle/main.js';
