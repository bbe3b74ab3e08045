/**
 * `runHighDegree`: one real agent process with D neighbours (issue 13, section 3). The agent is
 * the CLI's `splitedge agent` with its LevelDB store on disk; its D neighbours are lightweight
 * libp2p peers in this process (neighbour.ts), one node and one key each, all on 127.0.0.1 with
 * ports the OS picked. The run drives a few short intervals and measures, for the agent alone:
 *
 * - border-intervals completed per second: a border-interval is complete when the agent has
 *   reported, co-signed, delivered (or been delivered) and durably stored the attestation, i.e.
 *   when the neighbour has the agent's `ok` or its delivered attestation. The rate is the number
 *   completed over the time the agent was busy closing the measured intervals (the union of each
 *   interval's [close, last completion] windows);
 * - the p99, over the measured intervals, of the time from an interval's close to its completion
 *   on every border;
 * - CPU per border-interval and RSS per border (above an idle agent with no neighbours), from /proc;
 * - `crypto_ratio`: the rate achieved over the crypto limit, the rate at which one core could do
 *   nothing but the agent's Ed25519 work (its signs and verifies per border-interval, read from its
 *   /metrics, at raw node:crypto rates measured in this run).
 */
import { rmSync } from 'node:fs'
import type { LoadNeighbour, BorderTerms } from './neighbour.js'
import { AgentProcess, writeAgentFiles, type AgentFiles } from './agent-process.js'
import { cryptoLimit, cryptoRates, type CryptoRates } from './crypto.js'
import { Completions, percentile, unionMs } from './completions.js'
import { defaultIntervalMs, idleRss, keys, removeDir, snapshot, startNeighbours, tempDir, termsFor, waitUntil, type Snapshot } from './setup.js'

export interface HighDegreeOptions {
  D: number
  /** Intervals measured after one warm-up interval (default 3). */
  intervals?: number
  /** Interval length (default: long enough for the agent to close one interval with slack). */
  intervalMs?: number
  progress?: (line: string) => void
  /** Flags for the agent's Node, e.g. ['--cpu-prof', '--cpu-prof-dir=DIR']. */
  agentNodeArgs?: string[]
  /** Whole-run deadline in ms (default: generous for D). */
  timeoutMs?: number
}

export interface HighDegreeResult {
  /** Neighbours configured. */
  D: number
  /** Neighbours whose borders were measured: D, or (after a start too slow for a few) at least 95 % of it. */
  D_measured: number
  intervals: number
  interval_ms: number
  border_intervals: number
  border_intervals_expected: number
  border_intervals_per_s: number
  crypto_ratio: number
  crypto_limit_per_s: number
  p99_interval_close_ms: number
  interval_close_ms: number[]
  rss_per_border_kb: number
  rss_kb: number
  rss_idle_kb: number
  cpu_ms_per_border_interval: number
  /** Share of one core the agent used between the snapshots (1 = a core busy all the time). */
  agent_cpu_share: number
  /** CPU of the D neighbours (this process) per border-interval, and its share of one core. */
  neighbours_cpu_ms_per_border_interval: number
  neighbours_cpu_share: number
  signs_per_border_interval: number
  verifies_per_border_interval: number
  node_crypto_sign_per_s: number
  node_crypto_verify_per_s: number
  agent_initiates: number
  /** Per border-interval, ms from the interval's close to its completion: median and p99, by who started the exchange. */
  close_ms_by_initiator: { agent: [number, number], neighbour: [number, number] }
  disputed: number
  declined: number
  errors: number
  /** From spawning the agent to its having every neighbour's tariff (connections and tariff sync). */
  agent_ready_s: number
  wall_s: number
}

