/**
 * Bilateral settlement statements (docs/pricing.md and docs/protocol.md): what one neighbour pays the other for
 * a period, line by line, from the tariffs in force, the attested usage and the attested SLA
 * measurements. Each line is rounded once, half-even, to the tariffs' decimals; the net is the sum
 * of the rounded lines, so both sides can verify it from the lines alone.
 *
 * Canonical line order (independent of which party computes it):
 *   for each segment in input order: usage and message-fee lines, ordered by class id, then
 *   `from`, then `to` (code-unit order), then by first appearance of their SLA factors (intervals
 *   in input order), usage before message-fee for the same key; then period-fee lines, ordered by
 *   issuer. Record keys (`tariffs`, `factors`) are in code-unit order of network id.
 *
 * - A line's class is the receiving side's (class maps translate the sender's, see `senderClass`).
 * - SLA: each side's criteria for the class toward the other (a bilateral block first), judged per
 *   interval (`window: interval`, the default) or on the period's worst value (`window: period`);
 *   intervals with different factors give separate lines. A missing metric uses the criterion's
 *   default, else factor 1, and the line's `note` says so.
 * - Flat fees (patent claims 27, 34, 35): a class's `messageFee` is charged per message by each
 *   side, scaled by its SLA factor, and by its weights only when `weighted: true`; `periodFee` is
 *   charged once per period by its issuer to the other party (negative: paid to it), from the
 *   issuer's tariff in the last segment, whatever the volume; a segment may carry no usage at all
 *   (a period whose every interval was disputed still owes its fees). A fee given as
 *   `{ fee, whenIdle: false }` is waived when no line of the statement carries volume or messages.
 */
import { add, format, formatRounded, isZero, min, mul, neg, normalize, ONE, parseDec, parseNonNegativeDec, roundHalfEven, sub, ZERO, type Dec } from './decimal.js'
import { ModelError } from './errors.js'
import { codeUnitOrder } from './scenario.js'
import { judge, parseCriteria, worse, type ParsedCriterion } from './sla.js'
import type { ClassId, Decimal, NetworkId, PricingTariff, ServiceClass } from './types.js'
import { own, resolvePeriodFeeTerms, resolveWeights } from './weights.js'

export interface UsageLine { from: NetworkId, to: NetworkId, class: ClassId, volume: Decimal, messages?: Decimal }
/** A tariff's pricing with `ref`, the content id of the signed tariff it came from. */
export interface TariffRef { ref: string, pricing: PricingTariff }
/** SLA values by judged network (subject), its class, and metric. */
export type Measured = Record<NetworkId, Record<ClassId, Record<string, Decimal>>>

/** One interval's attested usage and SLA values. */
export interface StatementInterval { usage: UsageLine[], measured?: Measured }

export interface StatementSegment {
  /** The tariff version of each party in force for this segment. */
  tariffs: Record<NetworkId, TariffRef>
  /** Usage summed over the intervals the segment covers, judged on the period's `measured`. */
  usage?: UsageLine[]
  /** Or interval by interval, each with its own measurements (per-interval SLA windows). */
  intervals?: StatementInterval[]
}

export interface StatementInput {
  parties: [NetworkId, NetworkId]
  /** One segment per pair of tariff versions in force. */
  segments: StatementSegment[]
  /** SLA values for the whole period; an interval without its own value of a metric uses this one. */
  measured?: Measured
  /** Charge each side's periodFee once. */
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
  /** Why a factor is what it is when no measurement decided it (a default, or factor 1). */
  note?: string
}

export interface Statement {
  currency: string
  decimals: number
  lines: StatementLine[]
  /** What parties[0] pays parties[1]: the sum of the rounded lines, signed by direction. */
  net: Decimal
}

/** Usage of one (class, from, to) with the same factors, summed over a segment's intervals. */
interface Group { cls: ClassId, sendCls: ClassId, from: NetworkId, to: NetworkId, fu: Dec, fv: Dec, note: string | undefined, volume: Dec, messages: Dec | null }

