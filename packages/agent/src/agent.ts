/**
 * One operator's agent: the libp2p node, the tariff book, the border and settle protocols, the usage
 * source and the HTTP API, wired together and driven by a periodic tick. Everything the agent must
 * finish lives as pending records in its store, so `tick` after a restart resumes where it stopped.
 */
import type { Logger } from 'pino'
import { decodeDocument, loadKeyFile, type Identity } from '@splitedge/wire'
import { openStore, StoreError, type Store } from '@splitedge/store'
import { ConfigError, type AgentConfig, type Neighbour } from './config/load.js'
import type { AgentContext, Defect } from './context.js'
import { createMetrics, type AgentMetrics } from './metrics.js'
import { DEFAULT_LIMITS, countRejections, createNode, nodeCounters, restrictRelay, type NetNode, type RelayPolicy } from '@splitedge/node'
import { libp2pNet, type NetPort } from '@splitedge/node'
import { nodeLogger, systemScheduler, type Scheduler } from '@splitedge/node'
import { TariffService } from './tariff/service.js'
import { TariffView } from './tariff/view.js'
import { loadTariffFile } from './tariff/file.js'
import { UsageSource } from './usage/source.js'
import { FlowCollector } from './flow/collector.js'
import { checkFlowUnit, flowSettings } from './flow/config.js'
import { BorderService } from './border/service.js'
import { SettleService } from './settle/service.js'
import { ClockWatch } from './clock/skew.js'
import { clockOf, systemClock } from './clock/clock.js'
import { Locks } from './border/run.js'
import type { EffectTrace } from './border/components.js'
import { startHttpApi, type HttpApi } from './http/api.js'

export interface AgentOptions {
  config: AgentConfig
  /** Default: loaded from `config.keyPath`. */
  identity?: Identity
  /** Default: LevelDB in `config.dataDir`. */
  store?: Store
  /** Default: the host's clock. */
  now?: () => number
  logger?: Logger
  /** How often the agent looks for work (default: a quarter interval, at most 1 s). */
  tickMs?: number
  /** Start the HTTP API when the config has one (default true). */
  http?: boolean
  /** The network; default: a libp2p node built from the config. */
  net?: NetPort
  /** When periodic work runs; default: system timers. */
  scheduler?: Scheduler
  /**
   * Metrics to count into; default: a registry of this agent's own. The simulator gives many agents
   * one, since a registry per agent is memory per agent (and time at every restart).
   */
  metrics?: AgentMetrics
  /** Simulator only: deliberate defects (see context.ts DEFECTS). */
  defects?: ReadonlySet<Defect>
  /** Tests and the simulator: told of every lifecycle effect after it ran (a throw stops the run there). */
  trace?: (e: EffectTrace) => void | Promise<void>
}

/**
 * Gossip stays between neighbours (and our clearers): any other peer gets an application score
 * far below gossipsub's graylist threshold, so it is never in our mesh, never receives our
 * publishes or gossip, and whatever it sends is dropped unread.
 */
export function neighbourOnlyGossip (config: AgentConfig): { scoreParams: { IPColocationFactorWeight: number, appSpecificWeight: number, appSpecificScore: (peer: string) => number } } {
  const allowed = new Set([...config.neighbours.map(n => n.peerId), ...config.clearers])
  return {
    scoreParams: {
      // Kept from the net layer's defaults (an override replaces the whole object).
      IPColocationFactorWeight: 0,
      appSpecificWeight: 1,
      appSpecificScore: (peer) => allowed.has(peer) ? 0 : -1000
    }
  }
}

const TARIFF_TOPIC_PREFIX = '/splitedge/tariff/1/'

/**
 * Who may receive a tariff from us: a tariff reaches only its issuer's neighbours and the
 * issuer's own clearers. On our own topic those are our configured neighbours and clearers. On a
 * neighbour X's topic we know X's neighbours only from X's signed tariff (its `pricing.statuses`
 * names them), so a version of X is relayed only to the peers it names itself, and we never
 * advertise X's versions by IHAVE: X's neighbours and clearers get them from X directly, and by
 * tariff sync. Every other topic is left to the score-based rules of `neighbourOnlyGossip`.
 */
