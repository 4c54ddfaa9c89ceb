#!/usr/bin/env node
// The reference connector's command: configured by CONNECTOR_* variables (see the README).
import '../dist/main.js';
