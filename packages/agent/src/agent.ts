/**
 * One operator's agent: the libp2p node, the tariff book, the border and settle protocols, the usage
 * source and the HTTP API, wired together and driven by a periodic tick. Everything the agent must
 * finish lives as pending records in its store, so `tick` after a restart resumes where it stopped.
 */
import { pino, type Logger } from 'pino'
import { loadKeyFile, type Identity } from '@splitedge/wire'
import { openStore, borderOf, type Store } from '@splitedge/store'
import type { AgentConfig, Neighbour } from './config/load.js'
import type { AgentContext } from './context.js'
import { createMetrics, type AgentMetrics } from './http/metrics.js'
import { createNode, NeighbourSet, Redialer, nodeCounters, type NetNode } from './net/index.js'
import { TariffService } from './tariff/service.js'
import { TariffView } from './tariff/view.js'
import { loadTariffFile } from './tariff/file.js'
import { UsageSource } from './usage/source.js'
import { BorderService } from './border/service.js'
import { SettleService } from './settle/service.js'
import { periodOf, type Period } from './clock/intervals.js'
import { startHttpApi, type HttpApi } from './http/api.js'

export interface AgentOptions {
  config: AgentConfig
  /** Default: loaded from `config.keyPath`. */
  identity?: Identity
  /** Default: LevelDB in `config.dataDir`. */
  store?: Store
  /** Default: Date.now. */
  now?: () => number
  logger?: Logger
  /** How often the agent looks for work (default: a quarter interval, at most 1 s). */
  tickMs?: number
  /** Start the HTTP API when the config has one (default true). */
  http?: boolean
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

export class Agent {
  readonly ctx: AgentContext
  readonly tariffs: TariffService
  readonly view: TariffView
  readonly usage: UsageSource
  readonly border: BorderService
  readonly settle: SettleService
  private readonly redialer: Redialer
  private timer: NodeJS.Timeout | undefined
  private ticking: Promise<void> | undefined
  private readonly settleCursor = new Map<string, number>()
  private http: HttpApi | undefined
  private stopped = false

  private constructor (ctx: AgentContext, private readonly ownsStore: boolean, private readonly tickMs: number) {
    this.ctx = ctx
    this.view = new TariffView(ctx.store)
    this.tariffs = new TariffService(ctx)
    this.usage = new UsageSource(ctx, async (peer, start) => await this.classesFor(peer, start))
    this.border = new BorderService(ctx, this.usage, this.tariffs, this.view)
    this.settle = new SettleService(ctx, this.border, this.tariffs, this.view)
    this.redialer = new Redialer(ctx.node, NeighbourSet.fromConfig(ctx.config.neighbours), { backoff: { baseMs: 200, maxMs: 10_000 } })
  }

  static async start (opts: AgentOptions): Promise<Agent> {
    const { config } = opts
    const log = opts.logger ?? pino({ level: config.logLevel, base: { agent: config.name } })
    const identity = opts.identity ?? await loadKeyFile(config.keyPath)
    const store = opts.store ?? await openStore({ path: config.dataDir })
    const metrics: AgentMetrics = createMetrics({ defaultMetrics: opts.store === undefined })
    let node: NetNode
    try {
      node = await createNode({ privateKey: identity.privateKey, listen: config.listen, transport: config.transport, gossip: neighbourOnlyGossip(config) })
    } catch (err) {
      if (opts.store === undefined) await store.close()
      throw err
    }
    const neighbours = new Map<string, Neighbour>(config.neighbours.map(n => [n.peerId, n]))
    const ctx: AgentContext = { config, identity, store, node, neighbours, now: opts.now ?? Date.now, log, metrics }
    const agent = new Agent(ctx, opts.store === undefined, opts.tickMs ?? Math.min(1000, Math.max(50, Math.floor(config.intervalMs / 4))))
    try {
      await agent.boot(opts.http ?? true)
    } catch (err) {
      // A start that fails half-way (a bad usage file, a port in use) leaves nothing running.
      await agent.stop().catch(() => {})
      throw err
    }
    return agent
  }

  private async boot (http: boolean): Promise<void> {
    const { ctx } = this
    await this.tariffs.start()
    await this.border.start()
    await this.settle.start()
    await this.usage.start()
    if (ctx.config.tariffPath !== undefined) await this.publishTariffFile(ctx.config.tariffPath)
    for (const peer of ctx.neighbours.keys()) await this.border.since(peer)
    this.redialer.on('connect', ({ peerId }) => {
      ctx.log.info({ peer: this.border.nameOf(peerId) }, 'neighbour connected')
      ctx.metrics.neighboursConnected.set(this.redialer.connected().length)
      void this.tariffs.sync(peerId).then(async () => await this.tariffs.republish()).catch(() => {})
    })
    this.redialer.on('disconnect', ({ peerId }) => {
      ctx.log.info({ peer: this.border.nameOf(peerId) }, 'neighbour disconnected')
      ctx.metrics.neighboursConnected.set(this.redialer.connected().length)
    })
    await this.redialer.start()
    if (http && ctx.config.http !== undefined) this.http = await startHttpApi(this, ctx.config.http)
    this.timer = setInterval(() => { void this.tick() }, this.tickMs)
    ctx.log.info({ peerId: ctx.identity.peerId, listen: ctx.node.getMultiaddrs().map(String), http: this.http?.url }, 'agent started')
  }

