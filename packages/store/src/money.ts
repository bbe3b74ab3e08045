// Exact conversion between decimal strings and bigint minor units. No floats: money is
// rounded once, upstream, to the currency's declared decimals; here we only refuse to lose digits.

import { check } from './errors.js'

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/

function checkDecimals (decimals: number): void {
  check(Number.isInteger(decimals) && decimals >= 0 && decimals <= 36, 'invalid-argument', `decimals must be an integer in 0..36, got ${String(decimals)}`)
}

/**
 * "12.34" with 2 decimals -> 1234n. Throws StoreError('invalid-argument') when the string is
 * not a plain decimal or has non-zero digits beyond `decimals` (that would be a silent rounding).
 */
export function toMinorUnits (decimal: string, decimals: number): bigint {
  checkDecimals(decimals)
  const m = DECIMAL.exec(decimal)
  check(m !== null, 'invalid-argument', `not a decimal string: ${JSON.stringify(decimal)}`)
  const [, sign, whole = '', frac = ''] = m
  const kept = frac.slice(0, decimals)
  check(/^0*$/.test(frac.slice(decimals)), 'invalid-argument', `${decimal} has more than ${decimals} decimal places`)
  const units = BigInt(whole + kept.padEnd(decimals, '0'))
  return sign === '-' ? -units : units
}

/** 1234n with 2 decimals -> "12.34"; always exactly `decimals` places. */
export function fromMinorUnits (units: bigint, decimals: number): string {
  checkDecimals(decimals)
  const neg = units < 0n
  const digits = (neg ? -units : units).toString().padStart(decimals + 1, '0')
  const whole = digits.slice(0, digits.length - decimals)
  const frac = digits.slice(digits.length - decimals)
  return (neg ? '-' : '') + whole + (decimals > 0 ? '.' + frac : '')
}