export function tariffRelayPolicy (config: AgentConfig, me: string): RelayPolicy {
  const mine = new Set([...config.neighbours.map(n => n.peerId), ...config.clearers])
  const named = new WeakMap<Uint8Array, ReadonlySet<string>>()
  const namedBy = (data: Uint8Array, issuer: string): ReadonlySet<string> => {
    let set = named.get(data)
    if (set === undefined) {
      const d = decodeDocument(data, 'tariff')
      set = new Set(d.ok && d.value.body.issuer === issuer ? Object.keys(d.value.body.pricing.statuses ?? {}) : [])
      named.set(data, set)
    }
    return set
  }
  return (peer, topic, data) => {
    if (!topic.startsWith(TARIFF_TOPIC_PREFIX)) return true
    const issuer = topic.slice(TARIFF_TOPIC_PREFIX.length)
    if (issuer === me) return mine.has(peer)
    if (data === undefined || peer === issuer || peer === me) return false
    return namedBy(data, issuer).has(peer)
  }
}

/**
 * Room for a connection to every neighbour and clearer: libp2p prunes connections above
 * `maxConnections` (128 by default), which would drop borders of an agent with more neighbours,
 * and fails dials beyond its dial queue (500), which made an agent of 1,000 neighbours take minutes
 * to reach them all (backing off each failed dial).
 */
export function connectionLimits (config: AgentConfig): { maxConnections: number, maxDialQueueLength: number } {
  const peers = config.neighbours.length + config.clearers.length + 64
  return { maxConnections: Math.max(DEFAULT_LIMITS.maxConnections, peers), maxDialQueueLength: Math.max(DEFAULT_LIMITS.maxDialQueueLength, peers) }
}

/** A neighbour entry with our own PeerId is a config mistake (a copied config, the wrong key file). */
function checkNotSelf (config: AgentConfig, me: string): void {
  const i = config.neighbours.findIndex(n => n.peerId === me)
  if (i >= 0) throw new ConfigError(`neighbours[${i}].peerId`, `is this agent's own PeerId (${me}), not a neighbour's`, 'use the PeerId that the neighbour\'s `splitedge keygen` printed, or check that `key` is this operator\'s key file')
}

/** Start failures an operator can act on, as one line: the store's owner and lock, a port in use. */
function startError (err: unknown, config: AgentConfig): unknown {
  if (err instanceof StoreError && err.code === 'owner') return new ConfigError('key', err.message.replace(/^owner: /, ''), `use the key this data directory was created with, or give a new dataDir (${config.dataDir})`)
  if (err instanceof StoreError && (err.code === 'locked' || err.code === 'io' || err.code === 'full')) return new ConfigError('dataDir', err.message.replace(/^\w+: /, ''))
  const e = err as { code?: unknown, message?: unknown }
  if (e?.code === 'EADDRINUSE' || (typeof e?.message === 'string' && /EADDRINUSE|address already in use/i.test(e.message))) {
    return new ConfigError('listen', `an address is already in use (${config.listen.join(', ')})`, 'stop the process that holds it, or choose another port')
  }
  return err
}

/**
 * Borders worked on at once in a pass. Each border still waits only on its own neighbour, but an
 * agent with a thousand neighbours no longer starts a thousand exchanges at the same moment, which
 * on a busy machine made them time out together and be retried together (border-load bench).
 */
const CONCURRENT_BORDERS = 64

/** `fn` over `items`, at most `limit` running at once. */
async function eachAtMost<T> (limit: number, items: readonly T[], fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++] as T)
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
}

export class Agent {
  readonly ctx: AgentContext
  readonly tariffs: TariffService
  readonly view: TariffView
  readonly usage: UsageSource
  readonly border: BorderService
  readonly settle: SettleService
  readonly clock: ClockWatch
  /** The flow collector, when the usage source is `ipfix`. */
  flows: FlowCollector | undefined
  private cancelTick: (() => void) | undefined
  private ticking: Promise<void> | undefined
  private http: HttpApi | undefined
  private stopped = false

