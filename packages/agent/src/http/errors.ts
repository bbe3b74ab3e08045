/**
 * The one place where refusals become HTTP statuses. Domain errors (usage intake, config, dispute
 * revision) carry a code and a field, never a status; this table answers for them.
 */
import { HttpError, answerHttp, type ErrorBody } from '@splitedge/node'
import { UsageError, type UsageErrorCode } from '../usage/push.js'
import { ConfigError } from '../config/load.js'
import type { ReviseRefusal } from '../border/revise.js'

export { HttpError }

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

/** The status and JSON body for an error, or undefined for an unexpected one (a 500). */
export function answerFor (err: unknown): { status: number, body: ErrorBody } | undefined {
  const http = answerHttp(err)
  if (http !== undefined) return http
  if (err instanceof UsageError) return { status: USAGE_STATUS[err.code], body: { error: err.message, code: err.code, field: err.field } }
  if (err instanceof ConfigError) return { status: 400, body: { error: err.message, code: 'invalid', field: err.field } }
  return undefined
}
