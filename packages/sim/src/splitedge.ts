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
import { generateIdentity, type Identity } from '@splitedge/wire'
import { adjacency } from './topology.js'
import { CLASSES, MEAN_VOLUME, NOISE, TOLERANCE, ProcessMeter, heapNow, inBatches, pricingOf, sleep, until, type CycleOptions, type PhaseResult, type ProcessTotals } from './cycle.js'
import { GossipMeter, diffSample, figuresOf, sampleOf, totalOf, type AgentFigures, type Sample } from './counters.js'

export interface DesignResult {
  design: string
  n: number
  edges: number
  /** One row per agent (hub excluded). */
  agents: AgentFigures[]
  /** Raw per-agent samples of the cycle, by protocol. */
  samples: Sample[]
  /** The central core's own figures, when the design has one. */
  hub?: AgentFigures
  process: ProcessTotals
  phases: PhaseResult[]
  /** Borders without a co-signed statement (or the baseline's equivalent) when the cycle ended. */
  incomplete: number
  /** Wall-clock ms of the measured cycle. */
  cycleMs: number
}

/** The shared virtual clock: set by the runner, read by every agent. */
export class VirtualClock {
  constructor (public t: number) {}
  readonly now = (): number => this.t
}

interface Running { agent: Agent, store: Store, identity: Identity }

