/**
 * A simulated network for real agents: each agent gets a NetPort whose requests and gossip travel
 * as events on the virtual-time queue, between linked peers only, with a latency and faults drawn
 * from the seeded generator. The agents' services run unchanged on it.
 */
import { net, type ConnectionEvent, type NetPort } from '@splitedge/node'
import type { Rng } from '../rng.js'
import type { EventQueue } from './time.js'

type Handler = Parameters<NetPort['handle']>[1]
type HandleOpts = Parameters<NetPort['handle']>[2]
type Validator = Parameters<NetPort['subscribe']>[1]
type OnMessage = Parameters<NetPort['subscribe']>[2]

interface Endpoint {
  handlers: Map<string, { handler: Handler, opts: HandleOpts }>
  topics: Map<string, { validate: Validator, onMessage: OnMessage }>
  listeners: Record<ConnectionEvent, Array<(peer: string) => void>>
  up: boolean
}

export interface NetFaults {
  /** Probability that one message (request, response or gossip) is lost. */
  loss: number
  /** Latency of one message: min + a seeded share of spread, in virtual ms. */
  latencyMs: { min: number, spread: number }
  /** Probability that a request is delivered twice (the handler runs twice; the first answer wins). */
  duplicate?: number
}

export const NO_FAULTS: NetFaults = { loss: 0, latencyMs: { min: 5, spread: 20 } }

const linkKey = (a: string, b: string): string => a < b ? `${a}|${b}` : `${b}|${a}`

export class SimNetwork {
  private readonly endpoints = new Map<string, Endpoint>()
  /** Each peer's linked peers, and each endpoint's rank (the order endpoints were first made). */
  private readonly adjacent = new Map<string, Set<string>>()
  private readonly rank = new Map<string, number>()
  /** Linked peers in endpoint order, cached until an endpoint or a link is added. */
  private readonly ordered = new Map<string, { version: number, peers: string[] }>()
  private version = 0
  private readonly cut = new Set<string>()
  /** Messages sent, by kind, for the run's summary. */
  readonly sent = { requests: 0, responses: 0, gossip: 0, lost: 0, duplicated: 0 }

  constructor (private readonly queue: EventQueue, private readonly rng: Rng, public faults: NetFaults = NO_FAULTS) {}

  link (a: string, b: string): void {
    for (const [x, y] of [[a, b], [b, a]] as const) {
      let set = this.adjacent.get(x)
      if (set === undefined) this.adjacent.set(x, set = new Set())
      set.add(y)
    }
    this.version++
  }

  /**
   * The peers linked to `self`, in the order their endpoints were made (peers without one last):
   * the order a scan of every endpoint gave, at the cost of the degree instead of N.
   */
  private linked (self: string): string[] {
    const hit = this.ordered.get(self)
    if (hit !== undefined && hit.version === this.version) return hit.peers
    const rankOf = (p: string): number => this.rank.get(p) ?? Infinity
    const peers = [...(this.adjacent.get(self) ?? [])].sort((x, y) => rankOf(x) - rankOf(y))
    this.ordered.set(self, { version: this.version, peers })
    return peers
  }

  /** Cut or heal a border: while cut, nothing crosses it and both sides see a disconnection. */
  setCut (a: string, b: string, isCut: boolean): void {
    const k = linkKey(a, b)
    if (isCut === this.cut.has(k)) return
    if (isCut) this.cut.add(k)
    else this.cut.delete(k)
    for (const [x, y] of [[a, b], [b, a]] as const) this.notify(x, y, isCut ? 'disconnect' : 'connect')
  }

  private reachable (a: string, b: string): boolean {
    return this.adjacent.get(a)?.has(b) === true && !this.cut.has(linkKey(a, b)) && this.endpoints.get(a)?.up === true && this.endpoints.get(b)?.up === true
  }

  private latency (): number { return this.faults.latencyMs.min + Math.floor(this.rng() * (this.faults.latencyMs.spread + 1)) }
  private lost (): boolean { const l = this.rng() < this.faults.loss; if (l) this.sent.lost++; return l }

  private notify (self: string, peer: string, event: ConnectionEvent): void {
    const e = this.endpoints.get(self)
    if (e === undefined || !e.up) return
    this.queue.after(this.latency(), `${event} ${self.slice(-6)}<-${peer.slice(-6)}`, () => { for (const l of e.listeners[event]) l(peer) })
  }

