/**
 * Rendering of a scenario result as section 7's output JSON. Written by hand rather than with
 * `JSON.stringify` on an object because JS objects put integer-like keys first: here the order is
 * exactly the documented one, so the same input always gives the same bytes.
 *
 * Order: `surplus` lists every network in the scenario's declaration order; `borders` is ordered
 * by the declaration index of `from`, then of `to`, then by class id in code-unit order. Every
 * amount is rounded half-even to `decimals` places, once, here.
 */
import { formatRounded } from './decimal.js'
import type { ScenarioResult } from './evaluate.js'
import { evaluateScenario } from './evaluate.js'

export function renderScenarioOutput (r: ScenarioResult): string {
  const q = JSON.stringify
  const surplus = r.ids.map((id, i) => `    ${q(id)}: ${q(formatRounded(r.surplus[i]!, r.decimals))}`)
  const borders = r.borders.map(b =>
    `    { "from": ${q(b.from)}, "to": ${q(b.to)}, "class": ${q(b.class)}, "net": ${q(formatRounded(b.net, r.decimals))} }`)
  return '{\n' +
    `  "surplus": {${surplus.length > 0 ? '\n' + surplus.join(',\n') + '\n  ' : ''}},\n` +
    `  "borders": [${borders.length > 0 ? '\n' + borders.join(',\n') + '\n  ' : ''}]\n` +
    '}\n'
}

/** Scenario JSON text in, output JSON text out. Throws `SyntaxError` or `ModelError`. */
export function simulate (scenarioJson: string): string {
  return renderScenarioOutput(evaluateScenario(JSON.parse(scenarioJson)))
}
