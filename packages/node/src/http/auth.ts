/**
 * Who may call what. With `http.token` (or `http.tokenFile`) configured, every write needs
 * `Authorization: Bearer <token>` from any address and reads from other hosts need it too; reads
 * from loopback stay open. Without a token, writes are as before: counter pushes open, operator
 * actions from loopback only.
 *
 * CSRF: the token travels only in the Authorization header, which a browser never adds on its
 * own (no cookie is ever set), and a write whose `Origin` or `Sec-Fetch-Site` says it comes from
 * another site is refused, so a page elsewhere cannot make an operator's browser write.
 */
import { timingSafeEqual, createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import type { IncomingMessage } from 'node:http'
import type { Counter } from 'prom-client'
import type { Refusals } from '@splitedge/wire'
import { HttpError } from './errors.js'
import type { RouteSpec } from './spec.js'

export const isLoopback = (addr: string | undefined): boolean => addr === '127.0.0.1' || addr === '::1' || addr === '::ffff:127.0.0.1'

/** The HTTP settings that carry a token: inline or in a file (read once at start). */
export interface TokenSettings { token?: string, tokenFile?: string }

/** The configured token, or undefined; a token file that cannot be read or is empty stops the start. */
export async function loadToken (s: TokenSettings | undefined): Promise<string | undefined> {
  if (s?.token !== undefined) return s.token
  if (s?.tokenFile === undefined) return undefined
  let text: string
  try { text = await readFile(s.tokenFile, 'utf8') } catch (err) { throw new Error(`http.tokenFile: cannot read ${s.tokenFile}: ${(err as Error).message}`) }
  const t = text.trim()
  if (t.length < 16) throw new Error(`http.tokenFile: ${s.tokenFile} holds ${t.length} characters; a token needs at least 16`)
  return t
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest()

/** Constant-time comparison (of digests, so lengths do not leak either). */
const sameToken = (a: string, b: string): boolean => timingSafeEqual(digest(a), digest(b))

export interface Gate { token: string | undefined, refused: Counter<'reason'> }

/** Refuse the request unless `spec` lets this caller through: 401 (token), 403 (loopback, origin). */
export function authorize (gate: Gate, spec: RouteSpec, req: IncomingMessage): void {
  if (spec.access === 'public') return
  if (spec.access === 'write') crossSite(req)
  const loopback = isLoopback(req.socket.remoteAddress)
  if (gate.token === undefined) {
    if (spec.access === 'write' && spec.writeAccess === 'loopback' && !loopback) throw new HttpError('forbidden', `${spec.method} ${spec.path} is only accepted from loopback (or configure http.token)`)
    return
  }
  if (spec.access === 'read' && loopback) return
  const header = req.headers.authorization
  if (header === undefined || header === '') return refuse(gate, 'missing-token', `${spec.method} ${spec.path} needs the token: send Authorization: Bearer <http.token>`)
  const m = /^Bearer ([\x21-\x7e]{1,512})$/.exec(header)
  if (m === null) return refuse(gate, 'malformed-token', 'Authorization must be "Bearer <token>"')
  if (!sameToken(m[1] ?? '', gate.token)) return refuse(gate, 'wrong-token', 'the token is not this node\'s http.token')
}

function refuse (gate: Gate, reason: Refusals<'missing-token' | 'malformed-token' | 'wrong-token'>, message: string): never {
  gate.refused.inc({ reason })
  throw new HttpError(reason, message)
}

/** A browser says where a request comes from; a write from another site is a forged form. */
function crossSite (req: IncomingMessage): void {
  if (req.headers['sec-fetch-site'] === 'cross-site') throw new HttpError('cross-origin', 'cross-site writes are refused')
  const origin = req.headers.origin
  if (origin === undefined) return
  let host: string
  try { host = new URL(origin).host } catch { throw new HttpError('cross-origin', 'Origin is not a URL') }
  if (host !== req.headers.host) throw new HttpError('cross-origin', `writes from ${origin} are refused: open the dashboard on this node's own address`)
}
