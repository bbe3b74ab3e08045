/**
 * Rendering of a scenario result as section 7's output JSON. Written by hand rather than with
 * `JSON.stringify` on an object because JS objects put integer-like keys first: here the order is
 * exactly the documented one, so the same input always gives the same bytes.
 *
 * Order: `surplus` lists every network in the scenario's declaration order; `borders` is ordered
 * by the declaration index of `from`, then of `to`, then by class id in code-unit order.
 *
 * Rounding: each border line (a statement line) is rounded half-even once; every surplus is the
 * exact sum of rounded lines, so the printed surpluses add up to exactly zero. Format 2 also
 * prints each border's statement, line by line, as agents sign it.
 */
import { add, format, neg, roundHalfEven, type Dec } from './decimal.js'
import type { ScenarioResult } from './evaluate.js'
import { evaluateScenario } from './evaluate.js'
import { ModelError } from './errors.js'
import { evaluateScenario2, scenario2Totals, type Scenario2Result } from './scenario2.js'
import { isRecord } from './sla.js'
import type { StatementLine } from './statement.js'

const q = JSON.stringify

export function renderScenarioOutput (r: ScenarioResult): string {
  const rounded = r.borders.map(b => roundHalfEven(b.net, r.decimals))
  const index = new Map(r.ids.map((id, i) => [id, i]))
  const surplus: Dec[] = r.ids.map(() => ({ c: 0n, s: r.decimals }))
  r.borders.forEach((b, i) => {
    const to = index.get(b.to)!
    const from = index.get(b.from)!
    surplus[to] = add(surplus[to]!, rounded[i]!)
    surplus[from] = add(surplus[from]!, neg(rounded[i]!))
  })
  return render(r.ids, surplus, r.borders.map((b, i) => ({ from: b.from, to: b.to, class: b.class, net: rounded[i]! })))
}

function render (ids: string[], surplus: Dec[], borders: Array<{ from: string, to: string, class: string, net: Dec }>, extra = ''): string {
  const s = ids.map((id, i) => `    ${q(id)}: ${q(format(surplus[i]!))}`)
  const b = borders.map(x => `    { "from": ${q(x.from)}, "to": ${q(x.to)}, "class": ${q(x.class)}, "net": ${q(format(x.net))} }`)
  return '{\n' +
    `  "surplus": {${s.length > 0 ? '\n' + s.join(',\n') + '\n  ' : ''}},\n` +
    `  "borders": [${b.length > 0 ? '\n' + b.join(',\n') + '\n  ' : ''}]${extra}\n` +
    '}\n'
}

/** Format 2: surpluses and border nets from the statements' rounded lines, then the statements. */
export function renderScenario2Output (r: Scenario2Result): string {
  const { surplus, borders } = scenario2Totals(r)
  const fixed = (d: Dec): Dec => roundHalfEven(d, r.decimals)
  const statements = r.statements.map(({ parties, statement: st }) =>
    `    { "parties": [${q(parties[0])}, ${q(parties[1])}], "net": ${q(st.net)}, "lines": [` +
    (st.lines.length > 0 ? '\n' + st.lines.map(l => `      ${renderLine(l)}`).join(',\n') + '\n    ' : '') + '] }')
  return render(r.ids, surplus.map(fixed), borders.map(b => ({ from: r.ids[b.from]!, to: r.ids[b.to]!, class: b.class, net: fixed(b.net) })),
    `,\n  "statements": [${statements.length > 0 ? '\n' + statements.join(',\n') + '\n  ' : ''}]`)
}

/** A statement line with record keys in the model's (code-unit) order. */
export function renderLine (l: StatementLine): string {
  const rec = (r: Record<string, string>): string => '{ ' + Object.keys(r).sort((a, b) => a < b ? -1 : a > b ? 1 : 0).map(k => `${q(k)}: ${q(r[k])}`).join(', ') + ' }'
  return `{ "kind": ${q(l.kind)}, "class": ${q(l.class)}, "from": ${q(l.from)}, "to": ${q(l.to)}, "volume": ${q(l.volume)}, ` +
    `"tariffs": ${rec(l.tariffs)}, "factors": ${rec(l.factors)}, "amount": ${q(l.amount)}${l.note !== undefined ? `, "note": ${q(l.note)}` : ''} }`
}

/** Scenario JSON text in, output JSON text out (format 1 or 2). Throws `SyntaxError` or `ModelError`. */
export function simulate (scenarioJson: string): string {
  const input: unknown = JSON.parse(scenarioJson)
  if (isRecord(input) && input.format !== undefined) {
    if (input.format === 2) return renderScenario2Output(evaluateScenario2(input))
    if (input.format !== 1) throw new ModelError('bad-type', 'format', `must be 1 or 2, got ${q(input.format)}`)
    const { format: _, ...rest } = input
    return renderScenarioOutput(evaluateScenario(rest))
  }
  return renderScenarioOutput(evaluateScenario(input))
}