  private constructor (ctx: AgentContext, private readonly ownsStore: boolean, private readonly tickMs: number, private readonly scheduler: Scheduler, trace?: (e: EffectTrace) => void | Promise<void>) {
    this.ctx = ctx
    const { config, identity, store, net, neighbours, log, metrics, defects } = ctx
    const clock = clockOf(ctx.now)
    const lifecycle = trace === undefined ? {} : { trace }
    this.view = new TariffView(store)
    this.tariffs = new TariffService(ctx)
    this.usage = new UsageSource({
      config, me: identity.peerId, store, neighbours, clock, log, defects,
      since: async (peer) => await this.border.since(peer),
      priced: async (peer, start) => await this.priced(peer, start),
      classesFor: async (peer, start) => await this.classesFor(peer, start)
    })
    this.clock = new ClockWatch({ clock, allowanceMs: config.clockSkewMs, log, nameOf: (p) => neighbours.get(p)?.name ?? p, gauge: metrics.clockOffset })
    const locks = new Locks()
    this.border = new BorderService({
      config, identity, store, net, neighbours, clock, log, metrics, defects, ...lifecycle,
      usage: this.usage, tariffs: this.tariffs, view: this.view, skew: this.clock
    }, locks)
    this.settle = new SettleService({
      config, identity, store, net, neighbours, clock, log, metrics, defects, ...lifecycle,
      tariffs: this.tariffs, view: this.view, border: this.border
    }, locks)
  }

  static async start (opts: AgentOptions): Promise<Agent> {
    const { config } = opts
    const log = opts.logger ?? nodeLogger('agent', config.name, config.logLevel)
    const identity = opts.identity ?? await loadKeyFile(config.keyPath)
    checkNotSelf(config, identity.peerId)
    const store = opts.store ?? await openStore({ path: config.dataDir }).catch((err: unknown) => { throw startError(err, config) })
    // Whatever fails from here on closes what was opened: no half-started process keeps a port or the store.
    let net: NetPort | undefined = opts.net
    let node: NetNode | undefined
    let agent: Agent | undefined
    try {
      await store.claimOwner(identity.peerId)
      const metrics: AgentMetrics = opts.metrics ?? createMetrics({ defaultMetrics: opts.store === undefined })
      if (net === undefined) {
        node = await createNode({ privateKey: identity.privateKey, listen: config.listen, transport: config.transport, gossip: neighbourOnlyGossip(config), limits: connectionLimits(config) })
        restrictRelay(node, tariffRelayPolicy(config, identity.peerId))
        countRejections(node, metrics.rejected, log)
        net = libp2pNet(node, config.neighbours)
      }
      const neighbours = new Map<string, Neighbour>(config.neighbours.map(n => [n.peerId, n]))
      const ctx: AgentContext = { config, identity, store, net, node, neighbours, now: opts.now ?? systemClock.now, log, metrics, defects: opts.defects ?? new Set() }
      agent = new Agent(ctx, opts.store === undefined, opts.tickMs ?? Math.min(1000, Math.max(50, Math.floor(config.intervalMs / 4))), opts.scheduler ?? systemScheduler, opts.trace)
      await agent.boot(opts.http ?? true)
      return agent
    } catch (err) {
      if (agent !== undefined) await agent.stop().catch(() => {})
      else {
        await Promise.resolve(net?.stop()).catch(() => {})
        if (opts.store === undefined) await store.close().catch(() => {})
      }
      throw startError(err, config)
    }
  }

