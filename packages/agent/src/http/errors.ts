/**
 * The one place where refusals become HTTP statuses. Domain errors (usage intake, config, dispute
 * revision) carry a code and a field, never a status; this table answers for them.
 */
import type { ServerResponse } from 'node:http'
import { UsageError, type UsageErrorCode } from '../usage/push.js'
import { ConfigError } from '../config/load.js'
import type { ReviseRefusal } from '../border/revise.js'

/** An HTTP-level refusal (bad body, wrong method, not from loopback): status and message. */
export class HttpError extends Error {
  constructor (readonly status: number, message: string, readonly code = 'http', readonly field?: string) { super(message) }
}

export const USAGE_STATUS: Readonly<Record<UsageErrorCode, number>> = {
  invalid: 400,
  'unknown-neighbour': 400,
  'in-future': 400,
  'unpriced-class': 422,
  'over-limit': 422,
  'before-border': 409,
  'interval-closed': 409,
  'key-reused': 409,
  'storage-full': 507,
  'storage-failed': 503
}

export const REVISE_STATUS: Readonly<Record<ReviseRefusal, number>> = {
  'unknown-neighbour': 400, 'bad-figures': 400, 'not-disputed': 409, settled: 409, 'no-reports': 409, conflict: 409
}

export interface ErrorBody { error: string, code: string, field?: string }

/** The status and JSON body for an error, or undefined for an unexpected one (a 500). */
export function answerFor (err: unknown): { status: number, body: ErrorBody } | undefined {
  if (err instanceof HttpError) return { status: err.status, body: { error: err.message, code: err.code, ...(err.field !== undefined ? { field: err.field } : {}) } }
  if (err instanceof UsageError) return { status: USAGE_STATUS[err.code], body: { error: err.message, code: err.code, field: err.field } }
  if (err instanceof ConfigError) return { status: 400, body: { error: err.message, code: 'invalid', field: err.field } }
  return undefined
}

/** JSON out; a list page goes compact (indenting one multiplies its size and the garbage made for it). */
export function sendJson (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body, (_k, v) => typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v, Array.isArray(body) ? undefined : 2)
  res.writeHead(status, { 'content-type': 'application/json', ...headers })
  res.end(text + '\n')
}