export async function runHighDegree (opts: HighDegreeOptions): Promise<HighDegreeResult> {
  const { D } = opts
  const K = opts.intervals ?? 3
  const log = opts.progress ?? (() => {})
  const t0 = Date.now()
  const terms = termsFor(opts.intervalMs ?? defaultIntervalMs(D))
  const deadline = t0 + (opts.timeoutMs ?? 120_000 + D * 300 + (K + 3) * terms.intervalMs * 3)
  const before = cryptoRates()
  log(`D=${D}: raw node:crypto ${Math.round(before.signPerS)} signs/s, ${Math.round(before.verifyPerS)} verifies/s; interval ${terms.intervalMs} ms`)
  const ids = await keys(D)
  const dir = await tempDir()
  // A bench stopped by a signal leaves no temp dir behind.
  const cleanup = (): void => { rmSync(dir, { recursive: true, force: true }) }
  process.once('exit', cleanup)
  const stops: Array<() => Promise<void>> = []
  try {
    const idle = await idleRss(dir, ids.agent, terms)
    const done = new Completions()
    const peers = await startNeighbours(ids.neighbours, ids.agent.peerId, terms, done, log)
    stops.push(async () => { await Promise.all(peers.map(async p => { await p.n.stop() })) })
    const files = await writeAgentFiles(dir, ids.agent, terms, peers.map(p => ({ peerId: p.n.peerId, addr: p.addr })), 1_000_000)
    const spawnedAt = Date.now()
    const agent = new AgentProcess(files, dir, opts.agentNodeArgs)
    stops.unshift(async () => { await agent.stop() })
    for (const p of peers) await p.n.knowAgent([`/ip4/127.0.0.1/tcp/${files.p2p}`])
    const alive = (): void => { if (!agent.running) throw new Error(`agent exited:\n${agent.tail()}`) }
    let synced = 0
    const syncing = async (): Promise<boolean> => {
      alive()
      const n = peers.filter(p => p.n.counts.tariffSyncs > 0).length
      if (Math.floor(n / 100) > Math.floor(synced / 100)) log(`agent synced ${n}/${D} neighbours' tariffs`)
      synced = n
      return n === D
    }
    // A loaded machine may leave a few borders unconnected for minutes: past the time allowed for
    // the start, the run goes on with the borders that are up if they are at least 95 % of D.
    const readyBy = Date.now() + Math.min(Math.max(0, deadline - Date.now()), 60_000 + D * 200)
    await waitUntil('the agent to sync every neighbour\'s tariff', syncing, readyBy - Date.now(), 200)
      .catch((err: Error) => { if (synced < 0.95 * D) throw new Error(`${err.message} (${synced}/${D})\n${agent.tail()}`) })
    const up = peers.filter(p => p.n.counts.tariffSyncs > 0).map(p => p.n)
    done.counted = new Set(up.map(p => p.peerId))
    const readyS = Math.round((Date.now() - spawnedAt) / 100) / 10
    log(`agent up and synced with ${D} neighbours after ${readyS} s`)
    const measured = await driveIntervals({ D: up.length, K, terms, peers: up, done, agent, files, deadline, log, alive })
    await stops.shift()?.()
    const after = cryptoRates()
    const r = figures({ D: up.length, K, terms, done, measured, idle, before, after, peers: up, t0 })
    // The agent holds all D borders, measured or not.
    return { ...r, D, rss_per_border_kb: Math.round((r.rss_kb - r.rss_idle_kb) / D), agent_ready_s: readyS }
  } finally {
    for (const stop of stops) await stop().catch(() => {})
    await removeDir(dir)
    process.off('exit', cleanup)
  }
}

interface Drive {
  D: number
  K: number
  terms: BorderTerms
  peers: LoadNeighbour[]
  done: Completions
  agent: AgentProcess
  files: AgentFiles
  deadline: number
  log: (line: string) => void
  alive: () => void
}

interface Measured { starts: number[], s0: Snapshot, s1: Snapshot, peakRssKb: number }

/**
 * Runs the neighbours' side of every interval from the next one on (earlier ones are declined),
 * and waits for that warm-up interval and K measured intervals to complete on every border, with agent snapshots
 * when the warm-up interval and the last measured interval are complete.
 */
async function driveIntervals (d: Drive): Promise<Measured> {
  const { intervalMs } = d.terms
  const first = Math.ceil(Date.now() / intervalMs) * intervalMs
  const starts = Array.from({ length: d.K }, (_, i) => first + (i + 1) * intervalMs)
  for (const p of d.peers) p.settleFrom = first
  let peakRssKb = 0
  const sampler = setInterval(() => { if (d.agent.running) peakRssKb = Math.max(peakRssKb, d.agent.sample().rssKb) }, 250)
  const initiators = d.peers.filter(p => p.initiator)
  const stop = { now: false }
  const driving = initiate(initiators, first, starts[starts.length - 1] as number, d.terms, d.deadline, stop)
  try {
    await untilComplete(d, first, 'warm-up interval')
    const s0 = await snapshot(d.agent, d.files)
    for (const s of starts) await untilComplete(d, s, `interval ${starts.indexOf(s) + 1}/${d.K}`)
    const s1 = await snapshot(d.agent, d.files)
    return { starts, s0, s1, peakRssKb: Math.max(peakRssKb, s1.proc.rssKb) }
  } finally {
    stop.now = true
    clearInterval(sampler)
    await driving
  }
}

async function untilComplete (d: Drive, start: number, what: string): Promise<void> {
  while (d.done.last(start, d.D) === undefined) {
    d.alive()
    if (Date.now() > d.deadline) throw new Error(`border-load: ${what} not complete on every border (${d.done.count(start)}/${d.D}) before the deadline\n${d.agent.tail()}`)
    await d.done.next(500)
  }
  const closeAt = start + d.terms.intervalMs + d.terms.graceMs
  d.log(`${what}: all ${d.D} borders attested ${(d.done.last(start, d.D) as number) - closeAt} ms after the interval closed`)
}

