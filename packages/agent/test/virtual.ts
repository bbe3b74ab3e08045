/**
 * Agents on virtual time and an in-memory network, for tests that must not wait on the wall clock:
 * time moves only when the test says, periodic work runs only when the test calls `tick`, and a
 * request runs the peer's handler directly. A crash drops the agent, its store handle and its port
 * (uncommitted writes lost, as with kill -9); a restart opens a new store over the same database.
 */
import { MemoryLevel } from 'memory-level'
import { pino } from 'pino'
import { net, type NetPort, type Scheduler } from '@splitedge/node'
import { openStore, type Store } from '@splitedge/store'
import type { Identity } from '@splitedge/wire'
import { Agent, type AgentOptions } from '../src/agent.js'
import type { AgentConfig } from '../src/config/load.js'

type Handler = Parameters<NetPort['handle']>[1]
type HandleOpts = Parameters<NetPort['handle']>[2]
type Validator = Parameters<NetPort['subscribe']>[1]
type OnMessage = Parameters<NetPort['subscribe']>[2]

interface Endpoint {
  handlers: Map<string, { handler: Handler, opts: HandleOpts }>
  topics: Map<string, { validate: Validator, onMessage: OnMessage }>
  listeners: { connect: Array<(peer: string) => void>, disconnect: Array<(peer: string) => void> }
  up: boolean
}

/** Time that moves only when set. */
export class VirtualClock {
  constructor (public t: number) {}
  readonly now = (): number => this.t
}

/** Periodic work that never fires by itself: the test calls `agent.tick()`. */
export const manualScheduler: Scheduler = { every: () => () => {} }

/** Let promises started by the last step run to the end (no timers: only the event loop's queues). */
export async function drain (rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>(resolve => setImmediate(resolve))
}

/** An in-memory network between ports: requests call the peer's handler; gossip reaches subscribers. */
export class MemNet {
  private readonly endpoints = new Map<string, Endpoint>()
  /** Linked pairs; while none is linked, every pair is. */
  private readonly links = new Set<string>()
  /** Requests answered, per protocol. */
  readonly requests = new Map<string, number>()

  /** The peer's process died: its port is down at once (its agent is stopped later). */
  down (peer: string): void {
    const e = this.endpoints.get(peer)
    if (e !== undefined) e.up = false
  }

  /** Let `a` and `b` reach each other (once any pair is linked, only linked pairs can). */
  link (a: string, b: string): void { this.links.add(a < b ? `${a}|${b}` : `${b}|${a}`) }

  private reachable (a: string, b: string): boolean {
    const linked = this.links.size === 0 || this.links.has(a < b ? `${a}|${b}` : `${b}|${a}`)
    return a !== b && linked && this.endpoints.get(a)?.up === true && this.endpoints.get(b)?.up === true
  }

  /** The port of `self`; a new call (after a crash) replaces the old one. */
  port (self: string): NetPort {
    const e: Endpoint = { handlers: new Map(), topics: new Map(), listeners: { connect: [], disconnect: [] }, up: false }
    this.endpoints.set(self, e)
    const peers = (): string[] => [...this.endpoints.keys()].filter(p => this.reachable(self, p))
    return {
      handle: async (protocol, handler, opts) => { e.handlers.set(protocol, { handler, opts }) },
      unhandle: async (protocol) => { e.handlers.delete(protocol) },
      request: async (peer, protocol, bytes, opts) => await this.request(self, peer, protocol, bytes, opts.maxResponseBytes),
      subscribe: (topic, validate, onMessage) => { e.topics.set(topic, { validate, onMessage }) },
      unsubscribe: (topic) => { e.topics.delete(topic) },
      publish: async (topic, bytes) => await this.publish(self, topic, bytes),
      connected: () => peers(),
      onConnection: (event, listener) => { e.listeners[event].push(listener) },
      start: async () => {
        e.up = true
        for (const p of peers()) { this.notify(self, p, 'connect'); this.notify(p, self, 'connect') }
      },
      stop: async () => {
        if (!e.up || this.endpoints.get(self) !== e) { e.up = false; return }
        const before = peers()
        e.up = false
        for (const p of before) this.notify(p, self, 'disconnect')
      }
    }
  }

  private notify (self: string, peer: string, event: 'connect' | 'disconnect'): void {
    for (const l of this.endpoints.get(self)?.listeners[event] ?? []) l(peer)
  }

  private async request (from: string, to: string, protocol: string, bytes: Uint8Array, maxResponseBytes: number): Promise<Uint8Array> {
    if (!this.reachable(from, to)) throw new net.RequestError('unreachable', `${to} is not reachable`)
    const h = this.endpoints.get(to)?.handlers.get(protocol)
    if (h === undefined) throw new net.RequestError('unsupported', `${protocol} not served`)
    if (!h.opts.allow(from)) throw new net.RequestError('refused', 'not allowed')
    if (bytes.length > h.opts.maxRequestBytes) throw new net.RequestError('oversize', 'request over the limit')
    this.requests.set(protocol, (this.requests.get(protocol) ?? 0) + 1)
    let body: Uint8Array
    try {
      body = await h.handler(bytes, from, { signal: new AbortController().signal })
    } catch (err) {
      throw new net.RequestError('remote', err instanceof net.HandlerError ? err.message : 'internal error')
    }
    if (!this.reachable(from, to)) throw new net.RequestError('closed', 'the connection went down')
    if (body.length > maxResponseBytes) throw new net.RequestError('oversize', 'response over the limit')
    return body
  }

