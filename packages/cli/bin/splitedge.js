#!/usr/bin/env node
// Thin launcher so the bin exists before the TypeScript build has run.
import '../dist/src/bin.js'
