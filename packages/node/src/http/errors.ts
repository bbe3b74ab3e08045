/**
 * HTTP-level refusals and JSON answers, shared by the agent's and the clearer's servers. Each
 * server adds its own domain errors to `answerFor` through one table (see agent/src/http/errors.ts).
 */
import type { ServerResponse } from 'node:http'

/** An HTTP-level refusal (bad body, wrong method, not from loopback): status and message. */
export class HttpError extends Error {
  constructor (readonly status: number, message: string, readonly code = 'http', readonly field?: string) { super(message) }
}

export interface ErrorBody { error: string, code: string, field?: string }

/** The status and JSON body of an HttpError, or undefined for anything else. */
export function answerHttp (err: unknown): { status: number, body: ErrorBody } | undefined {
  if (err instanceof HttpError) return { status: err.status, body: { error: err.message, code: err.code, ...(err.field !== undefined ? { field: err.field } : {}) } }
  return undefined
}

/** JSON out; a list page goes compact (indenting one multiplies its size and the garbage made for it). */
export function sendJson (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body, (_k, v) => typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v, Array.isArray(body) ? undefined : 2)
  res.writeHead(status, { 'content-type': 'application/json', ...headers })
  res.end(text + '\n')
}
