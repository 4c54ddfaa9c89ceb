#!/usr/bin/env node
// The reference connector's command: configured by CONNECTOR_* variables (see the README).
import v8 from 'node:v8';

// V8 optimises fetch's WebAssembly HTTP parser after dozens of responses instead of at the first, which costs 0.2 s
// of CPU that a short run would pay for nothing (see the CLI's bin/ccloud.js).
v8.setFlagsFromString('--wasm-tiering-budget=100000000');
// dist/main.js and its imports in one file (scripts/bundle.mjs, part of npm run build), which starts in half the time,
// run with V8's code cache (scripts/bundle-entry.js).
await import('../dist/bundle/main.js');
