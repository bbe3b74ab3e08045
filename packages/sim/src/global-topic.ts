/**
 * Baseline (b): one global tariff topic. The same neighbour graph of libp2p nodes, but every node
 * subscribes to one gossipsub topic and publishes its signed tariff there, so every node receives,
 * verifies and forwards every tariff. Only tariff distribution differs from splitedge: the
 * bilateral border and settle traffic is the same protocol on the same borders, so `withBilateral`
 * adds each agent's measured border/settle/sync traffic from the splitedge run of the same graph.
 */
import { net } from '@splitedge/node'
import { decodeDocument, verifyDocument, type Identity } from '@splitedge/wire'
import { adjacency } from './topology.js'
import { heapNow, identities, inBatches, quietTraffic, startMeasure, until, type CycleOptions, type DesignResult, type PhaseResult } from './cycle.js'
import { GOSSIP, GossipMeter, figuresOf, sampleOf } from './counters.js'
import { tariffBytes, SimError } from './documents.js'

export const GLOBAL_TOPIC = '/splitedge-sim/tariff/1/global'

export async function runGlobalTopic (opts: CycleOptions): Promise<DesignResult> {
  const { graph, runId } = opts
  const batch = opts.batch ?? 64
  const adj = adjacency(graph)
  const heap0 = heapNow()
  const meter = new GossipMeter()
  const nodes: Array<{ node: net.NetNode, identity: Identity, accepted: Set<string> }> = []
  const phases: PhaseResult[] = []
  try {
    const t0 = Date.now()
    const ids = await identities(graph.n)
    await inBatches(ids, batch, async (identity, i) => {
      const node = await net.createNode({ privateKey: identity.privateKey, listen: [`/memory/${runId}-gt-${i}`], transport: 'memory' })
      meter.attach(node)
      const accepted = new Set<string>()
      net.subscribe(node, GLOBAL_TOPIC, (bytes, from) => {
        const d = decodeDocument(bytes, 'tariff')
        if (!d.ok || d.value.body.issuer !== from || !verifyDocument(d.value).ok) return 'reject'
        if (from !== identity.peerId) accepted.add(from)
        return 'accept'
      }, () => {})
      nodes[i] = { node, identity, accepted }
    })
    await inBatches(graph.edges, batch, async ([a, b]) => {
      const to = nodes[b]?.node.getMultiaddrs()[0]
      if (to === undefined) throw new SimError('protocol', `node ${b} has no address`)
      await nodes[a]?.node.dial(to)
    })
    phases.push({ name: 'start', ok: true, ms: Date.now() - t0, missing: 0 })
    phases.push(await until('subscribe', opts.phaseTimeoutMs, () => {
      let missing = 0
      nodes.forEach((x, i) => {
        const subs = new Set(x.node.services.pubsub.getSubscribers(GLOBAL_TOPIC).map(String))
        for (const j of adj[i] ?? []) if (!subs.has(nodes[j]?.identity.peerId ?? '')) missing++
      })
      return missing
    }, undefined, 50))
    phases.push(await quietTraffic(nodes.map(x => x.node), meter, opts.phaseTimeoutMs))

    const measure = startMeasure(() => nodes.map(x => sampleOf(x.node, meter)), heap0)
    const now = Date.now()
    await Promise.all(nodes.map(async (x, i) => await net.publish(x.node, GLOBAL_TOPIC, tariffBytes(x.identity, i, now))))
    const received = await until('tariffs', opts.phaseTimeoutMs, () => nodes.reduce((s, x) => s + Math.max(0, graph.n - 1 - x.accepted.size), 0))
    phases.push(received)
    // Let the last forwards and the gossip about them land before reading counters.
    phases.push(await quietTraffic(nodes.map(x => x.node), meter, opts.phaseTimeoutMs, 1200))
    const { samples, process, cycleMs } = measure()
    return { design: 'globalTopic', n: graph.n, edges: graph.edges.length, agents: samples.map(figuresOf), samples, process, phases, incomplete: received.missing, cycleMs }
  } finally {
    await inBatches(nodes.filter(x => x !== undefined), batch, async x => { await x.node.stop() })
  }
}

/**
 * The global-topic design's full cycle: its measured tariff gossip plus, per agent, the bilateral
 * request/response traffic (border, settle, tariff sync) that the splitedge agents measured on
 * the same borders, and the same stored documents. Process totals (CPU, heap, signatures) add both
 * runs' totals; the splitedge run's include its per-issuer tariff gossip, so they are an upper bound.
 */
export function withBilateral (gt: DesignResult, se: DesignResult): DesignResult {
  if (gt.n !== se.n) throw new SimError('protocol', 'global-topic and splitedge runs differ in size')
  const samples = gt.samples.map((s, i) => {
    const bilateral = Object.entries(se.samples[i]?.traffic ?? {}).filter(([p]) => p !== GOSSIP)
    return { ...s, traffic: { ...s.traffic, ...Object.fromEntries(bilateral) }, storedKeys: se.samples[i]?.storedKeys ?? 0, storedBytes: se.samples[i]?.storedBytes ?? 0 }
  })
  return {
    ...gt,
    samples,
    agents: samples.map(figuresOf),
    process: {
      cpuMs: gt.process.cpuMs + se.process.cpuMs,
      heapBytes: gt.process.heapBytes + se.process.heapBytes,
      signaturesVerified: gt.process.signaturesVerified + se.process.signaturesVerified
    }
  }
}
