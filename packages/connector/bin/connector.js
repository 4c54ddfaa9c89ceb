#!/usr/bin/env node
// The reference connector's command: configured by CONNECTOR_* variables (see the README).
// dist/main.js and its imports in one file (scripts/bundle.mjs, part of npm run build), which starts in half the time.
import '../dist/bundle/main.js';
