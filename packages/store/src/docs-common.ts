// Shared by the document parts (tariffs, reports, attestations, statements): key helpers and the
// argument checks that every document write makes when it is added to a batch.

import { check } from './errors.js'
import { border as checkBorder, join, pad } from './keys.js'

export function checkBytes (b: Uint8Array): void {
  check(b instanceof Uint8Array, 'invalid-argument', 'bytes must be a Uint8Array')
}

/** border \0 start: the key of an interval's or a period's record of one border. */
export function slotKey (border: string, start: number, what: string): string {
  return join(checkBorder(border), pad(start, what))
}
