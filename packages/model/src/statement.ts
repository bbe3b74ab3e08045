/**
 * Bilateral settlement statements (DESIGN.md sections 2-4): what one neighbour pays the other for
 * a period, line by line, from the tariffs in force, the attested usage and the attested SLA
 * measurements. Each line is rounded once, half-even, to the tariffs' decimals; the net is the sum
 * of the rounded lines, so both sides can verify it from the lines alone.
 *
 * Canonical line order (independent of which party computes it):
 *   for each segment in input order: usage and message-fee lines, ordered by class id, then
 *   `from`, then `to` (code-unit order), usage before message-fee for the same key;
 *   then period-fee lines, ordered by `to`.
 * Record keys (`tariffs`, `factors`) are in code-unit order of network id.
 *
 * Flat fees (patent claims 27, 34, 35):
 * - a class's `messageFee` is charged like its price, per message instead of per unit of volume:
 *   weighted by the same send/receive weights and scaled by the same SLA factor;
 * - `periodFee` is charged once per full period by its issuer to the other party (a negative fee
 *   is a payment to the neighbour), from the issuer's tariff in the last segment.
 */
import { netRate, type BorderSide } from './charge.js'
import { add, format, formatRounded, mul, neg, normalize, parseDec, parseNonNegativeDec, roundHalfEven, ZERO, type Dec } from './decimal.js'
import { ModelError } from './errors.js'
import { codeUnitOrder } from './scenario.js'
import { slaFactor } from './sla.js'
import type { ClassId, Decimal, NetworkId, PricingTariff } from './types.js'
import { own, resolveWeights } from './weights.js'

export interface UsageLine { from: NetworkId, to: NetworkId, class: ClassId, volume: Decimal, messages?: Decimal }
/** A tariff's pricing with `ref`, the content id of the signed tariff it came from. */
export interface TariffRef { ref: string, pricing: PricingTariff }

export interface StatementSegment {
  /** The tariff version of each party in force for this segment. */
  tariffs: Record<NetworkId, TariffRef>
  /** Usage summed over the intervals the segment covers. */
  usage: UsageLine[]
}

export interface StatementInput {
  parties: [NetworkId, NetworkId]
  /** One segment per pair of tariff versions in force. */
  segments: StatementSegment[]
  /** Attested SLA measurements: the values each network's criteria are judged on. */
  measured: Record<NetworkId, Record<ClassId, Record<string, Decimal>>>
  /** Charge each side's periodFee once (true for a full period). */
  periodFees: boolean
}

export type StatementLineKind = 'usage' | 'message-fee' | 'period-fee'

export interface StatementLine {
  kind: StatementLineKind
  class: ClassId | null
  from: NetworkId
  to: NetworkId
  /** Volume for usage, message count for message-fee, '0' for period-fee (exact, normalized). */
  volume: Decimal
  /** Tariff refs used, by network. */
  tariffs: Record<NetworkId, string>
  /** SLA factor applied to each side's charge (exact, normalized). */
  factors: Record<NetworkId, Decimal>
  /** What `from` pays `to`, rounded half-even to `decimals` (negative when `to` pays). */
  amount: Decimal
}

export interface Statement {
  currency: string
  decimals: number
  lines: StatementLine[]
  /** What parties[0] pays parties[1]: the sum of the rounded lines, signed by direction. */
  net: Decimal
}

interface Aggregate { from: NetworkId, to: NetworkId, cls: ClassId, volume: Dec, messages: Dec | null }

