#!/usr/bin/env node
import v8 from 'node:v8';

// V8 optimises fetch's WebAssembly HTTP parser after dozens of responses instead of at the first, which saves a
// short run 0.2 s of CPU (see the CLI's bin/ccloud.js).
v8.setFlagsFromString('--wasm-tiering-budget=100000000');
await import('../dist/main.js');
