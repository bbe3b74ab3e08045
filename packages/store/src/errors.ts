// Typed failures. Domain outcomes (exists, conflict, ...) are result codes, not errors;
// a StoreError means the caller broke a precondition or the store itself is unusable.

export type StoreErrorCode =
  | 'invalid-argument' // a key part, number or amount the store cannot represent faithfully
  | 'closed' // the store was closed
  | 'corrupt' // a stored value does not decode
  | 'ledger-unbalanced' // the zero-sum invariant does not hold
  | 'ledger-invariant' // a planned ledger write breaks another invariant of the ledger (nothing was written)
  | 'io' // the disk refused a read or write (the message names the cause)
  | 'full' // the disk is full: nothing was written
  | 'locked' // another process holds the data directory
  | 'owner' // the data directory belongs to another identity

export class StoreError extends Error {
  readonly code: StoreErrorCode

  constructor (code: StoreErrorCode, message: string) {
    super(`${code}: ${message}`)
    this.name = 'StoreError'
    this.code = code
  }
}

/** Assertion for invariants and preconditions: throws a typed StoreError. */
export function check (condition: boolean, code: StoreErrorCode, message: string): asserts condition {
  if (!condition) throw new StoreError(code, message)
}
