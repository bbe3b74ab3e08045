/**
 * Exact decimals as a bigint coefficient and a scale: value = c / 10^s. Sums and products of
 * finite decimals are finite decimals, so no rationals are needed and nothing is ever a float.
 * Rounding happens once, at the end, half-even (docs/pricing.md).
 */
import { ModelError } from './errors.js'
import type { Decimal } from './types.js'

export interface Dec {
  /** Coefficient. */
  readonly c: bigint
  /** Scale (number of decimal places), a non-negative integer. */
  readonly s: number
}

export const ZERO: Dec = { c: 0n, s: 0 }
export const ONE: Dec = { c: 1n, s: 0 }

const DECIMAL_RE = /^-?\d+(\.\d+)?$/
const POW10: bigint[] = [1n]

/** 10^n as a bigint, cached. */
export function pow10 (n: number): bigint {
  for (let i = POW10.length; i <= n; i++) POW10.push(POW10[i - 1]! * 10n)
  return POW10[n]!
}

/** Whether `text` is a decimal in the strict wire form `-?digits(.digits)?`. */
export function isDecimalText (text: unknown): text is Decimal {
  return typeof text === 'string' && DECIMAL_RE.test(text)
}

/**
 * Parse strictly: `-?digits(.digits)?`; no exponent, `+`, blanks or empty string. `field` names the
 * input for the error.
 */
export function parseDec (text: unknown, field: string): Dec {
  if (typeof text !== 'string') {
    throw new ModelError('bad-decimal', field, `must be a decimal string, got ${describe(text)}`)
  }
  if (!DECIMAL_RE.test(text)) {
    throw new ModelError('bad-decimal', field, `malformed decimal ${JSON.stringify(text)}`)
  }
  const dot = text.indexOf('.')
  if (dot < 0) return { c: BigInt(text), s: 0 }
  return { c: BigInt(text.slice(0, dot) + text.slice(dot + 1)), s: text.length - dot - 1 }
}

/** Parse and require >= 0. */
export function parseNonNegativeDec (text: unknown, field: string, what = 'decimal'): Dec {
  const d = isDecimalText(text) ? parseDec(text, field) : undefined
  if (d === undefined || d.c < 0n) {
    throw new ModelError(d === undefined ? 'bad-decimal' : 'negative', field,
      `must be a non-negative ${what} string, got ${describe(text)}`)
  }
  return d
}

/** A short, safe rendering of a bad input value for error messages. */
export function describe (v: unknown): string {
  if (v === undefined) return 'nothing'
  const s = JSON.stringify(v)
  if (s === undefined) return typeof v
  return s.length > 40 ? s.slice(0, 37) + '...' : s
}

/** Re-express `a` at scale `s` (which must be >= a.s). */
export function rescale (a: Dec, s: number): bigint {
  if (s < a.s) throw new RangeError('rescale would lose digits')
  return s === a.s ? a.c : a.c * pow10(s - a.s)
}

export function add (a: Dec, b: Dec): Dec {
  if (a.s === b.s) return { c: a.c + b.c, s: a.s }
  const s = Math.max(a.s, b.s)
  return { c: rescale(a, s) + rescale(b, s), s }
}

export function sub (a: Dec, b: Dec): Dec {
  return add(a, neg(b))
}

export function neg (a: Dec): Dec {
  return { c: -a.c, s: a.s }
}

export function mul (a: Dec, b: Dec): Dec {
  return { c: a.c * b.c, s: a.s + b.s }
}

/** Sum of many, aligned once to the largest scale. */
export function sum (xs: Iterable<Dec>): Dec {
  let acc = ZERO
  for (const x of xs) acc = add(acc, x)
  return acc
}

/** Sign-aware comparison: -1, 0 or 1. */
export function cmp (a: Dec, b: Dec): -1 | 0 | 1 {
  const s = Math.max(a.s, b.s)
  const x = rescale(a, s)
  const y = rescale(b, s)
  return x < y ? -1 : x > y ? 1 : 0
}

export function isZero (a: Dec): boolean {
  return a.c === 0n
}

export function min (a: Dec, b: Dec): Dec {
  return cmp(a, b) <= 0 ? a : b
}

/** Round half-even to `decimals` places; the result has scale exactly `decimals`. */
export function roundHalfEven (a: Dec, decimals: number): Dec {
  if (a.s <= decimals) return { c: rescale(a, decimals), s: decimals }
  const div = pow10(a.s - decimals)
  const negative = a.c < 0n
  const m = negative ? -a.c : a.c
  let q = m / div
  const twice = (m % div) * 2n
  if (twice > div || (twice === div && (q & 1n) === 1n)) q += 1n
  return { c: negative ? -q : q, s: decimals }
}

/** Exact text of `a` at its own scale (`-` only for a non-zero value). */
export function format (a: Dec): Decimal {
  const negative = a.c < 0n
  let digits = (negative ? -a.c : a.c).toString()
  if (a.s > 0) {
    if (digits.length <= a.s) digits = '0'.repeat(a.s - digits.length + 1) + digits
    digits = digits.slice(0, digits.length - a.s) + '.' + digits.slice(digits.length - a.s)
  }
  return negative ? '-' + digits : digits
}

/** Round half-even to `decimals` and format: the one place money becomes text. */
export function formatRounded (a: Dec, decimals: number): Decimal {
  return format(roundHalfEven(a, decimals))
}

/** Exact value without trailing zeros (for comparing or displaying unrounded values). */
export function normalize (a: Dec): Dec {
  let { c, s } = a
  if (c === 0n) return ZERO
  while (s > 0 && c % 10n === 0n) { c /= 10n; s-- }
  return { c, s }
}

/** Decimal text convenience for callers holding strings. */
export function dec (text: Decimal): Dec {
  return parseDec(text, 'value')
}
