/**
 * One settlement cycle over the `internet` graph with real agents on the simulated network and
 * virtual time (faults off): every agent publishes its tariff, every border is attested for the
 * intervals of one period, and that period is settled on every border. Each agent's messages,
 * bytes, signatures, CPU and stored bytes are counted, to compare its cost with its degree.
 */
import { PerformanceObserver, constants as perf, type PerformanceEntry } from 'node:perf_hooks'
import { createHash } from 'node:crypto'
import { pino } from 'pino'
import { Agent, checkConfig, createMetrics, type AgentConfig } from '@splitedge/agent'
import { identityFromSeed, type Identity } from '@splitedge/wire'
import { borderOf, openStore, type Store } from '@splitedge/store'
import { seededRng } from '../rng.js'
import { degrees } from '../topology.js'
import { EventQueue, settle } from '../world/time.js'
import { NO_FAULTS, SimNetwork } from '../world/net.js'
import { SimLevel } from '../world/level.js'
import { internetGraph, type InternetGraph } from './graph.js'
import { layerOf, neighbourStatuses, tariffOf, type Link } from './relations.js'
import { countingIdentity, countingPort, zeroCost, type AgentCost } from './counting.js'

export interface InternetCycleOptions {
  n: number
  seed: number
  /** Interval length in virtual ms (virtual time is free: real lengths keep timeouts in proportion). */
  intervalMs?: number
  /** Intervals per settlement period: the intervals attested in the cycle. */
  periodIntervals?: number
  /** Called with a line of progress now and then. */
  progress?: (line: string) => void
}

export interface InternetAgentFigures extends AgentCost { index: number, degree: number, layer: 0 | 1 | 2 }

export interface InternetCycleResult {
  n: number
  seed: number
  borders: number
  maxDegree: number
  /** Every agent's cost over the whole cycle, and over the tariff phase alone (before the first interval closed). */
  agents: InternetAgentFigures[]
  tariffPhase: AgentCost[]
  /** The settled period, and the borders where it is not settled on both sides with identical bytes. */
  period: { start: number, end: number }
  unsettled: string[]
  /** Attestations held for the period, summed over both sides of every border. */
  attestations: number
  events: number
  /** CPU of events no agent owns (timeouts that found their request answered). */
  unattributedCpuMs: number
  /** CPU ms and events by kind of event (the first word of its label: tick, deliver, answer, gossip, ...). */
  byKind: Record<string, { events: number, cpuMs: number }>
  /** Time V8 spent collecting garbage while events ran (scavenges, and mark-compact incl. incremental steps). */
  gc: GcTime
  logDigest: string
}

export interface GcTime { minorMs: number, majorMs: number, collections: number }

