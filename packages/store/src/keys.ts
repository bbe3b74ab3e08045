// Key layout. Every key is a utf8 string whose byte order is the order we list in:
// numbers are fixed-width zero-padded, parts are joined by NUL (which no part may hold),
// so `a\0...` never interleaves with `ab\0...`.

import { check } from './errors.js'

export const SEP = '\x00'
/** Upper bound of a prefix range: every key `p + SEP + ...` sorts below `p + END`. */
export const END = '\x01'

const WIDTH = 16 // Number.MAX_SAFE_INTEGER has 16 digits

/** A non-negative safe integer as a fixed-width decimal string that sorts numerically. */
export function pad (n: number, what: string): string {
  check(Number.isSafeInteger(n) && n >= 0, 'invalid-argument', `${what} must be a non-negative safe integer, got ${String(n)}`)
  return String(n).padStart(WIDTH, '0')
}

/** A key part: a non-empty string without the separator. */
export function part (s: string, what: string): string {
  check(typeof s === 'string' && s.length > 0 && !s.includes(SEP) && !s.includes(END), 'invalid-argument', `${what} must be a non-empty string without NUL/SOH`)
  return s
}

export function join (...parts: string[]): string {
  return parts.join(SEP)
}

/** Range options covering every key that starts with `prefix` followed by SEP. */
export function under (prefix: string): { gt: string, lt: string } {
  return { gt: prefix + SEP, lt: prefix + END }
}

const BORDER_JOIN = '|'

/** The key of the border between two peers: both PeerIds, sorted, joined by '|'. */
export function borderOf (a: string, b: string): string {
  check(a !== b, 'invalid-argument', 'a border joins two different peers')
  for (const p of [a, b]) {
    part(p, 'PeerId')
    check(!p.includes(BORDER_JOIN), 'invalid-argument', 'a PeerId cannot contain "|"')
  }
  return a < b ? a + BORDER_JOIN + b : b + BORDER_JOIN + a
}

/** The two peers of a border key, sorted. */
export function peersOf (border: string): [string, string] {
  const ends = border.split(BORDER_JOIN)
  const [a, b] = ends
  check(ends.length === 2 && a !== undefined && b !== undefined && a.length > 0 && a < b, 'invalid-argument',
    `not a border key (two sorted PeerIds joined by "|"): ${JSON.stringify(border)}`)
  return [a, b]
}

/** Validates a border key made by borderOf, so A|B and B|A never both exist. */
export function border (b: string): string {
  part(b, 'border')
  peersOf(b)
  return b
}