/** Compute the statement. Deterministic; swapping `parties` gives the same lines and the negated net. */
export function computeStatement (input: StatementInput): Statement {
  const [a, b] = input.parties
  if (typeof a !== 'string' || typeof b !== 'string' || a === b) {
    throw new ModelError('bad-usage', 'parties', 'must be two different network ids')
  }
  if (!Array.isArray(input.segments) || input.segments.length === 0) {
    throw new ModelError('bad-type', 'segments', 'must be a non-empty array')
  }
  const { currency, decimals } = checkTariffs(input.segments, [a, b])
  const sla = new SlaJudge(input)
  const lines: StatementLine[] = []
  let net = ZERO
  const push = (line: Omit<StatementLine, 'amount'>, exact: Dec): void => {
    const rounded = roundHalfEven(exact, decimals)
    net = add(net, line.from === a ? rounded : neg(rounded))
    lines.push({ ...line, amount: format(rounded) })
  }
  let carried = false
  input.segments.forEach((seg, k) => {
    const tariffs = sortedRecord([a, b], id => own(seg.tariffs, id)!.ref)
    for (const g of groupSegment(seg, k, [a, b], sla)) {
      if (!isZero(g.volume) || (g.messages !== null && !isZero(g.messages))) carried = true
      const tu = own(seg.tariffs, g.from)!.pricing
      const tv = own(seg.tariffs, g.to)!.pricing
      const base = {
        class: g.cls, from: g.from, to: g.to, tariffs,
        factors: sortedRecord([g.from, g.to], id => format(normalize(id === g.from ? g.fu : g.fv))),
        ...(g.note !== undefined ? { note: g.note } : {})
      }
      const field = `segments[${k}].tariffs`
      const rate = sub(mul(mul(weightOf(tv, g.from, g.cls, 'send'), priceOf(tv, g.cls, `${field}.${g.to}`)), g.fv),
        mul(mul(weightOf(tu, g.to, g.sendCls, 'receive'), priceOf(tu, g.sendCls, `${field}.${g.from}`)), g.fu))
      push({ kind: 'usage', volume: format(normalize(g.volume)), ...base }, mul(g.volume, rate))
      const feeV = messageFeeOf(tv, g.cls, `${field}.${g.to}`)
      const feeU = messageFeeOf(tu, g.sendCls, `${field}.${g.from}`)
      if (g.messages === null || (feeV === undefined && feeU === undefined)) continue
      const charged = (fee: typeof feeV, t: PricingTariff, other: NetworkId, cls: ClassId, dir: 'send' | 'receive', f: Dec): Dec =>
        fee === undefined ? ZERO : mul(mul(fee.fee, fee.weighted ? weightOf(t, other, cls, dir) : ONE), f)
      push({ kind: 'message-fee', volume: format(normalize(g.messages)), ...base },
        mul(g.messages, sub(charged(feeV, tv, g.from, g.cls, 'send', g.fv), charged(feeU, tu, g.to, g.sendCls, 'receive', g.fu))))
    }
  })
  if (input.periodFees) periodFeeLines(input.segments, [a, b], carried, push)
  return { currency, decimals, lines, net: formatRounded(net, decimals) }
}

/**
 * Each party's period fee toward the other, from its tariff in the last segment, in issuer order;
 * a fee whose terms say `whenIdle: false` is waived when the border carried no attested traffic.
 */
function periodFeeLines (segments: StatementSegment[], [a, b]: [NetworkId, NetworkId], carried: boolean,
  push: (line: Omit<StatementLine, 'amount'>, exact: Dec) => void): void {
  const k = segments.length - 1
  const last = segments[k]!
  for (const issuer of [a, b].sort(codeUnitOrder)) {
    const t = own(last.tariffs, issuer)!
    const payer = issuer === a ? b : a
    const terms = resolvePeriodFeeTerms(t.pricing, payer)
    if (terms === undefined || (!terms.whenIdle && !carried)) continue
    const fee = parseDec(terms.fee, `segments[${k}].tariffs.${issuer}.pricing.periodFee`)
    push({ kind: 'period-fee', class: null, from: payer, to: issuer, volume: '0', tariffs: { [issuer]: t.ref }, factors: { [issuer]: '1' } }, fee)
  }
}