/** Compute the statement. Deterministic; swapping `parties` gives the same lines and the negated net. */
export function computeStatement (input: StatementInput): Statement {
  const [a, b] = input.parties
  if (typeof a !== 'string' || typeof b !== 'string' || a === b) {
    throw new ModelError('bad-usage', 'parties', 'must be two different network ids')
  }
  if (!Array.isArray(input.segments) || input.segments.length === 0) {
    throw new ModelError('bad-type', 'segments', 'must be a non-empty array')
  }
  const { currency, decimals } = checkCurrency(input.segments, [a, b])
  const lines: StatementLine[] = []
  let net = ZERO

  const push = (line: Omit<StatementLine, 'amount'>, exact: Dec): void => {
    const rounded = roundHalfEven(exact, decimals)
    net = add(net, line.from === a ? rounded : neg(rounded))
    lines.push({ ...line, amount: format(rounded) })
  }

  input.segments.forEach((seg, k) => {
    const field = `segments[${k}]`
    const tariffs = sortedRecord([a, b], id => own(seg.tariffs, id)!.ref)
    const aggregates = aggregate(seg, k, [a, b])
    for (const g of aggregates) {
      const tu = own(seg.tariffs, g.from)!.pricing
      const tv = own(seg.tariffs, g.to)!.pricing
      const fu = factorOf(tu, g.cls, g.from, input.measured, `${field}.tariffs.${g.from}`)
      const fv = factorOf(tv, g.cls, g.to, input.measured, `${field}.tariffs.${g.to}`)
      const factors = sortedRecord([g.from, g.to], id => format(normalize(id === g.from ? fu : fv)))
      const u = side(tu, g.cls, g.to, fu, 'price', `${field}.tariffs.${g.from}`)
      const v = side(tv, g.cls, g.from, fv, 'price', `${field}.tariffs.${g.to}`)
      push({ kind: 'usage', class: g.cls, from: g.from, to: g.to, volume: format(normalize(g.volume)), tariffs, factors },
        mul(g.volume, netRate(u, v)))
      if (g.messages !== null && (hasMessageFee(tu, g.cls) || hasMessageFee(tv, g.cls))) {
        const um = side(tu, g.cls, g.to, fu, 'messageFee', `${field}.tariffs.${g.from}`)
        const vm = side(tv, g.cls, g.from, fv, 'messageFee', `${field}.tariffs.${g.to}`)
        push({ kind: 'message-fee', class: g.cls, from: g.from, to: g.to, volume: format(normalize(g.messages)), tariffs, factors },
          mul(g.messages, netRate(um, vm)))
      }
    }
  })

  if (input.periodFees) {
    const last = input.segments[input.segments.length - 1]!
    for (const issuer of [a, b].sort(codeUnitOrder)) {
      const t = own(last.tariffs, issuer)!
      if (t.pricing.periodFee === undefined) continue
      const fee = parseDec(t.pricing.periodFee, `segments[${input.segments.length - 1}].tariffs.${issuer}.pricing.periodFee`)
      const payer = issuer === a ? b : a
      push({ kind: 'period-fee', class: null, from: payer, to: issuer, volume: '0', tariffs: { [issuer]: t.ref }, factors: { [issuer]: '1' } }, fee)
    }
  }
  return { currency, decimals, lines, net: formatRounded(net, decimals) }
}

/** Every tariff in every segment: both parties present, one currency and one number of decimals. */
function checkCurrency (segments: StatementSegment[], parties: NetworkId[]): { currency: string, decimals: number } {
  let first: { currency: string, decimals: number, field: string } | undefined
  segments.forEach((seg, k) => {
    for (const id of [...parties].sort(codeUnitOrder)) {
      const field = `segments[${k}].tariffs.${id}`
      const t = seg.tariffs !== undefined ? own(seg.tariffs, id) : undefined
      if (t === undefined) throw new ModelError('bad-type', field, 'missing: each segment needs both parties\' tariffs')
      const { currency, decimals } = t.pricing
      if (!Number.isInteger(decimals) || decimals < 0) throw new ModelError('bad-type', `${field}.pricing.decimals`, 'must be a non-negative integer')
      if (first === undefined) first = { currency, decimals, field }
      else if (currency !== first.currency || decimals !== first.decimals) {
        throw new ModelError('mismatch', `${field}.pricing`,
          `currency ${currency}/${decimals} differs from ${first.field}: ${first.currency}/${first.decimals}`)
      }
    }
  })
  return { currency: first!.currency, decimals: first!.decimals }
}