  private async publish (from: string, topic: string, bytes: Uint8Array): Promise<number> {
    let n = 0
    for (const [peer, e] of this.endpoints) {
      const sub = e.topics.get(topic)
      if (sub === undefined || !this.reachable(from, peer)) continue
      n++
      if ((await sub.validate(bytes, from, { from, propagationSource: from })) === 'accept') sub.onMessage(bytes, from)
    }
    return n
  }
}

/** One agent of a virtual world, restartable over its database. */
export class VirtualAgent {
  agent: Agent
  store: Store
  private readonly make: (store: Store) => Promise<Agent>

  private constructor (readonly identity: Identity, private readonly network: MemNet, readonly db: MemoryLevel<string, Uint8Array>, make: (store: Store) => Promise<Agent>, agent: Agent, store: Store) {
    this.make = make
    this.agent = agent
    this.store = store
  }

  static async start (config: AgentConfig, identity: Identity, network: MemNet, clock: VirtualClock, extra: Partial<AgentOptions> = {}): Promise<VirtualAgent> {
    const make = async (store: Store): Promise<Agent> => await Agent.start({
      config, identity, store, logger: pino({ level: process.env.SPLITEDGE_TEST_LOG ?? 'silent' }), http: false,
      now: clock.now, net: network.port(identity.peerId), scheduler: manualScheduler, ...extra
    })
    const db = new MemoryLevel<string, Uint8Array>({ valueEncoding: 'view' })
    const store = await openStore({ db })
    return new VirtualAgent(identity, network, db, make, await make(store), store)
  }

  get peerId (): string { return this.identity.peerId }

  /**
   * kill -9, callable from inside the agent's own work: from now on nothing it has not committed is
   * written and nobody reaches it. `bury` then lets go of the dead agent.
   */
  kill (): void {
    this.store.abandon()
    this.network.down(this.identity.peerId)
  }

  async bury (): Promise<void> { await this.agent.stop().catch(() => {}) }

  /** Start a new agent over the same database, as a restarted process. */
  async restart (): Promise<void> {
    this.store = await openStore({ db: this.db })
    this.agent = await this.make(this.store)
  }

  async stop (): Promise<void> { await this.agent.stop() }
}

/** Agents on one virtual clock and one in-memory network, driven by the test. */
export class VirtualWorld {
  private constructor (readonly clock: VirtualClock, readonly network: MemNet, readonly agents: VirtualAgent[], readonly tickMs: number) {}

  /**
   * Start agents for `configs` (their identities in order) at virtual time `t0`; `tickMs` is how far
   * time moves between two passes of every agent (default: a quarter interval, as agents tick).
   */
  static async start (configs: AgentConfig[], identities: Identity[], t0: number, extra: Partial<AgentOptions> | ((i: number, clock: VirtualClock) => Partial<AgentOptions>) = {}): Promise<VirtualWorld> {
    const clock = new VirtualClock(t0)
    const network = new MemNet()
    for (const [i, config] of configs.entries()) for (const n of config.neighbours) network.link((identities[i] as Identity).peerId, n.peerId)
    const agents: VirtualAgent[] = []
    for (const [i, config] of configs.entries()) agents.push(await VirtualAgent.start(config, identities[i] as Identity, network, clock, typeof extra === 'function' ? extra(i, clock) : extra))
    await drain()
    return new VirtualWorld(clock, network, agents, Math.floor((configs[0]?.intervalMs ?? 4000) / 4))
  }

  get now (): number { return this.clock.t }

  /** One pass of every agent's work, one after the other, at the current time. */
  async tick (): Promise<void> {
    for (const a of this.agents) {
      await a.agent.tick()
      await drain()
    }
  }

  /** Move time to `t` in steps of `tickMs`, every agent working at each step. */
  async advance (t: number): Promise<void> {
    while (this.clock.t < t) {
      this.clock.t = Math.min(t, this.clock.t + this.tickMs)
      await this.tick()
    }
  }

  /** Work and move time on until `cond` holds, at most `withinMs` of virtual time. */
  async until (what: string, cond: () => Promise<boolean>, withinMs: number): Promise<void> {
    const deadline = this.clock.t + withinMs
    for (;;) {
      await this.tick()
      if (await cond()) return
      if (this.clock.t >= deadline) throw new Error(`not within ${withinMs} ms of virtual time: ${what}`)
      this.clock.t = Math.min(deadline, this.clock.t + this.tickMs)
    }
  }

  async stop (): Promise<void> { await Promise.all(this.agents.map(async a => await a.stop())) }
}
