/**
 * The agent under load: ONE `splitedge agent --config FILE` process, as an operator runs it, with
 * its LevelDB store on disk in a temp dir, listening on a free TCP port of 127.0.0.1 only. Its CPU
 * time and RSS are read from /proc; its signature counts from its /metrics.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { stringify } from 'yaml'
import { saveKeyFile, type Identity } from '@splitedge/wire'
import type { BorderTerms } from './neighbour.js'

/** The repo root, from packages/sim/dist/bench/border-load/. */
const ROOT = resolve(fileURLToPath(import.meta.url), '../../../../../..')
const CLI = join(ROOT, 'packages/cli/bin/splitedge.js')

/** A TCP port on loopback that was free a moment ago. */
export async function freePort (): Promise<number> {
  const s = createServer()
  await new Promise<void>(resolve => s.listen(0, '127.0.0.1', resolve))
  const port = (s.address() as { port: number }).port
  await new Promise<void>(resolve => s.close(() => { resolve() }))
  return port
}

export interface AgentFiles { config: string, p2p: number, http: number }

/** Key, tariff and config of the agent in `dir`, with one neighbour entry per peer. */
export async function writeAgentFiles (dir: string, identity: Identity, terms: BorderTerms, neighbours: Array<{ peerId: string, addr: string }>, periodIntervals: number): Promise<AgentFiles> {
  await saveKeyFile(join(dir, 'agent.key'), identity)
  await writeFile(join(dir, 'agent-tariff.yaml'), stringify(BENCH_TARIFF))
  const [p2p, http] = [await freePort(), await freePort()]
  const config = join(dir, 'agent.yaml')
  await writeFile(config, stringify({
    name: 'hub',
    key: 'agent.key',
    dataDir: 'agent-data',
    listen: [`/ip4/127.0.0.1/tcp/${p2p}`],
    http: { host: '127.0.0.1', port: http },
    tariff: 'agent-tariff.yaml',
    interval: { lengthMs: terms.intervalMs, graceMs: terms.graceMs },
    settlement: { periodIntervals },
    clockSkewMs: terms.clockSkewMs,
    usage: { source: 'synthetic', seed: terms.seed, classes: terms.classes, meanVolume: terms.meanVolume, noise: terms.noise },
    neighbours: neighbours.map((n, i) => ({ name: `n${i}`, peerId: n.peerId, addrs: [n.addr], status: 'peer', tolerance: terms.tolerance })),
    logLevel: 'warn'
  }))
  return { config, p2p, http }
}

/** One class priced the same way by every party of the bench. */
export const BENCH_TARIFF = {
  currency: 'EUR',
  decimals: 6,
  unit: 'octet',
  classes: { be: { mode: 'unicast', quality: 'BE', price: '0.000001' } },
  weights: { '*': { send: '1', receive: '1' } }
}

export interface ProcSample { cpuMs: number, rssKb: number }

export class AgentProcess {
  readonly lines: string[] = []
  readonly exited: Promise<number | null>
  private readonly child: ChildProcess

  /** `nodeArgs`: flags for the agent's Node (e.g. --cpu-prof, to find what limits it). */
  constructor (files: AgentFiles, cwd: string, private readonly nodeArgs: string[] = []) {
    this.child = spawn(process.execPath, [...nodeArgs, CLI, 'agent', '--config', files.config], { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
    const keep = (chunk: Buffer): void => {
      for (const line of chunk.toString('utf8').split('\n')) if (line !== '') this.lines.push(line)
      if (this.lines.length > 2000) this.lines.splice(0, this.lines.length - 1000)
    }
    this.child.stdout?.on('data', keep)
    this.child.stderr?.on('data', keep)
    this.exited = new Promise(resolve => this.child.once('exit', (code) => { resolve(code) }))
    // The agent never outlives the bench, however the bench ends.
    const kill = (): void => { if (this.running) this.child.kill('SIGKILL') }
    process.once('exit', kill)
    void this.exited.then(() => process.off('exit', kill))
  }

  get pid (): number {
    if (this.child.pid === undefined) throw new Error('agent process did not start')
    return this.child.pid
  }

  get running (): boolean { return this.child.exitCode === null && this.child.signalCode === null }

  /** CPU time (user + system) and resident memory of the process, from /proc. */
  sample (): ProcSample {
    const stat = readFileSync(`/proc/${this.pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    // Fields 14 and 15 of proc(5) (utime, stime), counted from after the command name.
    const ticks = Number(fields[11]) + Number(fields[12])
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8')
    const rss = /VmRSS:\s+(\d+) kB/.exec(status)
    return { cpuMs: ticks * 10, rssKb: rss === null ? NaN : Number(rss[1]) }
  }

  async stop (): Promise<void> {
    if (this.running) this.child.kill('SIGTERM')
    // A profiled agent (--cpu-prof) writes its profile only if it exits by itself: with a thousand
    // connections to close on a loaded machine that can take longer than 10 s.
    const grace = this.nodeArgs.some(a => a.startsWith('--cpu-prof')) ? 120_000 : 10_000
    const timer = setTimeout(() => { if (this.running) this.child.kill('SIGKILL') }, grace)
    await this.exited
    clearTimeout(timer)
  }

  tail (n = 20): string { return this.lines.slice(-n).join('\n') }
}

/** Ed25519 signatures the agent process made and verified so far (its /metrics). */
export async function agentSignatures (httpPort: number): Promise<{ sign: number, verify: number }> {
  const res = await fetch(`http://127.0.0.1:${httpPort}/metrics`, { signal: AbortSignal.timeout(10_000) })
  const text = await res.text()
  const read = (op: string): number => {
    const m = new RegExp(`^splitedge_signatures\\{op="${op}"\\} (\\d+)`, 'm').exec(text)
    if (m === null) throw new Error(`agent /metrics has no splitedge_signatures{op="${op}"}`)
    return Number(m[1])
  }
  return { sign: read('sign'), verify: read('verify') }
}
