/**
 * A whole network of real agents in one process, driven only by a seed: the real services, wire,
 * model and store (in memory, SimLevel), on the simulated network and virtual time. The seed fixes the
 * keys, the traffic, the latencies and the faults, so the same seed gives the same event log and
 * the same co-signed statements, byte for byte.
 */
import { createHash } from 'node:crypto'
import { pino } from 'pino'
import { Agent, checkConfig, createMetrics, type AgentConfig } from '@splitedge/agent'
import { identityFromSeed, type Identity } from '@splitedge/wire'
import { borderOf, openStore, type Store } from '@splitedge/store'
import type { PricingTariff } from '@splitedge/model'
import { seededRng } from '../rng.js'
import { EventQueue, settle } from './time.js'
import { NO_FAULTS, SimNetwork, type NetFaults } from './net.js'
import { SimLevel } from './level.js'

export interface WorldOptions {
  seed: number
  /** Agents on a ring (2 agents: one border). */
  agents: number
  /** Intervals to run. */
  intervals: number
  intervalMs?: number
  periodIntervals?: number
  faults?: NetFaults
}

export interface WorldAgent { name: string, identity: Identity, agent: Agent, store: Store }

export interface WorldResult {
  seed: number
  agents: number
  borders: number
  events: number
  /** sha256 of the event log: equal for equal seeds. */
  logDigest: string
  /** Co-signed statements per border, as hex of the stored bytes, both sides checked equal. */
  statements: Record<string, string[]>
  /** Borders where the two sides hold different statements for a period. */
  disagreements: string[]
  net: SimNetwork['sent']
}

const START = 1_800_000_000_000

function pricingFor (i: number): PricingTariff {
  return {
    currency: 'EUR', decimals: 6, unit: 'octet',
    classes: { be: { mode: 'unicast', quality: 'BE', price: `0.00000${1 + (i % 5)}` } },
    weights: { '*': { send: '1', receive: '0.5' } }
  }
}

function configOf (i: number, ids: Identity[], edges: Array<[number, number]>, o: Required<Omit<WorldOptions, 'faults'>>): AgentConfig {
  const neighbours = edges.filter(([a, b]) => a === i || b === i).map(([a, b]) => {
    const j = a === i ? b : a
    return { name: `a${j}`, peerId: (ids[j] as Identity).peerId, addrs: [`/memory/a${j}`], status: 'peer' as const }
  })
  return checkConfig({
    name: `a${i}`, key: '/unused', dataDir: '/unused', listen: [`/memory/a${i}`], transport: 'memory',
    interval: { lengthMs: o.intervalMs, graceMs: Math.floor(o.intervalMs / 5) },
    settlement: { periodIntervals: o.periodIntervals },
    clockSkewMs: 5000,
    usage: { source: 'synthetic', seed: `world-${o.seed}`, meanVolume: 1_000_000, noise: 0.001 },
    neighbours,
    logLevel: 'silent'
  }, '/')
}

/** Build the agents and run them until `intervals` intervals (and their periods) are over. */
export async function runWorld (opts: WorldOptions): Promise<WorldResult> {
  // Virtual time costs nothing: intervals as long as real ones keep request timeouts in proportion.
  const o = { intervalMs: 60_000, periodIntervals: 2, ...opts }
  const queue = new EventQueue(START)
  const network = new SimNetwork(queue, seededRng(o.seed), opts.faults ?? NO_FAULTS)
  const ids = await Promise.all(Array.from({ length: o.agents }, async (_, i) => await identityFromSeed(createHash('sha256').update(`splitedge/sim/${o.seed}/${i}`).digest())))
  const edges: Array<[number, number]> = o.agents === 2 ? [[0, 1]] : Array.from({ length: o.agents }, (_, i) => [i, (i + 1) % o.agents])
  for (const [a, b] of edges) network.link((ids[a] as Identity).peerId, (ids[b] as Identity).peerId)
  const world: WorldAgent[] = []
  const [logger, metrics] = [pino({ level: 'silent' }), createMetrics()]
  for (let i = 0; i < o.agents; i++) {
    const identity = ids[i] as Identity
    const store = await openStore({ db: new SimLevel(), prefixed: true })
    const agent = await Agent.start({
      config: configOf(i, ids, edges, o), identity, store, logger, metrics, http: false,
      now: () => queue.now(), net: network.port(identity.peerId), scheduler: queue.scheduler(`tick a${i}`), tickMs: Math.floor(o.intervalMs / 4)
    })
    await agent.tariffs.publishOwn(pricingFor(i), 0)
    world.push({ name: `a${i}`, identity, agent, store })
  }
  const end = START + (o.intervals + 2 * o.periodIntervals) * o.intervalMs
  while ((queue.peek() ?? Infinity) <= end) {
    queue.step()
    await settle(queue)
  }
  const result = await collect(world, edges, o.periodIntervals * o.intervalMs)
  await stopAll(world, queue)
  return {
    seed: o.seed, agents: o.agents, borders: edges.length, events: queue.steps,
    logDigest: queue.logDigest(),
    ...result, net: { ...network.sent }
  }
}

/**
 * Stop every agent on virtual time: a stop waits for the tick in progress, which may wait for an
 * answer or a timeout that only a later event brings.
 */
async function stopAll (world: WorldAgent[], queue: EventQueue): Promise<void> {
  let stopped = false
  const stopping = Promise.all(world.map(async w => await w.agent.stop())).finally(() => { stopped = true })
  await settle(queue)
  while (!stopped && queue.step()) await settle(queue)
  await stopping
}

async function collect (world: WorldAgent[], edges: Array<[number, number]>, periodMs: number): Promise<Pick<WorldResult, 'statements' | 'disagreements'>> {
  const statements: Record<string, string[]> = {}
  const disagreements: string[] = []
  for (const [a, b] of edges) {
    const [x, y] = [world[a] as WorldAgent, world[b] as WorldAgent]
    const border = borderOf(x.identity.peerId, y.identity.peerId)
    const [sx, sy] = [await x.store.listStatements(border), await y.store.listStatements(border)]
    const hex = (list: typeof sx): string[] => list.map(s => Buffer.from(s.bytes).toString('hex'))
    statements[`${x.name}-${y.name}`] = hex(sx)
    if (hex(sx).join() !== hex(sy).join()) disagreements.push(`${x.name}-${y.name}: ${sx.length} vs ${sy.length} statements (period ${periodMs} ms)`)
  }
  return { statements, disagreements }
}
