#!/usr/bin/env node
// Thin launcher so the bin exists before the TypeScript build has run. It runs the command in
// this very process (no child process), so a signal sent to it reaches the command directly.
const major = Number(process.versions.node.split('.')[0])
if (major < 22) {
  process.stderr.write(`splitedge: needs Node 24 (this is ${process.version}); run it through npm or npx in the project (npx splitedge …, npm start), which use the Node the project pins\n`)
  process.exit(1)
}

// `npx splitedge …` and npm scripts start us through `sh -c`. On SIGTERM (or SIGINT from a
// supervisor) npm signals that shell, which exits without passing the signal on and leaves us
// running, re-parented, with the agent's ports and database. So when npm launched us, the loss
// of our parent is taken as SIGTERM: the command shuts down as it would on the signal itself.
// Started directly (systemd, docker, a shell with nohup), the parent is left alone.
const PARENT_POLL_MS = 500
if (process.env.npm_command !== undefined || process.env.npm_lifecycle_event !== undefined) {
  const parent = process.ppid
  const watch = setInterval(() => {
    if (process.ppid === parent) return
    clearInterval(watch)
    process.kill(process.pid, 'SIGTERM')
  }, PARENT_POLL_MS)
  watch.unref()
}

// libp2p makes a debug logger for every stream, and each one asks whether stderr is a terminal (a
// system call) unless DEBUG_COLORS says: at a thousand borders that was 6 % of an agent's CPU.
process.env.DEBUG_COLORS ??= process.stderr.isTTY ? 'yes' : 'no'

await import('../dist/src/bin.js')
