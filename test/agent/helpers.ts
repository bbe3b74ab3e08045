/**
 * Agents as real processes for multi-process tests: temp dirs with keys and YAML configs, the
 * `splitedge` CLI spawned with the project's Node, log watching, and cleanup that kills every
 * child even when a test fails.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { stringify } from 'yaml'
import { generateKeyFile, type Identity } from '@splitedge/wire'

/** The repo root, from test/dist/agent/. */
export const ROOT = resolve(fileURLToPath(import.meta.url), '../../../..')
export const CLI = join(ROOT, 'packages/cli/bin/splitedge.js')

export async function tempDir (prefix: string): Promise<{ dir: string, remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  return { dir, remove: async () => await rm(dir, { recursive: true, force: true }) }
}

export interface AgentFiles { name: string, identity: Identity, config: string, dataDir: string, http: string }

export interface NodeSpec { name: string, p2p: number, http: number }

/** Keys, tariff and config files for agents joined by `edges` (indices into `nodes`). */
export async function writeNetwork (dir: string, nodes: NodeSpec[], edges: Array<[number, number]>, opts: { intervalMs: number, graceMs: number, periodIntervals: number, seed: string, prices: string[], usage?: Record<string, unknown> }): Promise<AgentFiles[]> {
  const ids: Identity[] = []
  for (const n of nodes) ids.push(await generateKeyFile(join(dir, `${n.name}.key`)))
  const out: AgentFiles[] = []
  for (const [i, n] of nodes.entries()) {
    const neighbours = edges.filter(([a, b]) => a === i || b === i).map(([a, b]) => {
      const j = a === i ? b : a
      const m = nodes[j] as NodeSpec
      return { name: m.name, peerId: (ids[j] as Identity).peerId, addrs: [`/ip4/127.0.0.1/tcp/${m.p2p}`], status: 'peer' }
    })
    await writeFile(join(dir, `${n.name}-tariff.yaml`), stringify({
      currency: 'EUR',
      decimals: 6,
      unit: 'octet',
      classes: { be: { mode: 'unicast', quality: 'BE', price: opts.prices[i] ?? '0.000001' } },
      weights: { '*': { send: '1', receive: '0.5' } }
    }))
    const config = join(dir, `${n.name}.yaml`)
    await writeFile(config, stringify({
      name: n.name,
      key: `${n.name}.key`,
      dataDir: `${n.name}-data`,
      listen: [`/ip4/127.0.0.1/tcp/${n.p2p}`],
      http: { host: '127.0.0.1', port: n.http },
      tariff: `${n.name}-tariff.yaml`,
      interval: { lengthMs: opts.intervalMs, graceMs: opts.graceMs },
      settlement: { periodIntervals: opts.periodIntervals },
      clockSkewMs: 2000,
      usage: opts.usage ?? { source: 'synthetic', seed: opts.seed, meanVolume: 1_000_000, noise: 0.001 },
      neighbours,
      logLevel: 'info'
    }))
    out.push({ name: n.name, identity: ids[i] as Identity, config, dataDir: join(dir, `${n.name}-data`), http: `http://127.0.0.1:${n.http}` })
  }
  return out
}

/** A running `splitedge agent` process and its log lines (pino JSON on stdout). */
export class AgentProcess {
  readonly lines: string[] = []
  private readonly watchers: Array<{ match: (line: string) => boolean, fire: () => void }> = []
  readonly exited: Promise<number | null>

  constructor (readonly files: AgentFiles, readonly child: ChildProcess) {
    let buf = ''
    const onData = (chunk: Buffer): void => {
      buf += chunk.toString('utf8')
      let nl: number
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl)
        buf = buf.slice(nl + 1)
        this.lines.push(line)
        for (const w of [...this.watchers]) {
          if (w.match(line)) { this.watchers.splice(this.watchers.indexOf(w), 1); w.fire() }
        }
      }
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    this.exited = new Promise(resolve => child.once('exit', (code) => { resolve(code) }))
  }

  /** Call `fire` synchronously on the first log line matching (so a kill lands right after it). */
  onLine (match: (line: string) => boolean, fire: () => void): void { this.watchers.push({ match, fire }) }

  kill9 (): void { if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL') }

  tail (n = 15): string { return this.lines.slice(-n).join('\n') }
}

const children = new Set<AgentProcess>()

export function spawnAgent (files: AgentFiles): AgentProcess {
  const child = spawn(process.execPath, [CLI, 'agent', '--config', files.config], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  const p = new AgentProcess(files, child)
  children.add(p)
  void p.exited.then(() => children.delete(p))
  return p
}

/** Kill every agent process still running (an `after` hook calls this). */
export async function killAll (): Promise<void> {
  const all = [...children]
  for (const p of all) p.kill9()
  await Promise.all(all.map(async p => await p.exited))
}

/** Ask for a clean stop and wait for the exit. */
export async function stopAgent (p: AgentProcess): Promise<number | null> {
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGTERM')
  return await p.exited
}

/** GET a JSON view; a paged list is followed to its last page (X-Next-Cursor). Undefined on any failure. */
export async function getJson<T> (url: string): Promise<T | undefined> {
  try {
    let res = await fetch(url, { signal: AbortSignal.timeout(5000) })
    if (!res.ok) return undefined
    const body = await res.json() as unknown
    if (!Array.isArray(body)) return body as T
    const all: unknown[] = [...body]
    for (let cursor = res.headers.get('x-next-cursor'); cursor !== null; cursor = res.headers.get('x-next-cursor')) {
      res = await fetch(`${url}${url.includes('?') ? '&' : '?'}cursor=${encodeURIComponent(cursor)}`, { signal: AbortSignal.timeout(5000) })
      if (!res.ok) return undefined
      all.push(...await res.json() as unknown[])
    }
    return all as T
  } catch {
    return undefined
  }
}

export async function waitFor (what: string, fn: () => Promise<boolean>, timeoutMs: number, diagnostics: () => string = () => ''): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await fn()) return
    await new Promise(resolve => setTimeout(resolve, 150))
  }
  throw new Error(`timed out waiting for ${what}\n${diagnostics()}`)
}

/** A TCP port on loopback that was free a moment ago. */
export async function freePort (): Promise<number> {
  const { createServer } = await import('node:net')
  const s = createServer()
  await new Promise<void>(resolve => s.listen(0, '127.0.0.1', resolve))
  const port = (s.address() as { port: number }).port
  await new Promise<void>(resolve => s.close(() => resolve()))
  return port
}

export interface RunResult { code: number | null, stdout: string, stderr: string }

/** Run the CLI to completion (bounded). */
export async function runCli (args: string[], cwd = ROOT, timeoutMs = 20_000): Promise<RunResult> {
  return await new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString() })
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString() })
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`splitedge ${args.join(' ')} did not finish`)) }, timeoutMs)
    child.once('exit', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }) })
  })
}
