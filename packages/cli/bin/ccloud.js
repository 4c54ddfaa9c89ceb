#!/usr/bin/env node
// One file, made by esbuild from dist/main.js and what it imports (scripts/bundle.mjs).
import '../dist/ccloud.js';