  private async boot (http: boolean): Promise<void> {
    const { ctx } = this
    await this.tariffs.start()
    await this.border.start()
    await this.settle.start()
    if (ctx.config.tariffPath !== undefined) await this.publishTariffFile(ctx.config.tariffPath)
    for (const peer of ctx.neighbours.keys()) await this.border.since(peer)
    await this.usage.start()
    const u = ctx.config.usage
    if (u.source === 'ipfix') {
      const me = ctx.identity.peerId
      const unitFor = async (start: number): Promise<string> => (await this.view.inForce(me, start) ?? await this.view.latest(me))?.pricing.unit ?? 'octet'
      this.flows = new FlowCollector(ctx, flowSettings(u, ctx.config.neighbours), async (fn) => await fn(), unitFor)
      this.usage.attachFeed(this.flows)
      await this.flows.start()
    }
    ctx.net.onConnection('connect', (peerId) => {
      ctx.log.info({ peer: this.border.nameOf(peerId) }, 'neighbour connected')
      ctx.metrics.neighboursConnected.set(ctx.net.connected().length)
      void this.tariffs.sync(peerId).then(async () => await this.tariffs.republish()).catch(() => {})
    })
    ctx.net.onConnection('disconnect', (peerId) => {
      ctx.log.info({ peer: this.border.nameOf(peerId) }, 'neighbour disconnected')
      ctx.metrics.neighboursConnected.set(ctx.net.connected().length)
    })
    await ctx.net.start()
    if (http && ctx.config.http !== undefined) this.http = await startHttpApi(this, ctx.config.http)
    // A failed pass (a store error, say) is logged and retried on the next tick, never left unhandled.
    this.cancelTick = this.scheduler.every(this.tickMs, () => { this.tick().catch((err: Error) => { ctx.log.warn({ err: err.message }, 'work pass failed; will retry') }) })
    ctx.log.info({ peerId: ctx.identity.peerId, listen: this.listening(), http: this.http?.url }, 'agent started')
  }

  /** Publish the tariff in a file if it differs from our current version. */
  async publishTariffFile (path: string | { text: string, name: string }): Promise<{ id: string, seq: number, status: 'published' | 'unchanged' }> {
    const names = new Map(this.ctx.config.neighbours.map(n => [n.name, n.peerId]))
    const statuses = Object.fromEntries(this.ctx.config.neighbours.map(n => [n.peerId, n.status]))
    const t = await loadTariffFile(path, names, statuses)
    if (this.ctx.config.usage.source === 'ipfix') checkFlowUnit(t.pricing.unit, `${typeof path === 'string' ? path : path.name}: unit`)
    return await this.tariffs.publishOwn(t.pricing, t.noticeMs)
  }

  get url (): string | undefined { return this.http?.url }
  get peerId (): string { return this.ctx.identity.peerId }
  connected (): string[] { return this.ctx.net.connected() }

  /** The libp2p node; only for an agent started on libp2p (not in the simulator). */
  get libp2p (): NetNode {
    if (this.ctx.node === undefined) throw new Error('this agent runs on a simulated network, not libp2p')
    return this.ctx.node
  }

  /** The addresses the node listens on (none on a simulated network). */
  listening (): string[] { return this.ctx.node?.getMultiaddrs().map(String) ?? [] }

  /**
   * Classes either tariff prices for an interval with `peer`, and our unit: the tariffs in force,
   * or the latest known versions when none is in force yet (a push may precede the effective time).
   */
  private async priced (peer: string, start: number): Promise<{ classes: Set<string>, unit: string | undefined }> {
    const me = this.ctx.identity.peerId
    const pick = async (who: string) => await this.view.inForce(who, start) ?? await this.view.latest(who)
    const [mine, theirs] = await Promise.all([pick(me), pick(peer)])
    const classes = new Set([...Object.keys(mine?.pricing.classes ?? {}), ...Object.keys(theirs?.pricing.classes ?? {})])
    return { classes, unit: mine?.pricing.unit ?? theirs?.pricing.unit }
  }