/** Every tariff in every segment: both parties present, one currency, decimals and unit. */
function checkTariffs (segments: StatementSegment[], parties: NetworkId[]): { currency: string, decimals: number } {
  let first: { currency: string, decimals: number, unit: string, field: string } | undefined
  segments.forEach((seg, k) => {
    for (const id of [...parties].sort(codeUnitOrder)) {
      const field = `segments[${k}].tariffs.${id}`
      const t = seg.tariffs !== undefined ? own(seg.tariffs, id) : undefined
      if (t === undefined) throw new ModelError('bad-type', field, 'missing: each segment needs both parties\' tariffs')
      const { currency, decimals, unit } = t.pricing
      if (!Number.isInteger(decimals) || decimals < 0) throw new ModelError('bad-type', `${field}.pricing.decimals`, 'must be a non-negative integer')
      if (first === undefined) first = { currency, decimals, unit, field }
      else if (currency !== first.currency || decimals !== first.decimals) {
        throw new ModelError('mismatch', `${field}.pricing`,
          `currency ${currency}/${decimals} differs from ${first.field}: ${first.currency}/${first.decimals}`)
      } else if (unit !== first.unit) {
        throw new ModelError('mismatch', `${field}.pricing.unit`,
          `prices per ${unit} but ${first.field} prices per ${first.unit}: the two tariffs of a border must use one unit`)
      }
    }
  })
  return { currency: first!.currency, decimals: first!.decimals }
}

/** A segment's usage grouped per (class, from, to, factors), in canonical order. */
function groupSegment (seg: StatementSegment, k: number, parties: NetworkId[], sla: SlaJudge): Group[] {
  const groups = new Map<string, Group>()
  const buckets: Array<{ usage: unknown, measured: Measured | undefined, field: string }> = []
  if (seg.usage !== undefined) buckets.push({ usage: seg.usage, measured: undefined, field: `segments[${k}].usage` })
  if (seg.intervals !== undefined) {
    if (!Array.isArray(seg.intervals)) throw new ModelError('bad-type', `segments[${k}].intervals`, 'must be an array')
    seg.intervals.forEach((iv, j) => buckets.push({ usage: iv?.usage, measured: iv?.measured, field: `segments[${k}].intervals[${j}].usage` }))
  }
  for (const bucket of buckets) {
    if (!Array.isArray(bucket.usage)) throw new ModelError('bad-type', bucket.field, 'must be an array')
    bucket.usage.forEach((u: UsageLine, i) => {
      const field = `${bucket.field}[${i}]`
      const { sendCls } = checkLine(seg, u, parties, field, k)
      const fu = sla.factor(k, seg, u.from, sendCls, u.to, bucket.measured)
      const fv = sla.factor(k, seg, u.to, u.class, u.from, bucket.measured)
      const note = fu.note === undefined ? fv.note : fv.note === undefined ? fu.note : `${fu.note}; ${fv.note}`
      const volume = parseNonNegativeDec(u.volume, `${field}.volume`)
      const messages = u.messages === undefined ? null : parseNonNegativeDec(u.messages, `${field}.messages`)
      const key = JSON.stringify([u.class, u.from, u.to, format(normalize(fu.factor)), format(normalize(fv.factor)), note ?? null])
      const g = groups.get(key)
      if (g === undefined) {
        groups.set(key, { cls: u.class, sendCls, from: u.from, to: u.to, fu: fu.factor, fv: fv.factor, note, volume, messages })
      } else {
        g.volume = add(g.volume, volume)
        if (messages !== null) g.messages = g.messages === null ? messages : add(g.messages, messages)
      }
    })
  }
  // Stable sort: groups of one (class, from, to) keep the order their intervals came in.
  return [...groups.values()].sort((x, y) => codeUnitOrder(x.cls, y.cls) || codeUnitOrder(x.from, y.from) || codeUnitOrder(x.to, y.to))
}

