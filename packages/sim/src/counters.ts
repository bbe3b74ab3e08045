/**
 * Per-agent counters for one cycle: traffic by protocol, stored keys and bytes.
 *
 * Request/response traffic comes from the agent's own node counters (one message per request
 * and per response, payload bytes). Gossip is counted here at the RPC level, because the agent's
 * counters see only its own publishes and what reaches its validators: every RPC frame a node
 * sends or receives (data messages, forwards of others' messages, duplicates, subscriptions and
 * control) is one message, and its encoded size is its bytes. Each RPC is seen once, at the
 * receiver, where gossipsub decodes it; the sender's side is credited at the same moment, so
 * both sides always agree.
 */
import { net } from '@splitedge/node'
import type { Store } from '@splitedge/store'

type NetNode = net.NetNode

export interface Traffic { messagesIn: number, messagesOut: number, bytesIn: number, bytesOut: number }

export const GOSSIP = 'gossipsub'

export const zeroTraffic = (): Traffic => ({ messagesIn: 0, messagesOut: 0, bytesIn: 0, bytesOut: 0 })

/** Gossip RPCs of one node, with what they carried. */
export interface GossipTally extends Traffic {
  /** Data messages (published or forwarded) carried in and out. */
  dataIn: number
  dataOut: number
  /** Control entries (IHAVE, IWANT, GRAFT, PRUNE, IDONTWANT) carried in and out. */
  controlIn: number
  controlOut: number
}

interface RpcLike {
  messages?: unknown[]
  control?: { ihave?: unknown[], iwant?: unknown[], graft?: unknown[], prune?: unknown[], idontwant?: unknown[] }
}

/** The two gossipsub methods the meter wraps, per instance (both are called in this order, synchronously). */
interface GossipInternals {
  decodeRpc: (bytes: Uint8Array) => RpcLike
  handleReceivedRpc: (from: { toString: () => string }, rpc: RpcLike) => Promise<void>
}

/** The hooks are gossipsub internals, outside its public types: checked at run time instead. */
function hasRpcHooks (ps: object): ps is GossipInternals {
  return 'decodeRpc' in ps && typeof ps.decodeRpc === 'function' && 'handleReceivedRpc' in ps && typeof ps.handleReceivedRpc === 'function'
}

const controlCount = (rpc: RpcLike): number => {
  const c = rpc.control
  if (c === undefined || c === null) return 0
  return (c.ihave?.length ?? 0) + (c.iwant?.length ?? 0) + (c.graft?.length ?? 0) + (c.prune?.length ?? 0) + (c.idontwant?.length ?? 0)
}

export class GossipMeter {
  private readonly tallies = new Map<string, GossipTally>()

  tally (peerId: string): GossipTally {
    let t = this.tallies.get(peerId)
    if (t === undefined) {
      t = { ...zeroTraffic(), dataIn: 0, dataOut: 0, controlIn: 0, controlOut: 0 }
      this.tallies.set(peerId, t)
    }
    return t
  }

  /** Count every gossip RPC `node` receives, and credit its sender if the sender is metered too. */
  attach (node: NetNode): void {
    const self = node.peerId.toString()
    const mine = this.tally(self)
    const ps = node.services.pubsub
    if (!hasRpcHooks(ps)) throw new TypeError('gossipsub internals changed: cannot meter RPCs')
    let lastBytes = 0
    const decode = ps.decodeRpc.bind(ps)
    const receive = ps.handleReceivedRpc.bind(ps)
    ps.decodeRpc = (bytes) => { lastBytes = bytes.length; return decode(bytes) }
    ps.handleReceivedRpc = async (from, rpc) => {
      const data = rpc.messages?.length ?? 0
      const control = controlCount(rpc)
      mine.messagesIn++
      mine.bytesIn += lastBytes
      mine.dataIn += data
      mine.controlIn += control
      const sender = this.tallies.get(from.toString())
      if (sender !== undefined) {
        sender.messagesOut++
        sender.bytesOut += lastBytes
        sender.dataOut += data
        sender.controlOut += control
      }
      return await receive(from, rpc)
    }
  }
}

