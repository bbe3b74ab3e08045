#!/usr/bin/env node
// Thin launcher so the bin exists before the TypeScript build has run.
const major = Number(process.versions.node.split('.')[0])
if (major < 22) {
  process.stderr.write(`splitedge: needs Node 24 (this is ${process.version}); run it through npm or npx in the project (npx splitedge …, npm start), which use the Node the project pins\n`)
  process.exit(1)
}
await import('../dist/src/bin.js')
