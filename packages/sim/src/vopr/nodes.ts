/**
 * The agents of a VOPR run and their lives: each node keeps its database (in memory, SimLevel) across
 * crashes; a crash drops the agent, its timers and every write not yet committed, and a restart
 * opens a fresh store and agent over the same database, as a process restarted after kill -9.
 */
import { createHash } from 'node:crypto'
import type { Logger } from 'pino'
import { Agent, checkConfig, type AgentConfig, type AgentMetrics, type Defect } from '@splitedge/agent'
import { type NetPort, type Scheduler } from '@splitedge/node'
import { identityFromSeed, type Identity } from '@splitedge/wire'
import { openStore, type Store } from '@splitedge/store'
import type { PricingTariff } from '@splitedge/model'
import type { EventQueue } from '../world/time.js'
import type { SimNetwork } from '../world/net.js'
import { SimLevel } from '../world/level.js'

/** An in-memory database whose writes fail, as a full or broken disk's would, while `failing`. */
export class FlakyLevel extends SimLevel {
  failing = false
  // abstract-level's hook for every batch, sublevels included.
  override async _batch (operations: Parameters<SimLevel['_batch']>[0]): Promise<void> {
    if (this.failing) throw Object.assign(new Error('IO error: No space left on device'), { code: 'LEVEL_IO_ERROR', cause: Object.assign(new Error('ENOSPC'), { code: 'ENOSPC' }) })
    await super._batch(operations)
  }
}

export interface SimNode {
  index: number
  name: string
  identity: Identity
  db: FlakyLevel
  /** Clock offset of this node (ms), within or beyond the allowance. */
  skewMs: number
  generation: number
  agent: Agent | undefined
  store: Store | undefined
  port: NetPort | undefined
}

export const INTERVAL_MS = 60_000
export const PERIOD_INTERVALS = 3
export const CLOCK_ALLOWANCE_MS = 5_000

export async function makeNodes (seed: number, n: number): Promise<SimNode[]> {
  return await Promise.all(Array.from({ length: n }, async (_, i) => ({
    index: i,
    name: `a${i}`,
    identity: await identityFromSeed(createHash('sha256').update(`splitedge/vopr/${seed}/${i}`).digest()),
    db: new FlakyLevel(),
    skewMs: 0,
    generation: 0,
    agent: undefined,
    store: undefined,
    port: undefined
  })))
}

export function pricingOf (i: number): PricingTariff {
  return {
    currency: 'EUR', decimals: 6, unit: 'octet',
    classes: { be: { mode: 'unicast', quality: 'BE', price: `0.00000${1 + (i % 7)}` } },
    weights: { '*': { send: '1', receive: '0.5' } }
  }
}

function configOf (node: SimNode, nodes: SimNode[], edges: Array<[number, number]>): AgentConfig {
  const neighbours = edges.filter(([a, b]) => a === node.index || b === node.index).map(([a, b]) => {
    const j = a === node.index ? b : a
    return { name: `a${j}`, peerId: (nodes[j] as SimNode).identity.peerId, addrs: [`/memory/a${j}`], status: 'peer' as const, tolerance: '0.01' }
  })
  return checkConfig({
    name: node.name, key: '/unused', dataDir: '/unused', listen: [`/memory/${node.name}`], transport: 'memory',
    interval: { lengthMs: INTERVAL_MS, graceMs: INTERVAL_MS / 10 },
    settlement: { periodIntervals: PERIOD_INTERVALS },
    clockSkewMs: CLOCK_ALLOWANCE_MS,
    usage: { source: 'http' },
    neighbours,
    logLevel: 'silent'
  }, '/')
}

/**
 * A scheduler whose ticks stop when the node's generation moves on (the process died): the first
 * tick after a crash ends the chain, so a node restarted many times does not leave a chain of
 * empty ticks per past life on the queue.
 */
function gated (queue: EventQueue, node: SimNode): Scheduler {
  const generation = node.generation
  const inner = queue.scheduler(`tick ${node.name}`)
  return {
    every: (ms, fn) => {
      const stop = inner.every(ms, () => { if (node.generation === generation) fn(); else stop() })
      return stop
    }
  }
}

/** What every node of a run shares; one logger and one metrics registry for all (a registry per restart cost memory and time). */
export interface NodeWorld { queue: EventQueue, network: SimNetwork, nodes: SimNode[], edges: Array<[number, number]>, defects: ReadonlySet<Defect>, logger: Logger, metrics: AgentMetrics }

/** Start (or restart) a node's agent over its database. */
export async function startNode (w: NodeWorld, node: SimNode): Promise<void> {
  const store = await openStore({ db: node.db, prefixed: true })
  const port = w.network.port(node.identity.peerId)
  const agent = await Agent.start({
    config: configOf(node, w.nodes, w.edges), identity: node.identity, store, logger: w.logger, metrics: w.metrics, http: false,
    now: () => w.queue.now() + node.skewMs, net: port, scheduler: gated(w.queue, node), tickMs: INTERVAL_MS / 4, defects: w.defects
  })
  if ((await store.latestTariff(node.identity.peerId)) === undefined) await agent.tariffs.publishOwn(pricingOf(node.index), 0)
  Object.assign(node, { agent, store, port })
}

/** kill -9: timers stop, the network goes, uncommitted writes are lost; the database stays. */
export function crashNode (node: SimNode): void {
  node.generation++
  node.store?.abandon()
  void node.port?.stop()
  Object.assign(node, { agent: undefined, store: undefined, port: undefined })
}

export const isUp = (node: SimNode): boolean => node.agent !== undefined