/** One agent's counters at one moment. */
export interface Sample {
  /** By protocol id (request/response) plus `gossipsub`. */
  traffic: Record<string, Traffic>
  gossip: GossipTally
  storedKeys: number
  storedBytes: number
}

export function sampleOf (node: NetNode, meter: GossipMeter, store?: Store): Sample {
  const traffic: Record<string, Traffic> = {}
  for (const [protocol, c] of Object.entries(net.nodeCounters(node).requestResponse)) {
    traffic[protocol] = { messagesIn: c.messagesIn, messagesOut: c.messagesOut, bytesIn: c.bytesIn, bytesOut: c.bytesOut }
  }
  const g = { ...meter.tally(node.peerId.toString()) }
  traffic[GOSSIP] = { messagesIn: g.messagesIn, messagesOut: g.messagesOut, bytesIn: g.bytesIn, bytesOut: g.bytesOut }
  const s = store?.stats()
  return { traffic, gossip: g, storedKeys: s?.keys ?? 0, storedBytes: s?.bytesWritten ?? 0 }
}

/** `a - b`, counter by counter (a counter missing from `b` counts as 0). */
const minus = <K extends string>(a: Record<K, number>, b: Record<K, number> | undefined): Record<K, number> => {
  const out = { ...a }
  for (const k of Object.keys(a) as K[]) out[k] = a[k] - (b?.[k] ?? 0)
  return out
}

/** What happened between two samples of one agent. */
export function diffSample (after: Sample, before: Sample): Sample {
  const traffic: Record<string, Traffic> = {}
  for (const [p, t] of Object.entries(after.traffic)) traffic[p] = minus(t, before.traffic[p])
  return {
    traffic,
    gossip: minus(after.gossip, before.gossip),
    storedKeys: after.storedKeys - before.storedKeys,
    storedBytes: after.storedBytes - before.storedBytes
  }
}

/** Sum of traffic over every protocol. */
export function totalOf (s: Sample): Traffic {
  const t = zeroTraffic()
  for (const c of Object.values(s.traffic)) {
    t.messagesIn += c.messagesIn
    t.messagesOut += c.messagesOut
    t.bytesIn += c.bytesIn
    t.bytesOut += c.bytesOut
  }
  return t
}

/** Messages in and out, every protocol. */
export function trafficCount (s: Sample): number {
  const t = totalOf(s)
  return t.messagesIn + t.messagesOut
}

/** The flat per-agent figures the benchmark reports. */
export interface AgentFigures {
  /** In plus out, every protocol. */
  messages: number
  bytes: number
  messagesIn: number
  messagesOut: number
  bytesIn: number
  bytesOut: number
  storedKeys: number
  storedBytes: number
  [counter: string]: number
}

export function figuresOf (s: Sample): AgentFigures {
  const t = totalOf(s)
  const f: AgentFigures = {
    messages: t.messagesIn + t.messagesOut,
    bytes: t.bytesIn + t.bytesOut,
    ...t,
    storedKeys: s.storedKeys,
    storedBytes: s.storedBytes,
    gossipData: s.gossip.dataIn + s.gossip.dataOut,
    gossipControl: s.gossip.controlIn + s.gossip.controlOut
  }
  for (const [p, c] of Object.entries(s.traffic)) {
    f[`${p}:messages`] = c.messagesIn + c.messagesOut
    f[`${p}:bytes`] = c.bytesIn + c.bytesOut
  }
  return f
}

export interface Stat { mean: number, max: number }

/** Mean and max of every counter over agents (a counter missing for an agent counts as 0). */
export function stats (rows: AgentFigures[]): Record<string, Stat> {
  const keys = new Set(rows.flatMap(r => Object.keys(r)))
  const out: Record<string, Stat> = {}
  for (const k of [...keys].sort()) {
    let sum = 0
    let max = 0
    for (const r of rows) { const v = r[k] ?? 0; sum += v; if (v > max) max = v }
    out[k] = { mean: rows.length === 0 ? 0 : sum / rows.length, max }
  }
  return out
}
