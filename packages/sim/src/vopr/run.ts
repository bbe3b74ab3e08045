/**
 * `splitedge vopr`: a seeded fault simulation of a network of real agents. One seed fixes the keys,
 * the traffic, the latencies and every fault; the run ends with the checkers of checkers.ts and a
 * summary. The same seed replays the same run, event for event.
 */
import { pino } from 'pino'
import { DEFECTS, createMetrics, type Defect } from '@splitedge/agent'
import type { Store } from '@splitedge/store'
import { below, seededRng, type Rng } from '../rng.js'
import { EventQueue, settle } from '../world/time.js'
import { NO_FAULTS, SimNetwork } from '../world/net.js'
import { CLOCK_ALLOWANCE_MS, INTERVAL_MS, PERIOD_INTERVALS, crashNode, isUp, makeNodes, startNode, type NodeWorld, type SimNode } from './nodes.js'
import { scheduleTraffic, type Acked } from './traffic.js'
import { checkConservation, checkDisputes, checkDurable, checkLiveness, checkModel, checkStatements, type CheckerName, type Violation } from './checkers.js'
import { checkHostile, equivocate, startStranger, type Hostility } from './hostile.js'

export const FAULTS = ['loss', 'duplicate', 'delay', 'partition', 'isolate', 'crash', 'disk', 'skew', 'skew-beyond', 'race', 'lie', 'inflate', 'stranger', 'equivocate'] as const
export type Fault = typeof FAULTS[number]

/** Each deliberate defect, and the checker that must catch it. */
export const BREAKS: Readonly<Record<Defect, CheckerName>> = {
  'ack-before-sync': 'durable',
  'post-twice': 'conservation',
  'settle-partial': 'model',
  'attest-higher': 'disputes',
  'ignore-equivocation': 'hostile'
}

export interface VoprOptions {
  seed: number
  agents?: number
  intervals?: number
  faults?: ReadonlySet<Fault>
  break?: Defect
  /** Look at the nodes (their stores are open) before they stop: for debugging a failing seed. */
  inspect?: (nodes: readonly SimNode[]) => Promise<void>
  /** Called now and then with the virtual time reached, for progress on long runs. */
  progress?: (done: number, total: number) => void
}

export interface VoprResult {
  seed: number
  ok: boolean
  agents: number
  borders: number
  intervals: number
  events: number
  faults: Record<string, number>
  violations: Violation[]
  events_per_s: number
  logDigest: string
}

const START = 1_800_000_000_000