/** Check a usage line's parties and class; returns the sender's name for the class. */
function checkLine (seg: StatementSegment, u: UsageLine, parties: NetworkId[], field: string, k: number): { sendCls: ClassId } {
  if (u === null || typeof u !== 'object') throw new ModelError('bad-type', field, 'must be an object { from, to, class, volume }')
  if (!parties.includes(u.from)) throw new ModelError('bad-usage', `${field}.from`, `${JSON.stringify(u.from)} is not a party`)
  if (!parties.includes(u.to) || u.to === u.from) {
    throw new ModelError('bad-usage', `${field}.to`, `${JSON.stringify(u.to)} is not the other party`)
  }
  if (typeof u.class !== 'string') throw new ModelError('unknown-class', `${field}.class`, 'must be a class id string')
  const tu = own(seg.tariffs, u.from)!.pricing
  const tv = own(seg.tariffs, u.to)!.pricing
  const sendCls = senderClass(tv, u.from, u.class, `segments[${k}].tariffs.${u.to}.pricing.classMap.${u.from}`)
  if (own(tu.classes, sendCls) === undefined && own(tv.classes, u.class) === undefined) {
    throw new ModelError('unknown-class', `${field}.class`, `unknown class ${JSON.stringify(u.class)} (neither tariff prices it)`)
  }
  return { sendCls }
}

/**
 * The sender's class for traffic the receiver (tariff `tv`) carries as `cls`: the class its class
 * map for `sender` maps onto `cls`, else `cls` itself. Refuses a map that is not one-to-one.
 */
export function senderClass (tv: PricingTariff, sender: NetworkId, cls: ClassId, field: string): ClassId {
  const map = tv.classMap !== undefined ? own(tv.classMap, sender) : undefined
  if (map === undefined) return cls
  let found: ClassId | undefined
  for (const [theirs, ours] of Object.entries(map)) {
    if (ours !== cls) continue
    if (found !== undefined) throw new ModelError('bad-type', field, `maps both ${JSON.stringify(found)} and ${JSON.stringify(theirs)} onto ${JSON.stringify(cls)}: a class map must be one-to-one`)
    found = theirs
  }
  return found ?? cls
}

/** The receiving side's class for traffic `sender` sends in its class `cls` (the inverse of `senderClass`). */
export function receiverClass (tv: PricingTariff, sender: NetworkId, cls: ClassId): ClassId {
  const map = tv.classMap !== undefined ? own(tv.classMap, sender) : undefined
  return (map !== undefined ? own(map, cls) : undefined) ?? cls
}

/**
 * SLA factors for a statement: criteria parsed once per (segment, network, class), and each
 * period-window metric's worst value over every interval (and the period's `measured`).
 */
class SlaJudge {
  private readonly criteria = new Map<string, ParsedCriterion[]>()
  /** subject \0 class \0 metric -> every value measured in the period. */
  private readonly values = new Map<string, Dec[]>()

  constructor (private readonly input: StatementInput) {
    const collect = (m: Measured | undefined, field: string): void => {
      if (m === undefined) return
      for (const [s, byClass] of Object.entries(m)) {
        for (const [c, byMetric] of Object.entries(byClass ?? {})) {
          for (const [metric, v] of Object.entries(byMetric ?? {})) {
            const key = `${s}\u0000${c}\u0000${metric}`
            const list = this.values.get(key) ?? []
            list.push(parseDec(v, `${field}.${s}.${c}.${metric}`))
            this.values.set(key, list)
          }
        }
      }
    }
    collect(input.measured, 'measured')
    input.segments.forEach((seg, k) => (Array.isArray(seg.intervals) ? seg.intervals : []).forEach((iv, j) => { collect(iv?.measured, `segments[${k}].intervals[${j}].measured`) }))
  }

