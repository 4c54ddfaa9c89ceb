#!/usr/bin/env node
// One file, made by esbuild from dist/main.js and its dependencies (npm run bundle): it starts in half the time of
// the module graph it replaces, most of which is TypeBox.
import '../dist/ccloud.js';