/** Crashes and partitions at seeded times, each undone after one to three intervals. */
function scheduleFaults (w: NodeWorld, rng: Rng, faults: ReadonlySet<Fault>, until: number, counts: Record<string, number>): void {
  const { queue, nodes, edges, network } = w
  for (let t = START + INTERVAL_MS; t < until; t += INTERVAL_MS) {
    if (faults.has('crash') && rng() < 0.25) {
      const node = nodes[below(rng, nodes.length)] as SimNode
      const at = t + below(rng, INTERVAL_MS)
      const back = at + INTERVAL_MS * (1 + below(rng, 3))
      queue.at(at, `crash ${node.name}`, () => { if (isUp(node)) { crashNode(node); counts.crash = (counts.crash ?? 0) + 1 } })
      queue.at(back, `restart ${node.name}`, async () => { if (!isUp(node)) await startNode(w, node) })
    }
    if (faults.has('disk') && rng() < 0.15) {
      // The disk refuses every write for a quarter of an interval: nothing may be acknowledged meanwhile.
      const node = nodes[below(rng, nodes.length)] as SimNode
      const at = t + below(rng, INTERVAL_MS)
      queue.at(at, `disk fails ${node.name}`, () => { node.db.failing = true; counts.disk = (counts.disk ?? 0) + 1 })
      queue.at(at + INTERVAL_MS / 4, `disk back ${node.name}`, () => { node.db.failing = false })
    }
    if (faults.has('isolate') && rng() < 0.08) {
      // Every border of one agent cut at once, healed one to two intervals later.
      const node = nodes[below(rng, nodes.length)] as SimNode
      const links = edges.filter(([a, b]) => a === node.index || b === node.index).map(([a, b]) => [(nodes[a] as SimNode).identity.peerId, (nodes[b] as SimNode).identity.peerId] as const)
      const at = t + below(rng, INTERVAL_MS)
      queue.at(at, `isolate ${node.name}`, () => { for (const [x, y] of links) network.setCut(x, y, true); counts.isolate = (counts.isolate ?? 0) + 1 })
      queue.at(at + INTERVAL_MS * (1 + below(rng, 2)), `rejoin ${node.name}`, () => { for (const [x, y] of links) network.setCut(x, y, false) })
    }
    if (faults.has('skew-beyond') && rng() < 0.1) {
      // A clock stepped past the allowance for one to two intervals, then corrected (as NTP would).
      const node = nodes[below(rng, nodes.length)] as SimNode
      const at = t + below(rng, INTERVAL_MS)
      const off = (rng() < 0.5 ? -2 : 2) * CLOCK_ALLOWANCE_MS
      queue.at(at, `skew ${node.name} ${off}`, () => {
        const was = node.skewMs
        node.skewMs = off
        counts['skew-beyond'] = (counts['skew-beyond'] ?? 0) + 1
        queue.after(INTERVAL_MS * (1 + below(rng, 2)), `unskew ${node.name}`, () => { if (queue.now() < until) node.skewMs = was })
      })
    }
    if (faults.has('partition') && rng() < 0.2) {
      const [a, b] = edges[below(rng, edges.length)] as [number, number]
      const [x, y] = [(nodes[a] as SimNode).identity.peerId, (nodes[b] as SimNode).identity.peerId]
      const at = t + below(rng, INTERVAL_MS)
      queue.at(at, `cut a${a}-a${b}`, () => { network.setCut(x, y, true); counts.partition = (counts.partition ?? 0) + 1 })
      queue.at(at + INTERVAL_MS * (1 + below(rng, 3)), `heal a${a}-a${b}`, () => { network.setCut(x, y, false) })
    }
  }
}

/** Run events until `until`; a crash lands part-way through the work of the event before it. */
async function runUntil (queue: EventQueue, rng: Rng, until: number, progress?: (t: number) => void): Promise<void> {
  let n = 0
  while ((queue.peek() ?? Infinity) <= until) {
    queue.step()
    const next = queue.peek()
    const crashNext = next === queue.now() && /^crash /.test(queue.nextLabel() ?? '')
    // Before a crash at the same instant, let the previous work run only a seeded part of the way.
    await settle(queue, crashNext ? below(rng, 3) : 1)
    if (++n % 500 === 0) progress?.(queue.now())
  }
}

async function stopAll (queue: EventQueue, nodes: SimNode[]): Promise<void> {
  let stopped = false
  const stopping = Promise.all(nodes.map(async n => await n.agent?.stop())).finally(() => { stopped = true })
  await settle(queue)
  while (!stopped && queue.step()) await settle(queue)
  await stopping
}

function ringOf (n: number): Array<[number, number]> {
  return n === 2 ? [[0, 1]] : Array.from({ length: n }, (_, i) => [i, (i + 1) % n])
}