/** Sum a segment's usage per (from, to, class), in canonical order. */
function aggregate (seg: StatementSegment, k: number, parties: NetworkId[]): Aggregate[] {
  const byKey = new Map<string, Aggregate>()
  if (!Array.isArray(seg.usage)) throw new ModelError('bad-type', `segments[${k}].usage`, 'must be an array')
  seg.usage.forEach((u, i) => {
    const field = `segments[${k}].usage[${i}]`
    if (!parties.includes(u.from)) throw new ModelError('bad-usage', `${field}.from`, `${JSON.stringify(u.from)} is not a party`)
    if (!parties.includes(u.to) || u.to === u.from) {
      throw new ModelError('bad-usage', `${field}.to`, `${JSON.stringify(u.to)} is not the other party`)
    }
    const inFrom = own(seg.tariffs, u.from)!.pricing.classes
    const inTo = own(seg.tariffs, u.to)!.pricing.classes
    if (typeof u.class !== 'string' || (own(inFrom, u.class) === undefined && own(inTo, u.class) === undefined)) {
      throw new ModelError('unknown-class', `${field}.class`, `unknown class ${JSON.stringify(u.class)} (neither tariff prices it)`)
    }
    const volume = parseNonNegativeDec(u.volume, `${field}.volume`)
    const messages = u.messages === undefined ? null : parseNonNegativeDec(u.messages, `${field}.messages`)
    const key = JSON.stringify([u.class, u.from, u.to])
    const g = byKey.get(key)
    if (g === undefined) byKey.set(key, { from: u.from, to: u.to, cls: u.class, volume, messages })
    else {
      g.volume = add(g.volume, volume)
      if (messages !== null) g.messages = g.messages === null ? messages : add(g.messages, messages)
    }
  })
  return [...byKey.values()].sort((x, y) =>
    codeUnitOrder(x.cls, y.cls) || codeUnitOrder(x.from, y.from) || codeUnitOrder(x.to, y.to))
}

/** SLA factor of `network`'s charges for `cls` under its tariff (1 when it does not price the class). */
function factorOf (t: PricingTariff, cls: ClassId, network: NetworkId,
  measured: StatementInput['measured'], field: string): Dec {
  const c = own(t.classes, cls)
  if (c === undefined) return parseDec('1', field)
  const m = measured !== undefined ? own(measured, network) : undefined
  return slaFactor(c.sla, m !== undefined ? own(m, cls) : undefined, `${field}.pricing.classes.${cls}.sla`, `measured.${network}.${cls}`)
}

function hasMessageFee (t: PricingTariff, cls: ClassId): boolean {
  return own(t.classes, cls)?.messageFee !== undefined
}

/** One side of the border: its price (or message fee) for the class, factor, and weights toward `other`. */
function side (t: PricingTariff, cls: ClassId, other: NetworkId, factor: Dec, what: 'price' | 'messageFee', field: string): BorderSide {
  const c = own(t.classes, cls)
  const text = c === undefined ? undefined : c[what]
  const price = text === undefined ? ZERO : parseDec(text, `${field}.pricing.classes.${cls}.${what}`)
  const w = resolveWeights(t, other)
  return {
    price,
    factor,
    send: parseDec(w.send, `${field}.pricing.weights(${other}).send`),
    receive: parseDec(w.receive, `${field}.pricing.weights(${other}).receive`)
  }
}

function sortedRecord<T> (ids: NetworkId[], value: (id: NetworkId) => T): Record<NetworkId, T> {
  const out: Record<NetworkId, T> = {}
  for (const id of [...new Set(ids)].sort(codeUnitOrder)) out[id] = value(id)
  return out
}
