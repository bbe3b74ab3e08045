/**
 * HTTP refusals and JSON answers, shared by the agent's and the clearer's servers. A refusal is a
 * code from the one vocabulary (`@splitedge/wire` refusals.ts); its status comes from the one
 * table (status.ts), never from the code that refuses.
 */
import type { ServerResponse } from 'node:http'
import { isRefusal, type Refusal } from '@splitedge/wire'
import { HTTP_STATUS } from './status.js'
import { ConfigError } from '../config.js'

/** A refusal at the HTTP boundary (bad body, wrong method, not from loopback): a code and a message. */
export class HttpError extends Error {
  constructor (readonly code: Refusal, message: string, readonly field?: string) { super(message) }
  get status (): number { return HTTP_STATUS[this.code] }
}

export interface ErrorBody { error: string, code: string, field?: string }

/**
 * The status and JSON body for any error that carries a refusal `code` (and maybe a `field`), or
 * undefined for anything else (an unexpected failure: answer 500 and log it). A ConfigError
 * (a configuration sent in a body) is `invalid`, naming its field.
 */
export function answerHttp (err: unknown): { status: number, body: ErrorBody } | undefined {
  // A configuration sent in a body (a tariff YAML) that does not check out: the field is named.
  if (err instanceof ConfigError) return { status: HTTP_STATUS.invalid, body: { error: err.message, code: 'invalid', field: err.field } }
  if (!(err instanceof Error) || !('code' in err) || typeof err.code !== 'string' || !isRefusal(err.code)) return undefined
  const field = 'field' in err && typeof err.field === 'string' ? err.field : undefined
  return { status: HTTP_STATUS[err.code], body: { error: err.message, code: err.code, ...(field !== undefined ? { field } : {}) } }
}

/** JSON out; a list page goes compact (indenting one multiplies its size and the garbage made for it). */
export function sendJson (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body, (_k, v) => typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v, Array.isArray(body) ? undefined : 2)
  res.writeHead(status, { 'content-type': 'application/json', ...headers })
  res.end(text + '\n')
}