export async function runVopr (opts: VoprOptions): Promise<VoprResult> {
  const t0 = performance.now()
  const agents = opts.agents ?? 4
  const intervals = opts.intervals ?? 24
  const faults = opts.faults ?? new Set(FAULTS)
  const rng = seededRng(opts.seed)
  const queue = new EventQueue(START)
  const network = new SimNetwork(queue, seededRng(opts.seed ^ 0x5eed), {
    loss: faults.has('loss') ? 0.05 + rng() * 0.25 : 0,
    latencyMs: faults.has('delay') ? { min: 5, spread: 3000 } : NO_FAULTS.latencyMs,
    duplicate: faults.has('duplicate') ? 0.05 : 0
  })
  const nodes = await makeNodes(opts.seed, agents)
  const edges = ringOf(agents)
  for (const [a, b] of edges) network.link((nodes[a] as SimNode).identity.peerId, (nodes[b] as SimNode).identity.peerId)
  if (faults.has('skew')) for (const n of nodes) n.skewMs = Math.floor((rng() * 2 - 1) * CLOCK_ALLOWANCE_MS * 0.4)
  const baseSkew = nodes.map(n => n.skewMs)
  const w: NodeWorld = { queue, network, nodes, edges, defects: new Set(opts.break !== undefined ? [opts.break] : []), logger: pino({ level: 'silent' }), metrics: createMetrics() }
  for (const n of nodes) await startNode(w, n)
  const counts: Record<string, number> = {}
  const first = Math.ceil((START + INTERVAL_MS) / INTERVAL_MS) * INTERVAL_MS
  const faultsEnd = START + intervals * INTERVAL_MS
  const acked: Acked = { sums: new Map(), ids: new Set(), refusedClosed: 0 }
  // A crash the instant a push is acknowledged: whatever the agent promised must already be durable.
  if (faults.has('crash')) {
    acked.onAck = (node) => {
      if (queue.now() >= faultsEnd || !isUp(node) || rng() >= 0.005) return
      crashNode(node)
      counts.crash = (counts.crash ?? 0) + 1
      queue.after(INTERVAL_MS, `restart ${node.name}`, async () => { if (!isUp(node)) await startNode(w, node) })
    }
  }
  const lies = { beyond: faults.has('lie') ? 0.05 : 0, inflate: new Set(faults.has('inflate') ? [0] : []) }
  scheduleTraffic(queue, rng, nodes, edges, { first, last: faultsEnd, race: faults.has('race'), lies }, acked)
  scheduleFaults(w, rng, faults, faultsEnd, counts)
  const hostility: Hostility = { equivocations: [], sent: 0 }
  if (faults.has('stranger')) await startStranger(opts.seed, queue, network, rng, nodes, faultsEnd, hostility)
  const end = faultsEnd + (3 * PERIOD_INTERVALS + 2) * INTERVAL_MS
  await runUntil(queue, rng, faultsEnd, (t) => opts.progress?.(t - START, end - START))
  // Faults stop: every border heals, every node is up, no more loss; then liveness is due.
  network.faults = NO_FAULTS
  // Disks work again and every clock is back within the allowance.
  for (const [i, n] of nodes.entries()) { n.db.failing = false; n.skewMs = baseSkew[i] ?? 0 }
  for (const [a, b] of edges) network.setCut((nodes[a] as SimNode).identity.peerId, (nodes[b] as SimNode).identity.peerId, false)
  for (const n of nodes) if (!isUp(n)) await startNode(w, n)
  // An equivocation once every node is up and nothing is lost: each neighbour must see both versions.
  if (faults.has('equivocate')) queue.after(INTERVAL_MS, 'equivocate a1', async () => { await equivocate(queue, network, nodes[1] as SimNode, hostility) })
  await runUntil(queue, rng, end, (t) => opts.progress?.(t - START, end - START))
  const violations = await check(nodes, edges, acked, { from: first, to: faultsEnd }, hostility)
  await opts.inspect?.(nodes)
  await stopAll(queue, nodes)
  counts.lost = network.sent.lost
  counts.duplicated = network.sent.duplicated
  counts.refused_closed = acked.refusedClosed
  if (hostility.sent > 0) counts.stranger = hostility.sent
  if (hostility.equivocations.length > 0) counts.equivocate = hostility.equivocations.length
  const s = (performance.now() - t0) / 1000
  return {
    seed: opts.seed, ok: violations.length === 0, agents, borders: edges.length, intervals, events: queue.steps,
    faults: counts, violations, events_per_s: Math.round(queue.steps / Math.max(s, 0.001)),
    logDigest: queue.logDigest()
  }
}

async function check (nodes: SimNode[], edges: Array<[number, number]>, acked: Acked, due: { from: number, to: number }, hostility: Hostility): Promise<Violation[]> {
  const stores = new Map<SimNode, Store>(nodes.map(n => [n, n.store as Store]))
  return [
    ...await checkDurable(nodes, stores, acked),
    ...await checkStatements(nodes, stores, edges, new Map()),
    ...await checkConservation(nodes, stores, edges),
    ...await checkModel(nodes, stores, edges),
    ...await checkLiveness(nodes, stores, edges, due),
    ...await checkDisputes(nodes, stores, edges, due, '0.01'),
    ...await checkHostile(nodes, stores, edges, hostility)
  ]
}

export const BREAK_NAMES: readonly Defect[] = DEFECTS
