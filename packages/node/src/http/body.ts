/**
 * Reading a request: bodies are size-limited and must say they are JSON; list queries take a
 * cursor, a limit and filters, checked before anything reads the store.
 */
import type { IncomingMessage } from 'node:http'
import { HttpError } from './errors.js'

export const MAX_BODY = 4 * 1024 * 1024

/** The raw body, refused past MAX_BODY (413). */
export async function readBody (req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const c of req) {
    size += (c as Buffer).length
    if (size > MAX_BODY) throw new HttpError('oversize', `body over ${MAX_BODY} bytes`)
    chunks.push(c as Buffer)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/** A JSON body: `content-type` must be application/json (415 otherwise), the text must parse (400). */
export async function readJson (req: IncomingMessage): Promise<unknown> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? ''
  if (type !== 'application/json') throw new HttpError('unsupported-media-type', `content-type must be application/json, got ${type === '' ? 'none' : JSON.stringify(type)}`)
  const text = await readBody(req)
  try { return JSON.parse(text) } catch { throw new HttpError('malformed', 'body is not JSON') }
}

export interface ListQuery { limit: number, after?: string, neighbour?: string, from?: number, to?: number }

export const DEFAULT_LIMIT = 200
export const MAX_LIMIT = 1000

/** `limit`, `cursor`, `neighbour`, `from` and `to` of a list request, checked. */
export function listQuery (q: URLSearchParams): ListQuery {
  const int = (name: string, min: number, max: number): number | undefined => {
    const v = q.get(name)
    if (v === null) return undefined
    if (!/^[0-9]{1,16}$/.test(v) || Number(v) < min || Number(v) > max) throw new HttpError('invalid', `${name}: must be a whole number from ${min} to ${max}`)
    return Number(v)
  }
  const cursor = q.get('cursor')
  let after: string | undefined
  if (cursor !== null) {
    if (!/^[A-Za-z0-9_-]{1,1024}$/.test(cursor)) throw new HttpError('invalid', 'cursor: not a cursor from a previous page')
    after = Buffer.from(cursor, 'base64url').toString('utf8')
  }
  const neighbour = q.get('neighbour') ?? undefined
  const from = int('from', 0, Number.MAX_SAFE_INTEGER)
  const to = int('to', 0, Number.MAX_SAFE_INTEGER)
  return {
    limit: int('limit', 1, MAX_LIMIT) ?? DEFAULT_LIMIT,
    ...(after !== undefined ? { after } : {}),
    ...(neighbour !== undefined ? { neighbour } : {}),
    ...(from !== undefined ? { from } : {}),
    ...(to !== undefined ? { to } : {})
  }
}

/** Headers that point at the next page: `Link: <…>; rel="next"` and `X-Next-Cursor`. */
export function nextPageHeaders (url: URL, next: string | undefined): Record<string, string> {
  if (next === undefined) return {}
  const cursor = Buffer.from(next, 'utf8').toString('base64url')
  const u = new URL(url.pathname + url.search, 'http://agent')
  u.searchParams.set('cursor', cursor)
  return { link: `<${u.pathname}${u.search}>; rel="next"`, 'x-next-cursor': cursor }
}

/** One page of an in-memory list: items after index `after` (a decimal string). */
export function pageOf<T> (all: T[], q: ListQuery): { items: T[], next?: string } {
  const start = q.after === undefined ? 0 : Number(q.after) + 1
  if (!Number.isSafeInteger(start) || start < 0) throw new HttpError('invalid', 'cursor: not a cursor from a previous page')
  const items = all.slice(start, start + q.limit)
  const end = start + items.length
  return end < all.length ? { items, next: String(end - 1) } : { items }
}