/** Each initiating neighbour reports every interval from `from` to `to` once it closes, retrying until it is final. */
async function initiate (initiators: LoadNeighbour[], from: number, to: number, terms: BorderTerms, deadline: number, stop: { now: boolean }): Promise<void> {
  const runs: Array<Promise<void>> = []
  for (let s = from; s <= to && !stop.now; s += terms.intervalMs) {
    const closeAt = s + terms.intervalMs + terms.graceMs
    while (Date.now() < closeAt && !stop.now) await new Promise(resolve => setTimeout(resolve, Math.min(100, closeAt - Date.now())))
    // Each neighbour starts within one tick of its own after the close, as an agent does (its tick is
    // a quarter interval, at most 1 s), rather than all in the same millisecond.
    const tick = Math.min(1000, terms.intervalMs / 4)
    for (const n of initiators) runs.push(later(Math.random() * tick).then(async () => { await untilFinal(n, s, deadline, stop) }))
  }
  await Promise.all(runs)
}

const later = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

async function untilFinal (n: LoadNeighbour, start: number, deadline: number, stop: { now: boolean }): Promise<void> {
  for (let attempt = 0; Date.now() < deadline && !stop.now; attempt++) {
    const outcome = await n.exchange(start).catch(() => 'error' as const)
    if (outcome === 'attested' || outcome === 'disputed' || outcome === 'declined') return
    await new Promise(resolve => setTimeout(resolve, Math.min(1000, 100 * (attempt + 1))))
  }
}

interface FigureInput {
  D: number
  K: number
  terms: BorderTerms
  done: Completions
  measured: Measured
  idle: number
  before: CryptoRates
  after: CryptoRates
  peers: LoadNeighbour[]
  t0: number
}

function figures (f: FigureInput): Omit<HighDegreeResult, 'agent_ready_s'> {
  const { D, terms, done, measured: m } = f
  const closeOf = (s: number): number => s + terms.intervalMs + terms.graceMs
  const lasts = m.starts.map(s => done.last(s, D) as number)
  const closeMs = m.starts.map((s, i) => (lasts[i] as number) - closeOf(s))
  const busyMs = unionMs(m.starts.map((s, i) => [closeOf(s), lasts[i] as number] as const))
  const total = D * m.starts.length
  const inWindow = Math.max(1, done.completedAfter(m.starts, m.s0.at))
  const rate = total / (busyMs / 1000)
  const signs = (m.s1.sigs.sign - m.s0.sigs.sign) / inWindow
  const verifies = (m.s1.sigs.verify - m.s0.sigs.verify) / inWindow
  const rates = { signPerS: (f.before.signPerS + f.after.signPerS) / 2, verifyPerS: (f.before.verifyPerS + f.after.verifyPerS) / 2 }
  const limit = cryptoLimit(signs, verifies, rates)
  const sum = (k: 'disputed' | 'declined' | 'errors'): number => f.peers.reduce((a, p) => a + p.counts[k], 0)
  const r2 = (x: number): number => Math.round(x * 100) / 100
  return {
    D,
    D_measured: D,
    intervals: m.starts.length,
    interval_ms: terms.intervalMs,
    border_intervals: m.starts.reduce((a, s) => a + done.count(s), 0),
    border_intervals_expected: total,
    border_intervals_per_s: Math.round(rate),
    crypto_ratio: Math.round(rate / limit * 1000) / 1000,
    crypto_limit_per_s: Math.round(limit),
    p99_interval_close_ms: percentile(closeMs, 99),
    interval_close_ms: closeMs,
    rss_per_border_kb: Math.round((m.peakRssKb - f.idle) / D),
    rss_kb: m.peakRssKb,
    rss_idle_kb: f.idle,
    cpu_ms_per_border_interval: r2((m.s1.proc.cpuMs - m.s0.proc.cpuMs) / inWindow),
    agent_cpu_share: r2((m.s1.proc.cpuMs - m.s0.proc.cpuMs) / (m.s1.at - m.s0.at)),
    neighbours_cpu_ms_per_border_interval: r2((m.s1.driverCpuMs - m.s0.driverCpuMs) / inWindow),
    neighbours_cpu_share: r2((m.s1.driverCpuMs - m.s0.driverCpuMs) / (m.s1.at - m.s0.at)),
    signs_per_border_interval: r2(signs),
    verifies_per_border_interval: r2(verifies),
    node_crypto_sign_per_s: Math.round(rates.signPerS),
    node_crypto_verify_per_s: Math.round(rates.verifyPerS),
    agent_initiates: f.peers.filter(p => !p.initiator).length,
    close_ms_by_initiator: byInitiator(f, closeOf),
    disputed: sum('disputed'),
    declined: sum('declined'),
    errors: sum('errors'),
    wall_s: Math.round((Date.now() - f.t0) / 100) / 10
  }
}

function byInitiator (f: FigureInput, closeOf: (s: number) => number): { agent: [number, number], neighbour: [number, number] } {
  const of = (initiator: boolean): [number, number] => {
    const ds = f.done.delays(f.measured.starts, closeOf, new Set(f.peers.filter(p => p.initiator === initiator).map(p => p.peerId)))
    return [percentile(ds, 50), percentile(ds, 99)]
  }
  return { agent: of(false), neighbour: of(true) }
}
