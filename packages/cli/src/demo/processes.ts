/** The demo's node processes: each agent and the clearer is `splitedge agent|clearer` of its own. */
import { spawn, type ChildProcess } from 'node:child_process'
import { open } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { call } from '../api-client.js'
import type { DemoFiles } from './setup.js'

const BIN = fileURLToPath(new URL('../../../bin/splitedge.js', import.meta.url))

export interface Running { name: string, peerId: string, url: string, child: ChildProcess, log: string }

/** Start `splitedge <command> --config DIR/NAME.yaml`, its output in DIR/NAME.log. */
export async function spawnNode (dir: string, files: DemoFiles, name: string, command: 'agent' | 'clearer'): Promise<Running> {
  const log = join(dir, `${name}.log`)
  const fh = await open(log, 'w')
  const child = spawn(process.execPath, [BIN, command, '--config', join(dir, `${name}.yaml`)], { stdio: ['ignore', fh.fd, fh.fd] })
  await fh.close()
  return { name, peerId: files.peerIds.get(name) ?? '', url: `http://127.0.0.1:${files.ports.get(name)?.http ?? 0}`, child, log }
}

/** Throws, naming the log to read, when a node has exited. */
export function assertRunning (nodes: Running[]): void {
  for (const r of nodes) if (r.child.exitCode !== null) throw new Error(`agent ${r.name} exited with code ${r.child.exitCode}; see ${r.log}`)
}

/** Wait for each node's /health in turn. */
export async function waitHealthy (nodes: Running[], deadline: number): Promise<void> {
  for (const r of nodes) {
    for (;;) {
      assertRunning([r])
      if (Date.now() > deadline) throw new Error(`agent ${r.name} did not become healthy; see ${r.log}`)
      try { await call(r.url, '/health'); break } catch { await sleep(200) }
    }
  }
}

/** SIGTERM every node still running, and SIGKILL any that has not exited 5 s later. */
export async function stopAll (nodes: Running[]): Promise<void> {
  await Promise.all(nodes.map(async r => {
    if (r.child.exitCode !== null || r.child.signalCode !== null) return
    const exited = new Promise<void>(resolve => r.child.once('exit', () => { resolve() }))
    r.child.kill('SIGTERM')
    await Promise.race([exited, sleep(5000).then(() => { r.child.kill('SIGKILL') })])
  }))
}