  /** The port of `self`; calling it again after a crash gives the restarted agent a fresh one. */
  port (self: string): NetPort {
    const e: Endpoint = { handlers: new Map(), topics: new Map(), listeners: { connect: [], disconnect: [] }, up: false }
    this.endpoints.set(self, e)
    if (!this.rank.has(self)) { this.rank.set(self, this.rank.size); this.version++ }
    const peers = (): string[] => this.linked(self).filter(p => p !== self && this.reachable(self, p))
    return {
      handle: async (protocol, handler, opts) => { e.handlers.set(protocol, { handler, opts }) },
      unhandle: async (protocol) => { e.handlers.delete(protocol) },
      request: async (peer, protocol, bytes, opts) => await this.request(self, peer, protocol, bytes, opts),
      subscribe: (topic, validate, onMessage) => { e.topics.set(topic, { validate, onMessage }) },
      unsubscribe: (topic) => { e.topics.delete(topic) },
      publish: async (topic, bytes) => this.publish(self, topic, bytes),
      connected: () => peers(),
      onConnection: (event, listener) => { e.listeners[event].push(listener) },
      start: async () => {
        e.up = true
        for (const p of peers()) { this.notify(self, p, 'connect'); this.notify(p, self, 'connect') }
      },
      stop: async () => {
        if (!e.up) return
        const before = peers()
        e.up = false
        for (const p of before) this.notify(p, self, 'disconnect')
      }
    }
  }

  /** Deliver a request after a latency, run the handler, deliver its answer; time out on virtual time. */
  private async request (from: string, to: string, protocol: string, bytes: Uint8Array, opts: { maxResponseBytes: number, timeoutMs: number }): Promise<Uint8Array> {
    return await new Promise<Uint8Array>((resolve, reject) => {
      let done = false
      const finish = (f: () => void): void => { if (!done) { done = true; cancelTimeout(); f() } }
      const cancelTimeout = this.queue.after(opts.timeoutMs, `timeout ${protocol}`, () => finish(() => reject(new net.RequestError('timeout', `no answer within ${opts.timeoutMs} ms`))))
      if (!this.reachable(from, to)) { this.queue.after(1, `unreachable ${protocol}`, () => finish(() => reject(new net.RequestError('unreachable', `${to} is not reachable`)))); return }
      this.sent.requests++
      if (this.lost()) return
      const copies = this.rng() < (this.faults.duplicate ?? 0) ? 2 : 1
      if (copies === 2) this.sent.duplicated++
      for (let c = 0; c < copies; c++) this.queue.after(this.latency(), `deliver ${protocol} ${from.slice(-6)}->${to.slice(-6)}`, async () => {
        const answer = await this.serve(from, to, protocol, bytes)
        if (answer === undefined || !this.reachable(from, to)) return
        this.sent.responses++
        if (this.lost()) return
        this.queue.after(this.latency(), `answer ${protocol} ${to.slice(-6)}->${from.slice(-6)}`, () => finish(() => {
          if (answer.ok) {
            if (answer.body.length > opts.maxResponseBytes) reject(new net.RequestError('oversize', 'response over the limit'))
            else resolve(answer.body)
          } else reject(new net.RequestError('remote', answer.reason))
        }))
      })
    })
  }

  private async serve (from: string, to: string, protocol: string, bytes: Uint8Array): Promise<{ ok: true, body: Uint8Array } | { ok: false, reason: string } | undefined> {
    const h = this.endpoints.get(to)?.handlers.get(protocol)
    if (h === undefined) return { ok: false, reason: `protocol ${protocol} not served` }
    if (!h.opts.allow(from)) return { ok: false, reason: 'refused: not a neighbour' }
    if (bytes.length > h.opts.maxRequestBytes) return { ok: false, reason: 'oversize' }
    try {
      return { ok: true, body: await h.handler(bytes, from, { signal: new AbortController().signal }) }
    } catch (err) {
      // As over libp2p: only a handler's deliberate refusal reaches the peer; anything else is internal.
      return { ok: false, reason: err instanceof net.HandlerError ? err.message : 'internal error' }
    }
  }

  /** Publish as `from` without its agent (a hostile party using its key): counted like any gossip. */
  publishAs (from: string, topic: string, bytes: Uint8Array): number { return this.publish(from, topic, bytes) }

  /** Gossip goes to linked, reachable peers subscribed to the topic; their validator decides. */
  private publish (from: string, topic: string, bytes: Uint8Array): number {
    let n = 0
    for (const peer of this.linked(from)) {
      const sub = this.endpoints.get(peer)?.topics.get(topic)
      if (peer === from || sub === undefined || !this.reachable(from, peer)) continue
      n++
      this.sent.gossip++
      if (this.lost()) continue
      this.queue.after(this.latency(), `gossip ${from.slice(-6)}->${peer.slice(-6)}`, async () => {
        const verdict = await sub.validate(bytes, from, { from, propagationSource: from })
        if (verdict === 'accept') sub.onMessage(bytes, from)
      })
    }
    return n
  }
}
