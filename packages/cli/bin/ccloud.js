#!/usr/bin/env node
// fetch parses responses with undici's llhttp, in WebAssembly. With V8's default tiering budget, the first response
// already has V8 optimise the parser, which costs a short command a third of its CPU (one request: 0.50 s instead of
// 0.33 s, and 86 MiB instead of 58, by farm-bench). A budget 50 times Node 20's lets a command of a few dozen
// requests end first; a longer one still gets the optimised parser.
import v8 from 'node:v8';

v8.setFlagsFromString('--wasm-tiering-budget=100000000');
// One file, made by esbuild from dist/main.js and what it imports (scripts/bundle.mjs), run with V8's code cache.
await import('../dist/ccloud.js');
