/**
 * Typed errors for bad model input. `field` is a path into the input (`flows[3].volume`,
 * `tariffs.A.classes.be.price`) so a caller can print one precise line without a stack trace.
 */
export type ModelErrorCode =
  | 'bad-decimal' // malformed decimal text, or a number where a decimal string is required
  | 'negative' // a value that must be >= 0 is negative
  | 'bad-type' // wrong JSON type or shape
  | 'unknown-network'
  | 'duplicate-network'
  | 'unknown-class'
  | 'missing-measurement' // an SLA criterion whose metric was not measured
  | 'mismatch' // currency / decimals of two tariffs differ
  | 'bad-usage' // a usage line that is not between the two parties

export class ModelError extends Error {
  override readonly name = 'ModelError'
  constructor (
    readonly code: ModelErrorCode,
    readonly field: string,
    readonly detail: string
  ) {
    super(`${field}: ${detail}`)
  }
}

export function isModelError (e: unknown): e is ModelError {
  return e instanceof ModelError
}
