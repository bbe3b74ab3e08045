/**
 * `GET /v1/quotes?limit=&cursor=`: the quotes the clearer issued, newest first, a page at a time
 * like the agent's lists (`X-Next-Cursor` and `Link: <…>; rel="next"` name the next page), each
 * with its expiry and whether a receipt used it. A receipt names no quote, so "used" means: a
 * receipt between two of the quote's operators, of its class, was cleared while the quote was
 * valid (the receipt is named).
 */
import { HttpError as ApiError, listQuery, nextPageHeaders } from '@splitedge/node'
import type { ClearedRecord, IssuedQuote } from '@splitedge/store'
import type { ClearerApi } from './api.js'

export const DEFAULT_QUOTES = 50
export const MAX_QUOTES = 1000

/** `limit` and `cursor`, read as the agent's lists read them; the cursor is a quote's number. */
function pageQuery (q: URLSearchParams): { limit: number, before?: number } {
  const { limit, after } = listQuery(q)
  if (limit > MAX_QUOTES) throw new ApiError('invalid', `limit: must be a whole number from 1 to ${MAX_QUOTES}`, 'limit')
  const effective = q.get('limit') === null ? DEFAULT_QUOTES : limit
  if (after === undefined) return { limit: effective }
  const before = Number(after)
  if (!Number.isSafeInteger(before) || before < 1) throw new ApiError('invalid', 'cursor: not a cursor from a previous page', 'cursor')
  return { limit: effective, before }
}

/** The receipt that used `q`, if any. */
function usedBy (q: IssuedQuote, receipts: ClearedRecord[]): ClearedRecord | undefined {
  const ops = new Set(q.body.ends.map(e => e.operator))
  return receipts.find(r => ops.has(r.local) && ops.has(r.remote) && r.class === q.body.class && r.time >= q.body.issued && r.time < q.body.expires)
}

export async function quotesPage (c: ClearerApi, url: URL): Promise<{ items: unknown[], headers: Record<string, string> }> {
  const { limit, before } = pageQuery(url.searchParams)
  const page = await c.quotes(limit, before)
  const receipts = page.items.length === 0 ? [] : await c.cleared()
  const now = c.ctx.clock.now()
  const items = page.items.map(q => {
    const b = q.body
    const r = usedBy(q, receipts)
    return {
      seq: q.seq, id: q.id, issued: b.issued, expires: b.expires, class: b.class, volume: b.volume, apportion: b.apportion.kind,
      ends: b.ends.map(e => ({ name: c.nameOf(e.operator), peerId: e.operator, role: e.role })),
      charges: b.charges.map(x => ({ operator: c.nameOf(x.operator), payer: c.nameOf(x.payer), amount: x.amount })),
      total: q.total, margin: b.margin, currency: b.currency,
      status: r !== undefined ? 'used' : now < b.expires ? 'open' : 'expired',
      receipt: r?.receipt ?? null
    }
  })
  return { items, headers: nextPageHeaders(url, page.next === undefined ? undefined : String(page.next)) }
}