  /** Publish the tariff in a file if it differs from our current version. */
  async publishTariffFile (path: string): Promise<{ id: string, seq: number, status: 'published' | 'unchanged' }> {
    const names = new Map(this.ctx.config.neighbours.map(n => [n.name, n.peerId]))
    const statuses = Object.fromEntries(this.ctx.config.neighbours.map(n => [n.peerId, n.status]))
    const t = await loadTariffFile(path, names, statuses)
    return await this.tariffs.publishOwn(t.pricing, t.noticeMs)
  }

  get url (): string | undefined { return this.http?.url }
  get peerId (): string { return this.ctx.identity.peerId }
  connected (): string[] { return this.redialer.connected() }

  /** Classes both tariffs in force price, with the SLA metrics each side's criteria judge. */
  private async classesFor (peer: string, start: number): Promise<Array<{ class: string, sla: Array<{ subject: string, metric: string }> }>> {
    const me = this.ctx.identity.peerId
    const [mine, theirs] = await Promise.all([this.view.inForce(me, start), this.view.inForce(peer, start)])
    if (mine === undefined || theirs === undefined) return []
    const out = []
    for (const cls of Object.keys(mine.pricing.classes).sort()) {
      if (theirs.pricing.classes[cls] === undefined) continue
      const sla: Array<{ subject: string, metric: string }> = []
      for (const [subject, t] of [[me, mine], [peer, theirs]] as const) {
        for (const c of t.pricing.classes[cls]?.sla ?? []) sla.push({ subject, metric: c.metric })
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

  private async work (): Promise<void> {
    if (this.stopped) return
    const { ctx } = this
    const connected = new Set(this.redialer.connected())
    const now = ctx.now()
    const { intervalMs, graceMs } = ctx.config
    for (const peer of ctx.neighbours.keys()) {
      if (this.stopped) return
      try {
        await this.border.schedule(peer)
        if (!connected.has(peer)) continue
        const first = peer > ctx.identity.peerId
        for (const { start } of (await this.border.pending(peer)).slice(0, 32)) {
          // The lower PeerId of a border goes first; the other side steps in if it has not.
          if (!first && now < start + intervalMs + graceMs + intervalMs / 2) continue
          await this.border.exchange(peer, start)
        }
        await this.settlePeriods(peer, first, now)
      } catch (err) {
        ctx.log.warn({ peer: this.border.nameOf(peer), err: (err as Error).message }, 'border work failed; will retry')
      }
    }
    for (const d of await this.border.deliveries()) {
      if (connected.has(d.peer)) await this.border.deliver(d.peer, d.start)
    }
  }

  private async settlePeriods (peer: string, first: boolean, now: number): Promise<void> {
    const { ctx } = this
    const len = ctx.config.intervalMs * ctx.config.periodIntervals
    const border = borderOf(ctx.identity.peerId, peer)
    let start = this.settleCursor.get(peer) ?? periodOf(await this.border.since(peer), ctx.config.intervalMs, ctx.config.periodIntervals).start
    // The cursor is the oldest period not yet done; it only moves past a period that is done.
    this.settleCursor.set(peer, start)
    for (let n = 0; n < 64 && start + len + ctx.config.graceMs <= now; n++, start += len) {
      const p: Period = { start, end: start + len }
      if ((await ctx.store.getStatement(border, start)) !== undefined) { this.advance(peer, start, len); continue }
      const dispute = await ctx.store.getDispute('settlement', border, String(start).padStart(16, '0'))
      if (dispute !== undefined && dispute.status === 'open') { this.advance(peer, start, len); continue }
      if (!first && now < p.end + ctx.config.graceMs + ctx.config.intervalMs) break
      let outcome = await this.settle.settle(peer, p)
      if (outcome === 'retry') outcome = await this.settle.settle(peer, p)
      if (outcome === 'settled' || outcome === 'declined' || outcome === 'disputed') { this.advance(peer, start, len); continue }
      if (outcome === 'nothing') {
        // Every interval was skipped or disputed: nothing to co-sign for this period. While a usage
        // dispute in it is open, a revision may still attest an interval, so the cursor stays here
        // (later periods are still visited) and the period is tried again on the next tick.
        const ready = await this.settle.ready(peer, p)
        if (ready.ok) {
          const open = (await ctx.store.listDisputes(border, 'open')).some(d => d.kind === 'usage' && Number(d.key) >= p.start && Number(d.key) < p.end)
          if (!open) this.advance(peer, start, len)
          continue
        }
      }
      break
    }
  }

  private advance (peer: string, start: number, len: number): void {
    if (this.settleCursor.get(peer) === start) this.settleCursor.set(peer, start + len)
  }

  /** Per-protocol message and byte counters of the libp2p node. */
  counters (): ReturnType<typeof nodeCounters> { return nodeCounters(this.ctx.node) }

  async stop (): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    if (this.timer !== undefined) clearInterval(this.timer)
    await this.ticking?.catch(() => {})
    await this.http?.close()
    await this.redialer.stop()
    await this.ctx.node.stop()
    if (this.ownsStore) await this.ctx.store.close()
    this.ctx.log.info('agent stopped')
  }
}
