/**
 * The agent's tariff service: @splitedge/node's tariff book (gossip ingest with every wire rule,
 * tariff sync, publishing, equivocation evidence) given the agent's parts, plus what only an agent
 * does with it: a unit mismatch between our tariff and a neighbour's is a dispute on that border,
 * and our tariff is re-announced when a neighbour connects, at most once per interval.
 */
import { decodeDocument } from '@splitedge/wire'
import type { PricingTariff } from '@splitedge/model'
import { borderOf } from '@splitedge/store'
import { TariffSignError, tariffBook, type IngestResult, type PublishResult, type TariffBook, type Via } from '@splitedge/node'
import type { AgentContext } from '../context.js'
import { ConfigError } from '../config/load.js'

export type { IngestResult } from '@splitedge/node'

export class TariffService {
  /** The node's tariff book this service runs on. */
  readonly book: TariffBook
  private lastRepublish: number | undefined

  constructor (private readonly ctx: AgentContext, follow: Iterable<string> = ctx.neighbours.keys()) {
    this.book = tariffBook({
      follows: follow,
      maySync: (peer) => ctx.neighbours.has(peer) || ctx.config.clearers.includes(peer),
      clockSkewMs: ctx.config.clockSkewMs,
      onStored: async (issuer) => { await this.checkUnits(issuer) }
    })({
      identity: ctx.identity,
      store: ctx.store,
      net: ctx.net,
      clock: { now: () => ctx.now() },
      log: ctx.log,
      counters: ctx.metrics,
      defects: ctx.defects
    })
  }

  /** Issuers whose tariffs we keep: our neighbours. */
  get follows (): Set<string> { return this.book.follows }

  async start (): Promise<void> { await this.book.start() }

  async ingest (bytes: Uint8Array, issuer: string, via: Via): Promise<IngestResult> { return await this.book.ingest(bytes, issuer, via) }

  /** Fetch a neighbour's current tariff and any versions we lack (best effort; never rejects). */
  async sync (peer: string): Promise<void> { await this.book.sync(peer) }

  /** A neighbour's tariff by id, fetched from it if we do not hold it. */
  async ensure (peer: string, id: string): Promise<boolean> { return await this.book.ensure(peer, id) }

  /**
   * Sign and publish a new version of our own tariff. Unchanged pricing publishes nothing and
   * returns the current version. `effective` defaults to the earliest the notice period allows.
   */
  async publishOwn (pricing: PricingTariff, noticeMs: number, effective?: number): Promise<PublishResult> {
    try {
      return await this.book.publishOwn(pricing, noticeMs, effective)
    } catch (err) {
      // The loader checks the wire schema first; anything left is still the operator's to fix, not a 500.
      if (err instanceof TariffSignError) throw new ConfigError(`tariff${err.path !== undefined ? ` ${err.path}` : ''}`, `cannot be signed: ${err.message}`)
      throw err
    }
  }

  /**
   * Compare units across each border `issuer`'s newest tariff touches: two tariffs priced per
   * different units cannot settle, so a mismatch is a dispute (in /v1/disputes and the log), opened
   * once per pair of versions; a later matching pair resolves it.
   */
  private async checkUnits (issuer: string): Promise<void> {
    const { ctx } = this
    const me = ctx.identity.peerId
    const mine = await this.latestPricing(me)
    if (mine === undefined) return
    for (const peer of issuer === me ? [...ctx.neighbours.keys()] : ctx.neighbours.has(issuer) ? [issuer] : []) {
      const theirs = await this.latestPricing(peer)
      if (theirs === undefined) continue
      const border = borderOf(me, peer)
      if (theirs.pricing.unit === mine.pricing.unit) {
        for (const d of await ctx.store.listDisputes(border, 'open')) {
          if (d.kind === 'settlement' && d.key.startsWith('unit:')) await ctx.store.resolveDispute({ kind: 'settlement', border, key: d.key, resolution: { tariffs: [mine.id, theirs.id], unit: mine.pricing.unit }, time: ctx.now() })
        }
        continue
      }
      const name = ctx.neighbours.get(peer)?.name ?? peer
      const reason = `unit mismatch: ${name} prices per ${theirs.pricing.unit} (tariff ${theirs.id}), we price per ${mine.pricing.unit} (tariff ${mine.id}); this border cannot settle until one side publishes a tariff in the other's unit`
      const r = await ctx.store.putDispute({ kind: 'settlement', border, key: `unit:${mine.id}:${theirs.id}`, detail: { reason, ours: { tariff: mine.id, unit: mine.pricing.unit }, theirs: { tariff: theirs.id, unit: theirs.pricing.unit } }, time: ctx.now() })
      if (r === 'created') {
        ctx.metrics.disputes.inc({ kind: 'settlement' })
        ctx.log.warn({ peer: name, ours: mine.pricing.unit, theirs: theirs.pricing.unit }, reason)
      }
    }
  }

  private async latestPricing (issuer: string): Promise<{ id: string, pricing: PricingTariff } | undefined> {
    const rec = await this.ctx.store.latestTariff(issuer)
    if (rec === undefined) return undefined
    const d = decodeDocument(rec.bytes, 'tariff')
    return d.ok ? { id: rec.id, pricing: d.value.body.pricing as PricingTariff } : undefined
  }

  /**
   * Re-announce our current tariff after a neighbour connects (gossip may have missed it). At most
   * once per interval: every neighbour also fetches our tariff by sync when it connects, and an
   * announcement per connection would cost a hub D² messages when it starts (found by the
   * Internet-scale simulation).
   */
  async republish (): Promise<void> {
    const now = this.ctx.now()
    if (this.lastRepublish !== undefined && now - this.lastRepublish < this.ctx.config.intervalMs) return
    this.lastRepublish = now
    await this.book.announce()
  }
}