  /**
   * For the synthetic source: the classes both tariffs in force price under the same name in both
   * directions, with the SLA metrics each side's criteria judge (a bilateral block first). A class
   * a class map renames or carries another class as is left out: the synthetic source generates one
   * name for both directions, and a mapped class has two (usage of mapped classes comes from
   * measured sources, attested in the receiving side's names).
   */
  private async classesFor (peer: string, start: number): Promise<Array<{ class: string, sla: Array<{ subject: string, metric: string }> }>> {
    const me = this.ctx.identity.peerId
    const [mine, theirs] = await Promise.all([this.view.inForce(me, start), this.view.inForce(peer, start)])
    if (mine === undefined || theirs === undefined) return []
    const mapped = new Set<string>()
    for (const [t, other] of [[mine.pricing, peer], [theirs.pricing, me]] as const) {
      const map = t.classMap !== undefined && Object.hasOwn(t.classMap, other) ? t.classMap[other]! : {}
      for (const [k, v] of Object.entries(map)) if (k !== v) { mapped.add(k); mapped.add(v) }
    }
    const out = []
    for (const cls of Object.keys(mine.pricing.classes).sort()) {
      if (!Object.hasOwn(theirs.pricing.classes, cls) || mapped.has(cls)) continue
      const sla: Array<{ subject: string, metric: string }> = []
      for (const [subject, t, other] of [[me, mine, peer], [peer, theirs, me]] as const) {
        const bilateral = t.pricing.bilateralSla !== undefined && Object.hasOwn(t.pricing.bilateralSla, other) ? t.pricing.bilateralSla[other] : undefined
        const criteria = (bilateral !== undefined && Object.hasOwn(bilateral, cls) ? bilateral[cls] : undefined) ?? t.pricing.classes[cls]?.sla ?? []
        for (const c of criteria) sla.push({ subject, metric: c.metric })
      }
      out.push({ class: cls, sla })
    }
    return out
  }

  /** One pass over all pending work. Never runs twice at once. */
  async tick (): Promise<void> {
    if (this.ticking !== undefined) return await this.ticking
    this.ticking = this.work().finally(() => { this.ticking = undefined })
    return await this.ticking
  }

  /**
   * One pass over all pending work. Borders are worked on side by side: a neighbour that does not
   * answer holds up only its own border, never the others (a lost message costs one border a
   * request timeout, found by the simulator).
   */
  private async work (): Promise<void> {
    if (this.stopped) return
    const connected = new Set(this.ctx.net.connected())
    const now = this.ctx.now()
    // At most CONCURRENT_BORDERS at once: a burst of D exchanges at 1,000 borders timed out together.
    await eachAtMost(CONCURRENT_BORDERS, [...this.ctx.neighbours.keys()], async peer => await this.workOn(peer, connected.has(peer), now))
    for (const d of await this.border.deliveries()) {
      if (connected.has(d.peer) && !this.stopped) await this.border.exchange(d.peer, d.start)
    }
  }

  /**
   * One border: record the intervals that closed, work on the pending ones (each lifecycle knows
   * when it is due: the lower PeerId of a border goes first, the other steps in if it has not),
   * then settle the periods that are due.
   */
  private async workOn (peer: string, connected: boolean, now: number): Promise<void> {
    const { ctx } = this
    try {
      await this.border.schedule(peer)
      if (!connected || this.stopped) return
      for (const { start } of (await this.border.pending(peer)).slice(0, 32)) {
        if (this.stopped) return
        await this.border.exchange(peer, start)
      }
      await this.settle.work(peer, peer > ctx.identity.peerId, now)
    } catch (err) {
      ctx.log.warn({ peer: this.border.nameOf(peer), err: (err as Error).message }, 'border work failed; will retry')
    }
  }

  /** Per-protocol message and byte counters of the libp2p node. */
  counters (): ReturnType<typeof nodeCounters> | Record<string, never> { return this.ctx.node === undefined ? {} : nodeCounters(this.ctx.node) }

  async stop (): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    this.cancelTick?.()
    await this.ticking?.catch(() => {})
    await this.flows?.stop()
    await this.http?.close()
    await this.ctx.net.stop()
    if (this.ownsStore) await this.ctx.store.close()
    this.ctx.log.info('agent stopped')
  }
}
