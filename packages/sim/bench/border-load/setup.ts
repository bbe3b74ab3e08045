/** Pieces of a border-load run: keys, tariffs, neighbours, the idle agent, snapshots. */
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateIdentity, sign, encodeDocument, type Identity } from '@splitedge/wire'
import { loadTariffFile } from '@splitedge/agent'
import { stringify } from 'yaml'
import { LoadNeighbour, type BorderTerms } from './neighbour.js'
import { AgentProcess, BENCH_TARIFF, agentSignatures, writeAgentFiles, type AgentFiles, type ProcSample } from './agent-process.js'
import type { Completions } from './completions.js'

/**
 * Default interval: 2 s plus 18 ms per border (20 s at D = 1,000). Long enough that an interval
 * closes on every border before the next one at about 60 border-intervals/s, and that a start of a
 * few minutes leaves only a few intervals before the measured ones to be declined.
 */
export const defaultIntervalMs = (D: number): number => Math.max(2000, Math.ceil((2000 + 18 * D) / 1000) * 1000)

export function termsFor (intervalMs: number): BorderTerms {
  return { intervalMs, graceMs: Math.max(100, Math.round(intervalMs / 20)), clockSkewMs: 2000, seed: 'border-load', classes: ['be'], meanVolume: 1_000_000, noise: 0.001, tolerance: '0.01' }
}

/** D + 1 fresh keys; the agent takes the median PeerId, so it starts the exchange on about half its borders. */
export async function keys (D: number): Promise<{ agent: Identity, neighbours: Identity[] }> {
  const all: Identity[] = []
  for (let i = 0; i <= D; i++) all.push(await generateIdentity())
  all.sort((a, b) => (a.peerId < b.peerId ? -1 : 1))
  const mid = Math.floor(D / 2)
  return { agent: all[mid] as Identity, neighbours: [...all.slice(0, mid), ...all.slice(mid + 1)] }
}

/** A neighbour's one tariff (seq 1), in force well before the agent starts. */
async function neighbourTariff (id: Identity, agent: string): Promise<Uint8Array> {
  const t = await loadTariffFile({ text: stringify(BENCH_TARIFF), name: 'bench tariff' }, new Map([['hub', agent]]), { [agent]: 'peer' })
  const published = Date.now() - 60_000
  const signed = sign(id, 'tariff', { issuer: id.peerId, seq: 1, previous: null, published, effective: published, noticeMs: 0, pricing: t.pricing })
  if (!signed.ok) throw new Error(`neighbour tariff: ${signed.error.message}`)
  return encodeDocument(signed.value)
}

export async function startNeighbours (ids: Identity[], agent: string, terms: BorderTerms, done: Completions, log: (l: string) => void): Promise<Array<{ n: LoadNeighbour, addr: string }>> {
  const out: Array<{ n: LoadNeighbour, addr: string }> = []
  for (const id of ids) {
    const n = new LoadNeighbour(id, agent, terms, await neighbourTariff(id, agent), (peer, start, at) => { done.add(peer, start, at) })
    out.push({ n, addr: await n.start() })
    if (out.length % 250 === 0) log(`${out.length} neighbours listening`)
  }
  return out
}

/** RSS of the same agent with no neighbours, once started (what is not per border). */
export async function idleRss (parent: string, agent: Identity, terms: BorderTerms): Promise<number> {
  const dir = join(parent, 'idle')
  await mkdir(dir, { recursive: true })
  const files = await writeAgentFiles(dir, agent, terms, [], 1000)
  const p = new AgentProcess(files, dir)
  try {
    await waitUntil('idle agent start', async () => await answers(files.http, p), 60_000)
    await new Promise(resolve => setTimeout(resolve, 1500))
    return p.sample().rssKb
  } finally {
    await p.stop()
  }
}

/** Does the agent answer on its HTTP port (it starts that last)? Throws if it exited. */
export async function answers (port: number, p: AgentProcess): Promise<boolean> {
  if (!p.running) throw new Error(`agent exited:\n${p.tail()}`)
  try {
    return (await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2000) })).ok
  } catch {
    return false
  }
}

export async function waitUntil (what: string, ok: () => Promise<boolean>, timeoutMs: number, every = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`border-load: timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, every))
  }
}

/** The agent's CPU, RSS and signature counts, and this process's CPU (the neighbours'), at one moment. */
export interface Snapshot { at: number, proc: ProcSample, sigs: { sign: number, verify: number }, driverCpuMs: number }

export async function snapshot (p: AgentProcess, files: AgentFiles): Promise<Snapshot> {
  const c = process.cpuUsage()
  return { at: Date.now(), proc: p.sample(), sigs: await agentSignatures(files.http), driverCpuMs: (c.user + c.system) / 1000 }
}

export const tempDir = async (): Promise<string> => await mkdtemp(join(tmpdir(), 'border-load-'))
export const removeDir = async (dir: string): Promise<void> => { await rm(dir, { recursive: true, force: true }) }