  /** Factor of `subject`'s charges for its class `cls` toward `other`, in one interval's bucket. */
  factor (k: number, seg: StatementSegment, subject: NetworkId, cls: ClassId, other: NetworkId, measured: Measured | undefined): { factor: Dec, note?: string } {
    const criteria = this.criteriaOf(k, seg, subject, cls, other)
    let factor: Dec | undefined
    const notes: string[] = []
    for (const c of criteria) {
      const j = judge(c, c.window === 'period' ? this.periodValue(subject, cls, c) : this.intervalValue(subject, cls, c.metric, measured), `${subject} ${cls}`)
      factor = factor === undefined ? j.factor : min(factor, j.factor)
      if (j.note !== undefined) notes.push(j.note)
    }
    return { factor: factor ?? ONE, ...(notes.length > 0 ? { note: notes.join('; ') } : {}) }
  }

  private criteriaOf (k: number, seg: StatementSegment, subject: NetworkId, cls: ClassId, other: NetworkId): ParsedCriterion[] {
    const key = `${k}\u0000${subject}\u0000${cls}`
    let parsed = this.criteria.get(key)
    if (parsed === undefined) {
      const t = own(seg.tariffs, subject)!.pricing
      const bilateral = t.bilateralSla !== undefined ? own(t.bilateralSla, other) : undefined
      const own_ = bilateral !== undefined ? own(bilateral, cls) : undefined
      const c: ServiceClass | undefined = own(t.classes, cls)
      const field = `segments[${k}].tariffs.${subject}.pricing.${own_ !== undefined ? `bilateralSla.${other}.${cls}` : `classes.${cls}.sla`}`
      parsed = parseCriteria(own_ ?? c?.sla ?? [], field)
      this.criteria.set(key, parsed)
    }
    return parsed
  }

  private intervalValue (subject: NetworkId, cls: ClassId, metric: string, measured: Measured | undefined): Dec | undefined {
    const pick = (m: Measured | undefined): Decimal | undefined => {
      const byClass = m !== undefined ? own(m, subject) : undefined
      const byMetric = byClass !== undefined ? own(byClass, cls) : undefined
      return byMetric !== undefined ? own(byMetric, metric) : undefined
    }
    const text = pick(measured) ?? pick(this.input.measured)
    return text === undefined ? undefined : parseDec(text, `measured.${subject}.${cls}.${metric}`)
  }

  private periodValue (subject: NetworkId, cls: ClassId, c: ParsedCriterion): Dec | undefined {
    const list = this.values.get(`${subject}\u0000${cls}\u0000${c.metric}`)
    return list === undefined ? undefined : list.reduce((x, y) => worse(c.direction, x, y))
  }
}

function priceOf (t: PricingTariff, cls: ClassId, field: string): Dec {
  const c = own(t.classes, cls)
  return c === undefined ? ZERO : parseDec(c.price, `${field}.pricing.classes.${cls}.price`)
}

function weightOf (t: PricingTariff, other: NetworkId, cls: ClassId, dir: 'send' | 'receive'): Dec {
  return parseDec(resolveWeights(t, other, cls)[dir], `weights(${other}, ${cls}).${dir}`)
}

/** A class's message fee in one form: `{ fee, weighted }`, or undefined. */
export function messageFeeOf (t: PricingTariff, cls: ClassId, field: string): { fee: Dec, weighted: boolean } | undefined {
  const m = own(t.classes, cls)?.messageFee
  if (m === undefined) return undefined
  const f = `${field}.pricing.classes.${cls}.messageFee`
  if (typeof m === 'string') return { fee: parseDec(m, f), weighted: false }
  return { fee: parseDec(m.fee, `${f}.fee`), weighted: m.weighted === true }
}

function sortedRecord<T> (ids: NetworkId[], value: (id: NetworkId) => T): Record<NetworkId, T> {
  const out: Record<NetworkId, T> = {}
  for (const id of [...new Set(ids)].sort(codeUnitOrder)) out[id] = value(id)
  return out
}
