/**
 * The brokerage view (patent claims 1, 6, 7, 12; docs/pricing.md): for a network `self`
 * between originators and terminators, per class, what it charged originators, what it paid
 * terminators, and what it retained, read from its bilateral statements. It is not a separate
 * mechanism: charged to originators = retained + paid to terminators, by construction.
 *
 * A line whose traffic enters `self` (`to === self`) is from an originator: its amount (what the
 * originator pays `self`) counts as charged. A line whose traffic leaves `self` (`from === self`)
 * goes to a terminator: its amount counts as paid. Amounts keep their sign (a negative charge is a
 * payment to the originator). Period fees are reported apart, since they have no class.
 */
import { add, formatRounded, neg, parseDec, ZERO, type Dec } from './decimal.js'
import { ModelError } from './errors.js'
import { codeUnitOrder } from './scenario.js'
import type { Statement } from './statement.js'
import type { ClassId, Decimal, NetworkId } from './types.js'

export interface BrokerageClassView {
  class: ClassId
  chargedToOriginators: Decimal
  paidToTerminators: Decimal
  /** chargedToOriginators - paidToTerminators. */
  retained: Decimal
  /** The distinct SLA factors that moved these amounts, per network (sorted). */
  factors: Record<NetworkId, Decimal[]>
}

export interface BrokerageView {
  self: NetworkId
  currency: string
  decimals: number
  /** By class id, code-unit order. */
  classes: BrokerageClassView[]
  periodFees: { charged: Decimal, paid: Decimal, retained: Decimal }
}

interface Acc { charged: Dec, paid: Dec, factors: Map<NetworkId, Set<Decimal>> }

export function brokerageView (self: NetworkId, statements: Statement[]): BrokerageView {
  if (statements.length === 0) throw new ModelError('bad-type', 'statements', 'must be a non-empty array')
  const { currency, decimals } = statements[0]!
  const byClass = new Map<ClassId, Acc>()
  const fees = { charged: ZERO, paid: ZERO }
  statements.forEach((st, i) => {
    if (st.currency !== currency || st.decimals !== decimals) {
      throw new ModelError('mismatch', `statements[${i}]`, `currency ${st.currency}/${st.decimals} differs from statements[0]: ${currency}/${decimals}`)
    }
    st.lines.forEach((line, j) => {
      const field = `statements[${i}].lines[${j}]`
      const amount = parseDec(line.amount, `${field}.amount`)
      const incoming = line.to === self
      if (!incoming && line.from !== self) throw new ModelError('bad-usage', field, `${JSON.stringify(self)} is not a party`)
      if (line.class === null) {
        if (incoming) fees.charged = add(fees.charged, amount)
        else fees.paid = add(fees.paid, amount)
        return
      }
      let acc = byClass.get(line.class)
      if (acc === undefined) byClass.set(line.class, acc = { charged: ZERO, paid: ZERO, factors: new Map() })
      if (incoming) acc.charged = add(acc.charged, amount)
      else acc.paid = add(acc.paid, amount)
      for (const [id, f] of Object.entries(line.factors)) {
        let set = acc.factors.get(id)
        if (set === undefined) acc.factors.set(id, set = new Set())
        set.add(f)
      }
    })
  })
  const classes = [...byClass.entries()].sort((x, y) => codeUnitOrder(x[0], y[0])).map(([cls, acc]) => {
    const factors: Record<NetworkId, Decimal[]> = {}
    for (const id of [...acc.factors.keys()].sort(codeUnitOrder)) factors[id] = [...acc.factors.get(id)!].sort(codeUnitOrder)
    return {
      class: cls,
      chargedToOriginators: fixed(acc.charged, decimals),
      paidToTerminators: fixed(acc.paid, decimals),
      retained: fixed(add(acc.charged, neg(acc.paid)), decimals),
      factors
    }
  })
  return {
    self,
    currency,
    decimals,
    classes,
    periodFees: { charged: fixed(fees.charged, decimals), paid: fixed(fees.paid, decimals), retained: fixed(add(fees.charged, neg(fees.paid)), decimals) }
  }
}

/** Sums of lines already rounded to `decimals`: exact at that scale, so this only formats. */
function fixed (d: Dec, decimals: number): Decimal {
  return formatRounded(d, decimals)
}
