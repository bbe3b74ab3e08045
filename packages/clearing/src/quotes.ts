/**
 * Quotes: end-to-end prices signed from the tariffs in force now (pricing.ts), kept numbered in
 * the `clearing-quote` area (the newest QUOTES_KEPT), listed newest first, and served on the
 * libp2p quote protocol.
 */
import { decodeFrame, encodeFrame } from '@splitedge/node'
import { clearingKeys, type IssuedQuote } from '@splitedge/store'
import { docId, encodeDocument, sign, type Quote, type QuoteBody, type Result } from '@splitedge/wire'
import type { ClearerParts } from './components.js'
import { QuoteRequestFrame, QuoteResponseFrame } from './frames.js'
import { priceQuote, type MarginPolicy, type PricedQuote, type PricedTariff, type QuoteRequest } from './pricing.js'

/** How many issued quotes are kept; past it the oldest slot is reused. */
export const QUOTES_KEPT = 10_000

export type QuoteOutcome = Result<{ doc: Quote, priced: PricedQuote }, { code: string, message: string }>

export interface QuoteDeskInit {
  margin: MarginPolicy
  quoteTtlMs: number
  /** Random bytes for quote nonces. */
  random: (n: number) => Uint8Array
}

export type QuoteDeskParts = Pick<ClearerParts, 'identity' | 'store' | 'records' | 'clock' | 'view' | 'serves' | 'metrics'>

export class QuoteDesk {
  /** Quotes are numbered one after another (apart from clearing, which may wait on the network). */
  private quoteLog: Promise<unknown> = Promise.resolve()

  constructor (private readonly init: QuoteDeskInit, private readonly c: QuoteDeskParts) {}

  /** Price and sign a quote from the tariffs in force now. */
  async quote (req: QuoteRequest): Promise<QuoteOutcome> {
    const { c } = this
    const now = c.clock.now()
    for (const e of req.ends) {
      if (!c.serves(e.operator)) return { ok: false, error: { code: 'not-served', message: `this clearer does not clear for ${e.operator}` } }
    }
    const tariffs = new Map<string, PricedTariff>()
    for (const e of req.ends) {
      const t = await c.view.inForce(e.operator, now)
      if (t !== undefined) tariffs.set(e.operator, { id: t.id, pricing: t.pricing })
    }
    const priced = priceQuote(req, (op) => tariffs.get(op), this.init.margin)
    if (!priced.ok) return priced
    const p = priced.value
    const body: QuoteBody = {
      clearer: c.identity.peerId,
      nonce: Buffer.from(this.init.random(16)).toString('hex'),
      ends: req.ends.map(e => ({ operator: e.operator, role: e.role })),
      class: req.class,
      volume: req.volume,
      apportion: req.apportion.kind === 'shares' ? { kind: 'shares', shares: req.apportion.shares } : { kind: req.apportion.kind },
      charges: p.charges,
      margin: p.margin,
      currency: p.currency,
      decimals: p.decimals,
      tariffs: p.tariffs,
      issued: now,
      expires: now + this.init.quoteTtlMs
    }
    const signed = sign(c.identity, 'quote', body)
    if (!signed.ok) return { ok: false, error: { code: 'invalid', message: signed.error.message } }
    await this.keep(signed.value, p.total)
    c.metrics.accepted.inc({ kind: 'quote' })
    return { ok: true, value: { doc: signed.value, priced: p } }
  }

  /** Store an issued quote under the next number; past QUOTES_KEPT the oldest slot is reused. */
  private async keep (doc: Quote, total: string): Promise<void> {
    const { records, store } = this.c
    const run = this.quoteLog.then(async () => {
      const seq = await records.counter('quotes') + 1
      const kept: IssuedQuote = { seq, id: docId(doc), total, body: doc.body }
      const w = await store.batch().put(records.quotes, clearingKeys.quote(seq % QUOTES_KEPT), kept).put(records.counters, clearingKeys.counter('quotes'), seq).write()
      if (!w.ok) throw new Error(`quote ${kept.id} not stored: ${w.results.join(',')}`)
    })
    this.quoteLog = run.catch(() => {})
    await run
  }

  /** Issued quotes, newest first: up to `limit` numbered below `before` (default: from the newest). */
  async quotes (limit: number, before?: number): Promise<{ items: IssuedQuote[], next?: number }> {
    const { records } = this.c
    const count = await records.counter('quotes')
    const oldest = Math.max(1, count - QUOTES_KEPT + 1)
    const items: IssuedQuote[] = []
    let seq = Math.min(count, (before ?? count + 1) - 1)
    for (; seq >= oldest && items.length < limit; seq--) {
      const q = await records.quote(seq % QUOTES_KEPT)
      if (q !== undefined && q.seq === seq) items.push(q)
    }
    return seq >= oldest ? { items, next: seq + 1 } : { items }
  }

  /** The quote protocol's handler: a request frame in, a quote or a refusal out. */
  async serve (bytes: Uint8Array): Promise<Uint8Array> {
    let req: QuoteRequestFrame
    try { req = decodeFrame(QuoteRequestFrame, bytes) } catch (e) {
      return encodeFrame(QuoteResponseFrame, { k: 'refused', code: 'malformed', reason: (e as Error).message.slice(0, 500) })
    }
    const r = await this.quote(req)
    return r.ok
      ? encodeFrame(QuoteResponseFrame, { k: 'quote', doc: encodeDocument(r.value.doc) })
      : encodeFrame(QuoteResponseFrame, { k: 'refused', code: r.error.code, reason: r.error.message.slice(0, 500) })
  }

  /** Resolves once every quote being kept is written. */
  async idle (): Promise<void> { await this.quoteLog.catch(() => {}) }
}
