/**
 * Errors at the agent's HTTP boundary. Domain errors (usage intake, dispute revision) carry a
 * refusal code and a field, never a status: `answerHttp` maps any of them through the one table
 * (`@splitedge/node` http/status.ts). A configuration error in a body (a tariff YAML) is `invalid`.
 */
import { HttpError, answerHttp, HTTP_STATUS, type ErrorBody } from '@splitedge/node'
import { ConfigError } from '../config/load.js'

export { HttpError }

/** The status and JSON body for an error, or undefined for an unexpected one (a 500). */
export function answerFor (err: unknown): { status: number, body: ErrorBody } | undefined {
  if (err instanceof ConfigError) return { status: HTTP_STATUS.invalid, body: { error: err.message, code: 'invalid', field: err.field } }
  return answerHttp(err)
}
