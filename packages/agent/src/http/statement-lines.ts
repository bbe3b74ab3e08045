/**
 * A statement line explained: for each side, the weight, price and SLA factor its tariff version
 * applied and the charge that makes (docs/pricing.md, "The formula"). For a usage line from `u`
 * to `v` of class Q (the receiver's class; the sender's is found through `v`'s class map):
 *
 *   to   (v charges u):  volume × w_vus (v's send weight toward u) × p_v(Q) × f_v
 *   from (u charges v):  volume × w_uvr (u's receive weight toward v) × p_u(Q') × f_u
 *   amount (u pays v) = to.charge − from.charge, rounded half-even once to the tariffs' decimals
 *
 * A message-fee line uses each side's per-message fee as the price (weighted only when the tariff
 * says so); a period-fee line has one side, the issuer, whose price is the fee. Weights resolve
 * neighbour+class, neighbour, status+class, status, `*` (the model's `resolveWeights`), on the
 * very tariff versions the line names, so what is shown is what was signed. The dashboard's
 * statements view and `GET /v1/statements.csv` both read this.
 */
import type { StatementLine } from '@splitedge/wire'
import {
  ONE, format, messageFeeOf, mul, normalize, parseDec, resolvePeriodFee, resolveWeights, senderClass,
  type Dec, type PricingTariff
} from '@splitedge/model'

/** A signed statement line as it is on the wire (PeerIds, tariff ids): the wire package's type. */
export type WireLine = StatementLine

/** What one side's tariff version applied on a line. Decimals are exact strings; null: not applicable or unknown. */
export interface AppliedSide {
  network: string
  peerId: string
  /** The tariff version the line names, its id and sequence number (null: we do not hold it). */
  tariff: string | null
  version: number | null
  /** The class this side priced (the sender's own class when a class map translates it). */
  class: string | null
  /** The weight applied: `send` on the receiving side, `receive` on the sending side; null when none applies. */
  weight: string | null
  weightKind: 'send' | 'receive' | null
  /** Per unit of volume (usage), per message (message-fee), or the flat fee (period-fee). */
  price: string | null
  factor: string
  /** What this side charges the other on this line, exact: volume × weight × price × factor. */
  charge: string | null
}

/** The receiving side (`to`, whose charge the amount adds) and the sending side (`from`, whose charge it deducts). */
export interface AppliedLine { to: AppliedSide | null, from: AppliedSide | null }

export interface TariffVersion { seq: number, pricing: PricingTariff }

const fmt = (d: Dec): string => format(normalize(d))
const own = <T>(r: Record<string, T> | undefined, k: string): T | undefined => r !== undefined && Object.hasOwn(r, k) ? r[k] : undefined

/** Explain `line` from the tariff versions it names (`versionOf` answers undefined for one we lack). */
export function explainLine (line: WireLine, versionOf: (id: string) => TariffVersion | undefined, nameOf: (peer: string) => string): AppliedLine {
  const side = (peer: string): Omit<AppliedSide, 'class' | 'weight' | 'weightKind' | 'price' | 'charge'> & { t: TariffVersion | undefined } => {
    const id = own(line.tariffs, peer) ?? null
    const t = id === null ? undefined : versionOf(id)
    return { network: nameOf(peer), peerId: peer, tariff: id, version: t?.seq ?? null, factor: own(line.factors, peer) ?? '1', t }
  }
  const strip = ({ t: _t, ...s }: ReturnType<typeof side>, rest: Pick<AppliedSide, 'class' | 'weight' | 'weightKind' | 'price' | 'charge'>): AppliedSide => ({ ...s, ...rest })
  const unknown = { weight: null, weightKind: null, price: null, charge: null }
  try {
    if (line.kind === 'period-fee') {
      const to = side(line.to)
      const fee = to.t === undefined ? undefined : resolvePeriodFee(to.t.pricing, line.from)
      return { to: strip(to, { class: null, ...unknown, ...(fee !== undefined ? { price: fee, charge: fmt(parseDec(fee, 'periodFee')) } : {}) }), from: null }
    }
    if (line.class === null || (line.kind !== 'usage' && line.kind !== 'message-fee')) return { to: null, from: null }
    const cls = line.class
    const to = side(line.to)
    const from = side(line.from)
    const sendCls = to.t === undefined ? cls : senderClass(to.t.pricing, line.from, cls, 'classMap')
    const volume = parseDec(line.volume, 'volume')
    const one = (s: ReturnType<typeof side>, other: string, c: string, dir: 'send' | 'receive'): AppliedSide => {
      if (s.t === undefined) return strip(s, { class: c, ...unknown })
      const p = s.t.pricing
      const factor = parseDec(s.factor, 'factor')
      const weight = resolveWeights(p, other, c)[dir]
      if (line.kind === 'usage') {
        const price = own(p.classes, c)?.price ?? '0'
        return strip(s, { class: c, weight, weightKind: dir, price, charge: fmt(mul(mul(mul(volume, parseDec(weight, 'weight')), parseDec(price, 'price')), factor)) })
      }
      const fee = messageFeeOf(p, c, 'pricing')
      if (fee === undefined) return strip(s, { class: c, weight: null, weightKind: null, price: null, charge: '0' })
      const w = fee.weighted ? parseDec(weight, 'weight') : ONE
      return strip(s, { class: c, weight: fee.weighted ? weight : null, weightKind: fee.weighted ? dir : null, price: fmt(fee.fee), charge: fmt(mul(mul(mul(volume, fee.fee), w), factor)) })
    }
    return { to: one(to, line.from, cls, 'send'), from: one(from, line.to, sendCls, 'receive') }
  } catch {
    // A line the model would refuse (it was co-signed, so this means a tariff we hold differs): show nothing rather than a guess.
    return { to: null, from: null }
  }
}