/** Sum V8's garbage collections from now until the returned function is called. */
function watchGc (): () => GcTime {
  const t: GcTime = { minorMs: 0, majorMs: 0, collections: 0 }
  const add = (entries: PerformanceEntry[]): void => {
    for (const e of entries) {
      const kind = (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind
      if (kind === perf.NODE_PERFORMANCE_GC_MINOR) t.minorMs += e.duration
      else t.majorMs += e.duration
      t.collections++
    }
  }
  const obs = new PerformanceObserver(list => add(list.getEntries()))
  obs.observe({ entryTypes: ['gc'] })
  return () => {
    add(obs.takeRecords())
    obs.disconnect()
    return { minorMs: Math.round(t.minorMs), majorMs: Math.round(t.majorMs), collections: t.collections }
  }
}

const START = 1_800_000_000_000

interface Member { identity: Identity, agent: Agent, store: Store, cost: AgentCost }

function configOf (i: number, links: Link[], ids: Identity[], intervalMs: number, periodIntervals: number, seed: number): AgentConfig {
  return checkConfig({
    name: `a${i}`, key: '/unused', dataDir: '/unused', listen: [`/memory/a${i}`], transport: 'memory',
    interval: { lengthMs: intervalMs, graceMs: Math.floor(intervalMs / 5) },
    settlement: { periodIntervals },
    clockSkewMs: 5000,
    usage: { source: 'synthetic', seed: `internet-${seed}`, meanVolume: 1_000_000, noise: 0.001 },
    neighbours: links.map(l => ({ name: `a${l.peer}`, peerId: (ids[l.peer] as Identity).peerId, addrs: [`/memory/a${l.peer}`], status: l.status })),
    logLevel: 'silent'
  }, '/')
}

/** The cost so far, with the store's committed bytes and keys. */
const snapshot = (m: Member): AgentCost => ({ ...m.cost, storedBytes: m.store.stats().bytesWritten, storedKeys: m.store.stats().keys })

const cpuMsSince = (t: NodeJS.CpuUsage): number => { const d = process.cpuUsage(t); return (d.user + d.system) / 1000 }

/** Start every agent on the network; the CPU of each start is its own. */
async function startAll (g: InternetGraph, o: Required<Omit<InternetCycleOptions, 'progress'>>, queue: EventQueue, network: SimNetwork, progress: (l: string) => void): Promise<Member[]> {
  const ids = await Promise.all(Array.from({ length: g.n }, async (_, i) => await identityFromSeed(createHash('sha256').update(`splitedge/internet/${o.seed}/${i}`).digest())))
  for (const [a, b] of g.edges) network.link((ids[a] as Identity).peerId, (ids[b] as Identity).peerId)
  const links = neighbourStatuses(g)
  const up = new Set<string>()
  const members: Member[] = []
  // One silent logger and one metrics registry for all: one per agent is memory per agent.
  const [logger, metrics] = [pino({ level: 'silent' }), createMetrics()]
  for (let i = 0; i < g.n; i++) {
    const t = process.cpuUsage()
    const cost = zeroCost()
    const identity = countingIdentity(ids[i] as Identity, cost)
    const mine = links[i] as Link[]
    const neighbours = mine.map(l => (ids[l.peer] as Identity).peerId)
    const store = await openStore({ db: new SimLevel(), prefixed: true })
    const agent = await Agent.start({
      config: configOf(i, mine, ids, o.intervalMs, o.periodIntervals, o.seed), identity, store, logger, metrics, http: false,
      now: () => queue.now(), net: countingPort(network.port(identity.peerId), cost, neighbours, up, identity.peerId),
      scheduler: queue.scheduler(`tick a${i}`), tickMs: Math.floor(o.intervalMs / 4)
    })
    await agent.tariffs.publishOwn(tariffOf(layerOf(g, i), mine, j => (ids[j] as Identity).peerId), 0)
    cost.cpuMs += cpuMsSince(t)
    members.push({ identity: ids[i] as Identity, agent, store, cost })
    if ((i + 1) % 1000 === 0) progress(`started ${i + 1}/${g.n} agents`)
  }
  return members
}

/** Which agent an event runs for, from its label (see world/net.ts and the scheduler labels). */
function ownerOf (members: Member[]): (label: string) => number | undefined {
  const bySuffix = new Map<string, number>()
  const clash = new Set<string>()
  members.forEach((m, i) => { const s = m.identity.peerId.slice(-6); if (bySuffix.has(s)) clash.add(s); bySuffix.set(s, i) })
  const of = (s: string): number | undefined => clash.has(s) ? undefined : bySuffix.get(s)
  return (label) => {
    const last = label.slice(label.lastIndexOf(' ') + 1)
    if (label.startsWith('tick a')) return Number(last.slice(1))
    const to = last.indexOf('->')
    if (to >= 0) return of(last.slice(to + 2))
    const from = last.indexOf('<-')
    return from >= 0 ? of(last.slice(0, from)) : undefined
  }
}

/** The internet cycle at size n: see the module comment. */
export async function runInternetCycle (opts: InternetCycleOptions): Promise<InternetCycleResult> {
  const o = { intervalMs: 60_000, periodIntervals: 2, ...opts }
  const progress = opts.progress ?? (() => {})
  const g = internetGraph(o.n, seededRng(o.seed))
  const deg = degrees(g)
  const queue = new EventQueue(START)
  const network = new SimNetwork(queue, seededRng(o.seed ^ 0x5eed), NO_FAULTS)
  const members = await startAll(g, o, queue, network, progress)
  progress(`${g.n} agents started, ${g.edges.length} borders`)
  // The first whole period from the start: its intervals are attested, then it is settled.
  const periodMs = o.intervalMs * o.periodIntervals
  const period = { start: Math.ceil(START / periodMs) * periodMs, end: 0 }
  period.end = period.start + periodMs
  const gcSince = watchGc()
  const run = await drive(queue, members, g, period, o.intervalMs, progress)
  const gc = gcSince()
  const { unsettled, attestations } = await verify(members, g, period)
  await stopAll(members, queue)
  return {
    n: g.n, seed: o.seed, borders: g.edges.length, maxDegree: Math.max(...deg),
    agents: members.map((m, i) => ({ index: i, degree: deg[i] as number, layer: layerOf(g, i), ...snapshot(m) })),
    tariffPhase: run.tariffPhase, period, unsettled, attestations, events: queue.steps,
    unattributedCpuMs: run.unattributedCpuMs, byKind: run.byKind, gc,
    logDigest: queue.logDigest()
  }
}

/**
 * Run events until the period is settled on every border (checked at each interval boundary
 * once it can be), or a generous horizon passes. Each event's CPU, with the work it starts,
 * goes to the agent it runs for.
 */
async function drive (queue: EventQueue, members: Member[], g: InternetGraph, period: { start: number, end: number }, intervalMs: number, progress: (l: string) => void): Promise<{ tariffPhase: AgentCost[], unattributedCpuMs: number, byKind: InternetCycleResult['byKind'] }> {
  const owner = ownerOf(members)
  const horizon = period.end + 6 * intervalMs
  let tariffPhase: AgentCost[] | undefined
  let nextCheck = period.end + intervalMs
  let unattributedCpuMs = 0
  const byKind: InternetCycleResult['byKind'] = {}
  for (;;) {
    const at = queue.peek()
    if (at === undefined || at > horizon) break
    // The tariff phase ends when the first attested interval closes.
    if (tariffPhase === undefined && at >= period.start + intervalMs) tariffPhase = members.map(snapshot)
    if (at >= nextCheck) {
      const left = (await verify(members, g, period, true)).unsettled.length
      progress(`t+${(at - period.start) / 1000}s: ${left} borders not settled yet`)
      if (left === 0) break
      nextCheck += intervalMs
    }
    if (queue.steps % 200_000 === 0 && queue.steps > 0) progress(`t+${(at - period.start) / 1000}s: ${queue.steps} events, ${queue.pending} pending`)
    const label = queue.nextLabel() as string
    const t = process.cpuUsage()
    queue.step()
    await settle(queue)
    const [who, ms] = [owner(label), cpuMsSince(t)]
    if (who === undefined) unattributedCpuMs += ms
    else (members[who] as Member).cost.cpuMs += ms
    const kind = byKind[label.slice(0, label.indexOf(' '))] ??= { events: 0, cpuMs: 0 }
    kind.events++
    kind.cpuMs += ms
  }
  return { tariffPhase: tariffPhase ?? members.map(snapshot), unattributedCpuMs, byKind }
}

/** Borders where the period is not settled on both sides with the same bytes; and attestations held. */
async function verify (members: Member[], g: InternetGraph, period: { start: number, end: number }, quick = false): Promise<{ unsettled: string[], attestations: number }> {
  const unsettled: string[] = []
  let attestations = 0
  for (const [a, b] of g.edges) {
    const [x, y] = [members[a] as Member, members[b] as Member]
    const border = borderOf(x.identity.peerId, y.identity.peerId)
    const [sx, sy] = [await x.store.getStatement(border, period.start), await y.store.getStatement(border, period.start)]
    if (sx === undefined || sy === undefined || !Buffer.from(sx.bytes).equals(sy.bytes)) {
      unsettled.push(`a${a}-a${b}: ${sx === undefined ? '-' : 'x'}${sy === undefined ? '-' : 'y'}`)
      if (quick) return { unsettled, attestations }
    }
    if (!quick) for (const m of [x, y]) attestations += (await m.store.listAttestations(border, period.start, period.end)).length
  }
  return { unsettled, attestations }
}

/** Stop every agent on virtual time (a stop waits for the tick in progress). */
async function stopAll (members: Member[], queue: EventQueue): Promise<void> {
  let stopped = false
  const stopping = Promise.all(members.map(async m => await m.agent.stop())).finally(() => { stopped = true })
  await settle(queue)
  while (!stopped && queue.step()) await settle(queue)
  await stopping
}
