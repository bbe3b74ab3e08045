/**
 * End-to-end prices (paper sections 4 and 9.1): each end's local charge at its own operator's
 * tariff, `V * w * p(Q)` with `w` the operator's weight toward a customer for the end's role, who
 * pays which charge under an apportionment, and the clearer's margin. Pure and exact: amounts are
 * rounded half-even to the currency's decimals once per charge, so a quote's charges add up to the
 * sum of the ends' rounded local charges exactly.
 */
import { ZERO, add, cmp, dec, format, isDecimalText, mul, roundHalfEven, sub, type Dec, type PricingTariff } from '@splitedge/model'
import { err, ok, type Result } from '@splitedge/wire'

export type Role = 'sender' | 'receiver'
export interface End { operator: string, role: Role }
export type Apportion =
  | { kind: 'sender-pays' }
  | { kind: 'receiver-pays' }
  /** Percent of the whole price per paying operator; the shares sum to 100. */
  | { kind: 'shares', shares: Record<string, string> }

export interface MarginPolicy {
  /** Percent of the charges moved, e.g. "1.5". */
  percent: string
  /** Flat amount per quote or cleared receipt, in the currency. */
  fixed: string
}

/** A tariff version by id, as the clearer's tariff book holds it. */
export interface PricedTariff { id: string, pricing: PricingTariff }

export type PricingCode =
  | 'no-tariff' | 'unknown-class' | 'currency-mismatch' | 'bad-apportion' | 'bad-ends' | 'bad-volume' | 'not-served'

export interface PricingError { code: PricingCode, message: string }
const fail = (code: PricingCode, message: string): { ok: false, error: PricingError } => err({ code, message })

const HUNDREDTH = dec('0.01')

/** `w` of `pricing` toward an end customer for `role`: `status:customer`, then `*`, else 0. */
export function customerWeight (pricing: PricingTariff, role: Role): Dec {
  const w = Object.hasOwn(pricing.weights, 'status:customer')
    ? pricing.weights['status:customer']
    : Object.hasOwn(pricing.weights, '*') ? pricing.weights['*'] : undefined
  if (w === undefined) return ZERO
  return dec(role === 'sender' ? w.send : w.receive)
}

/** One end's local charge for `volume` of `cls`, rounded to the tariff's decimals. */
export function localCharge (pricing: PricingTariff, cls: string, role: Role, volume: Dec): Result<Dec, PricingError> {
  const c = Object.hasOwn(pricing.classes, cls) ? pricing.classes[cls] : undefined
  if (c === undefined) return fail('unknown-class', `class ${cls} is not in the tariff`)
  return ok(roundHalfEven(mul(mul(volume, customerWeight(pricing, role)), dec(c.price)), pricing.decimals))
}

/** `amount * percent / 100`, rounded. */
export function percentOf (amount: Dec, percent: Dec, decimals: number): Dec {
  return roundHalfEven(mul(mul(amount, percent), HUNDREDTH), decimals)
}

/** The clearer's margin on `amount` moved: percent of it plus the flat part, rounded. */
export function marginOn (amount: Dec, policy: MarginPolicy, decimals: number): Dec {
  if (cmp(amount, ZERO) === 0) return ZERO
  return roundHalfEven(add(mul(mul(amount, dec(policy.percent)), HUNDREDTH), dec(policy.fixed)), decimals)
}

export interface QuoteRequest { ends: End[], class: string, volume: string, apportion: Apportion }

export interface PricedQuote {
  /** Each end's local charge at its operator's tariff. */
  ends: Array<End & { charge: string, tariff: string }>
  /** Who pays which part of which end's charge. They sum to the ends' charges. */
  charges: Array<{ operator: string, amount: string, payer: string }>
  margin: string
  /** Sum of the charges plus the margin. */
  total: string
  currency: string
  decimals: number
  tariffs: string[]
}

/** Payer shares in percent, by operator, or a refusal naming what is wrong. */
function payerShares (ends: End[], a: Apportion): Result<Array<[string, Dec]>, PricingError> {
  const hundred = dec('100')
  switch (a.kind) {
    case 'sender-pays':
    case 'receiver-pays': {
      const role: Role = a.kind === 'sender-pays' ? 'sender' : 'receiver'
      const who = ends.filter(e => e.role === role)
      if (who.length !== 1) return fail('bad-apportion', `${a.kind} needs exactly one ${role}, got ${who.length}`)
      return ok([[(who[0] as End).operator, hundred]])
    }
    case 'shares': {
      const ops = new Set(ends.map(e => e.operator))
      const out: Array<[string, Dec]> = []
      let total = ZERO
      for (const op of Object.keys(a.shares).sort()) {
        const s = a.shares[op] as string
        if (!ops.has(op)) return fail('bad-apportion', `share for ${op}, which is not an end`)
        if (!isDecimalText(s) || s.startsWith('-')) return fail('bad-apportion', `share of ${op} is not a non-negative decimal`)
        const d = dec(s)
        total = add(total, d)
        if (cmp(d, ZERO) > 0) out.push([op, d])
      }
      if (cmp(total, hundred) !== 0) return fail('bad-apportion', `shares sum to ${format(total)}, not 100`)
      return ok(out)
    }
  }
}

/**
 * Price a request from the tariffs in force for its ends' operators. Each end's charge is split
 * among the payers by share; the last payer takes the rounding remainder so nothing is lost.
 */
export function priceQuote (req: QuoteRequest, tariffOf: (operator: string) => PricedTariff | undefined, margin: MarginPolicy): Result<PricedQuote, PricingError> {
  if (req.ends.length < 2) return fail('bad-ends', 'a quote needs at least two ends')
  if (new Set(req.ends.map(e => e.operator)).size !== req.ends.length) return fail('bad-ends', 'each operator may appear at most once')
  if (!isDecimalText(req.volume) || req.volume.startsWith('-')) return fail('bad-volume', 'volume must be a non-negative decimal')
  const volume = dec(req.volume)
  const shares = payerShares(req.ends, req.apportion)
  if (!shares.ok) return shares
  let currency: string | undefined
  let decimals = 0
  const ends: PricedQuote['ends'] = []
  const charges: PricedQuote['charges'] = []
  let sum = ZERO
  for (const e of req.ends) {
    const t = tariffOf(e.operator)
    if (t === undefined) return fail('no-tariff', `no tariff of ${e.operator} in force`)
    if (currency === undefined) { currency = t.pricing.currency; decimals = t.pricing.decimals }
    if (t.pricing.currency !== currency || t.pricing.decimals !== decimals) {
      return fail('currency-mismatch', `${e.operator} prices in ${t.pricing.currency}/${t.pricing.decimals}, another end in ${currency}/${decimals}`)
    }
    const c = localCharge(t.pricing, req.class, e.role, volume)
    if (!c.ok) return fail(c.error.code, `${e.operator}: ${c.error.message}`)
    ends.push({ ...e, charge: format(c.value), tariff: t.id })
    sum = add(sum, c.value)
    let left = c.value
    shares.value.forEach(([payer, pct], i) => {
      const part = i === shares.value.length - 1 ? left : percentOf(c.value, pct, decimals)
      left = sub(left, part)
      charges.push({ operator: e.operator, amount: format(part), payer })
    })
  }
  const m = marginOn(sum, margin, decimals)
  return ok({
    ends,
    charges,
    margin: format(m),
    total: format(add(sum, m)),
    currency: currency as string,
    decimals,
    tariffs: [...new Set(ends.map(e => e.tariff))]
  })
}