export async function runSplitedge (opts: CycleOptions): Promise<DesignResult> {
  const { graph, intervalMs: I, periodIntervals: K, runId } = opts
  const batch = opts.batch ?? 64
  const adj = adjacency(graph)
  const grace = Math.floor(I / 5)
  const period = I * K
  // A period boundary comfortably after now; agents start half an interval before it.
  const T0 = (Math.floor(Date.now() / period) + 2) * period
  const clock = new VirtualClock(T0 - Math.floor(I / 2))
  const heap0 = heapNow()
  const ids = await inBatches(Array.from({ length: graph.n }, (_, i) => i), 256, async () => await generateIdentity())
  const addr = (i: number): string => `/memory/${runId}-se-${i}`
  const meter = new GossipMeter()
  const running: Running[] = []
  const phases: PhaseResult[] = []
  try {
    const t0 = Date.now()
    await inBatches(ids, batch, async (identity, i) => {
      const config = checkConfig({
        name: `n${i}`,
        key: '/nonexistent',
        dataDir: '/nonexistent',
        listen: [addr(i)],
        transport: 'memory',
        interval: { lengthMs: I, graceMs: grace },
        settlement: { periodIntervals: K },
        usage: { source: 'synthetic', seed: opts.usageSeed, noise: NOISE, meanVolume: MEAN_VOLUME, classes: [...CLASSES] },
        clockSkewMs: 2000,
        neighbours: (adj[i] ?? []).map(j => ({ name: `n${j}`, peerId: (ids[j] as Identity).peerId, addrs: [addr(j)], status: 'peer' as const, tolerance: TOLERANCE })),
        logLevel: 'silent'
      }, '/')
      const store = await openStore({ db: new MemoryLevel<string, Uint8Array>({ valueEncoding: 'view' }) as never })
      // Ticks are driven by the runner (tickMs of an hour keeps the agent's own timer out of the way).
      const agent = await Agent.start({ config, identity, store, now: clock.now, tickMs: 3_600_000, http: false })
      meter.attach(agent.libp2p)
      running[i] = { agent, store, identity }
    })
    phases.push({ name: 'start', ok: true, ms: Date.now() - t0, missing: 0 })
    const all = (): Running[] => running
    const peerOf = (j: number): string => (ids[j] as Identity).peerId

    phases.push(await until('connect', opts.phaseTimeoutMs, () => {
      let missing = 0
      all().forEach((r, i) => { const c = new Set(r.agent.connected()); for (const j of adj[i] ?? []) if (!c.has(peerOf(j))) missing++ })
      return missing
    }, undefined, 50))
    phases.push(await until('subscribe', opts.phaseTimeoutMs, () => {
      let missing = 0
      all().forEach((r, i) => {
        const subs = new Set(r.agent.libp2p.services.pubsub.getSubscribers(net.tariffTopic(r.identity.peerId)).map(String))
        for (const j of adj[i] ?? []) if (!subs.has(peerOf(j))) missing++
      })
      return missing
    }, undefined, 50))
    phases.push(await quiet(() => all().reduce((s, r) => s + trafficCount(sampleOf(r.agent.libp2p, meter)), 0), opts.phaseTimeoutMs))

    // ---- the measured cycle ----
    const before = all().map(r => sampleOf(r.agent.libp2p, meter, r.store))
    const proc = new ProcessMeter(heap0)
    const c0 = Date.now()
    await Promise.all(all().map(async (r, i) => await r.agent.tariffs.publishOwn(pricingOf(i), 0)))
    phases.push(await until('tariffs', opts.phaseTimeoutMs, async () => {
      let missing = 0
      for (const [i, r] of all().entries()) {
        for (const j of adj[i] ?? []) if ((await r.store.latestTariff(peerOf(j))) === undefined) missing++
      }
      return missing
    }))
    const tickAll = async (): Promise<void> => {
      await Promise.all(all().map(async r => await r.agent.tick()))
    }
    const scheduleAll = async (): Promise<void> => {
      await Promise.all(all().map(async (r, i) => { for (const j of adj[i] ?? []) await r.agent.border.schedule(peerOf(j)) }))
    }
    const perBorder = async (has: (r: Running, border: string) => Promise<boolean>): Promise<number> => {
      let missing = 0
      for (const [i, r] of all().entries()) {
        for (const j of adj[i] ?? []) if (!(await has(r, borderOf(r.identity.peerId, peerOf(j))))) missing++
      }
      return missing
    }
    for (let k = 0; k < K; k++) {
      const start = T0 + k * I
      clock.t = start + I + grace
      await scheduleAll()
      phases.push(await until(`attest ${k}`, opts.phaseTimeoutMs, async () => {
        const m = await perBorder(async (r, b) => (await r.store.getAttestation(b, start)) !== undefined)
        if (m > 0 || k === K - 1) return m
        // The initiator's delivery must be acknowledged before the next step.
        let d = 0
        for (const r of all()) d += (await r.agent.border.deliveries()).length
        return d
      }, tickAll))
    }
    // The last interval and the period close at the same instant; statements follow attestations.
    phases.push(await until('settle', opts.phaseTimeoutMs, async () => await perBorder(async (r, b) => (await r.store.getStatement(b, T0)) !== undefined), tickAll))
    const cycleMs = Date.now() - c0
    const process = proc.read()
    const after = all().map(r => sampleOf(r.agent.libp2p, meter, r.store))
    const samples = after.map((a, i) => diffSample(a, before[i] as Sample))
    const incomplete = (phases[phases.length - 1] as PhaseResult).missing
    return { design: 'splitedge', n: graph.n, edges: graph.edges.length, agents: samples.map(figuresOf), samples, process, phases, incomplete, cycleMs }
  } finally {
    await inBatches(running.filter(r => r !== undefined), batch, async r => { await r.agent.stop() })
  }
}

export function trafficCount (s: Sample): number {
  const t = totalOf(s)
  return t.messagesIn + t.messagesOut
}

/** Wait until a traffic total stops moving for a while (connection-time syncs and mesh grafts). */
export async function quiet (total: () => number, timeoutMs: number, windowMs = 1500): Promise<PhaseResult> {
  const t0 = Date.now()
  let last = total()
  let since = Date.now()
  while (Date.now() - since < windowMs && Date.now() - t0 < timeoutMs) {
    await sleep(100)
    const now = total()
    if (now !== last) { last = now; since = Date.now() }
  }
  return { name: 'quiet', ok: Date.now() - since >= windowMs, ms: Date.now() - t0, missing: 0 }
}
