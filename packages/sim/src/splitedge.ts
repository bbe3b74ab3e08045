/**
 * The real thing: N agents of @splitedge/agent (real libp2p, gossipsub, the border and settle
 * protocols, in-memory stores) over the in-memory libp2p transport, in this process, driven
 * through one cycle on a virtual clock shared by all of them.
 *
 * Time stands still while agents start and connect, so no interval closes early; then the clock
 * jumps to the end of each interval in turn (plus grace) and every agent ticks until each border
 * holds its co-signed attestation, and finally to the end of the period, until each border holds
 * its co-signed statement. Only the lower PeerId of a border acts at these instants (the other
 * steps in half an interval later, which the clock never reaches), as in a healthy network.
 */
import { MemoryLevel } from 'memory-level'
import { Agent, checkConfig } from '@splitedge/agent'
import { net } from '@splitedge/node'
import { borderOf, openStore, type Store } from '@splitedge/store'
import type { Identity } from '@splitedge/wire'
import { adjacency } from './topology.js'
import {
  CLASSES, MEAN_VOLUME, NOISE, TOLERANCE, firstPeriodStart, heapNow, identities, inBatches, pricingOf, quietTraffic, startMeasure, until,
  type CycleOptions, type DesignResult, type PhaseResult
} from './cycle.js'
import { GossipMeter, figuresOf, sampleOf } from './counters.js'

/** The shared virtual clock: set by the runner, read by every agent. */
export class VirtualClock {
  constructor (public t: number) {}
  readonly now = (): number => this.t
}

interface Running { agent: Agent, store: Store, identity: Identity }

/** The agents of one run, and how many (agent, neighbour) pairs still lack something. */
class Fleet {
  readonly running: Running[] = []
  constructor (readonly ids: Identity[], readonly adj: number[][]) {}

  peerOf (j: number): string { return (this.ids[j] as Identity).peerId }

  /** Pairs for which `has(agent, neighbour's PeerId, agent's index)` is false, asked one at a time. */
  async missing (has: (r: Running, peer: string, i: number) => boolean | Promise<boolean>): Promise<number> {
    let missing = 0
    for (const [i, r] of this.running.entries()) {
      for (const j of this.adj[i] ?? []) if (!(await has(r, this.peerOf(j), i))) missing++
    }
    return missing
  }

  readonly tickAll = async (): Promise<void> => { await Promise.all(this.running.map(async r => await r.agent.tick())) }

  async scheduleAll (): Promise<void> {
    await Promise.all(this.running.map(async (r, i) => { for (const j of this.adj[i] ?? []) await r.agent.border.schedule(this.peerOf(j)) }))
  }
}

export async function runSplitedge (opts: CycleOptions): Promise<DesignResult> {
  const { graph, intervalMs: I, periodIntervals: K } = opts
  const batch = opts.batch ?? 64
  const T0 = firstPeriodStart(I * K)
  // Agents start half an interval before the period.
  const clock = new VirtualClock(T0 - Math.floor(I / 2))
  const heap0 = heapNow()
  const fleet = new Fleet(await identities(graph.n), adjacency(graph))
  const meter = new GossipMeter()
  const phases: PhaseResult[] = []
  try {
    const t0 = Date.now()
    await inBatches(fleet.ids, batch, async (identity, i) => { fleet.running[i] = await startAgent(opts, fleet, i, clock, meter) })
    phases.push({ name: 'start', ok: true, ms: Date.now() - t0, missing: 0 })
    phases.push(...await meshUp(fleet, meter, opts.phaseTimeoutMs))
    const measure = startMeasure(() => fleet.running.map(r => sampleOf(r.agent.libp2p, meter, r.store)), heap0)
    phases.push(...await settlePeriod(fleet, clock, T0, opts))
    const { samples, process, cycleMs } = measure()
    const incomplete = (phases[phases.length - 1] as PhaseResult).missing
    return { design: 'splitedge', n: graph.n, edges: graph.edges.length, agents: samples.map(figuresOf), samples, process, phases, incomplete, cycleMs }
  } finally {
    await inBatches(fleet.running.filter(r => r !== undefined), batch, async r => { await r.agent.stop() })
  }
}

const addrOf = (opts: CycleOptions, i: number): string => `/memory/${opts.runId}-se-${i}`

/** Agent i: its config (every neighbour a peer), an in-memory store, the shared clock, metered gossip. */
async function startAgent (opts: CycleOptions, fleet: Fleet, i: number, clock: VirtualClock, meter: GossipMeter): Promise<Running> {
  const config = checkConfig({
    name: `n${i}`,
    key: '/nonexistent',
    dataDir: '/nonexistent',
    listen: [addrOf(opts, i)],
    transport: 'memory',
    interval: { lengthMs: opts.intervalMs, graceMs: graceOf(opts) },
    settlement: { periodIntervals: opts.periodIntervals },
    usage: { source: 'synthetic', seed: opts.usageSeed, noise: NOISE, meanVolume: MEAN_VOLUME, classes: [...CLASSES] },
    clockSkewMs: 2000,
    neighbours: (fleet.adj[i] ?? []).map(j => ({ name: `n${j}`, peerId: fleet.peerOf(j), addrs: [addrOf(opts, j)], status: 'peer' as const, tolerance: TOLERANCE })),
    logLevel: 'silent'
  }, '/')
  const store = await openStore({ db: new MemoryLevel<string, Uint8Array>({ valueEncoding: 'view' }) })
  const identity = fleet.ids[i] as Identity
  // Ticks are driven by the runner (tickMs of an hour keeps the agent's own timer out of the way).
  const agent = await Agent.start({ config, identity, store, now: clock.now, tickMs: 3_600_000, http: false })
  meter.attach(agent.libp2p)
  return { agent, store, identity }
}

const graceOf = (opts: CycleOptions): number => Math.floor(opts.intervalMs / 5)

/** Before the measured cycle: every border connected, every neighbour subscribed to every agent's tariff topic, then quiet. */
async function meshUp (fleet: Fleet, meter: GossipMeter, timeoutMs: number): Promise<PhaseResult[]> {
  const connect = await until('connect', timeoutMs, async () => {
    const connected = fleet.running.map(r => new Set(r.agent.connected()))
    return await fleet.missing((_r, peer, i) => connected[i]?.has(peer) === true)
  }, undefined, 50)
  const subscribe = await until('subscribe', timeoutMs, async () => {
    const subscribed = fleet.running.map(r => new Set(r.agent.libp2p.services.pubsub.getSubscribers(net.tariffTopic(r.identity.peerId)).map(String)))
    return await fleet.missing((_r, peer, i) => subscribed[i]?.has(peer) === true)
  }, undefined, 50)
  return [connect, subscribe, await quietTraffic(fleet.running.map(r => r.agent.libp2p), meter, timeoutMs)]
}

/**
 * The measured cycle: tariffs published and synced, each interval attested on every border as
 * the clock jumps past its end, then the period settled.
 */
async function settlePeriod (fleet: Fleet, clock: VirtualClock, T0: number, opts: CycleOptions): Promise<PhaseResult[]> {
  const { intervalMs: I, periodIntervals: K, phaseTimeoutMs } = opts
  await Promise.all(fleet.running.map(async (r, i) => await r.agent.tariffs.publishOwn(pricingOf(i), 0)))
  const phases = [await until('tariffs', phaseTimeoutMs, async () => await fleet.missing(async (r, peer) => (await r.store.latestTariff(peer)) !== undefined))]
  const held = async (get: (r: Running, border: string) => Promise<unknown>): Promise<number> =>
    await fleet.missing(async (r, peer) => (await get(r, borderOf(r.identity.peerId, peer))) !== undefined)
  for (let k = 0; k < K; k++) {
    const start = T0 + k * I
    clock.t = start + I + graceOf(opts)
    await fleet.scheduleAll()
    phases.push(await until(`attest ${k}`, phaseTimeoutMs, async () => {
      const m = await held(async (r, b) => await r.store.getAttestation(b, start))
      if (m > 0 || k === K - 1) return m
      // The initiator's delivery must be acknowledged before the next step.
      let d = 0
      for (const r of fleet.running) d += (await r.agent.border.deliveries()).length
      return d
    }, fleet.tickAll))
  }
  // The last interval and the period close at the same instant; statements follow attestations.
  phases.push(await until('settle', phaseTimeoutMs, async () => await held(async (r, b) => await r.store.getStatement(b, T0)), fleet.tickAll))
  return phases
}
