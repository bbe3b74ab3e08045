/** The demo's tables: every co-signed settlement of the reported periods, and each operator's brokerage view. */
import { DEMO_BORDERS } from './network.js'
import { out } from './out.js'
import type { Running } from './processes.js'
import type { Report } from './report.js'
import { brokerageOf, statementsOf, type StatementView } from './views.js'

const clock = (t: number): string => new Date(t).toISOString().slice(11, 19)

export async function printSummary (agents: Running[], report: Report): Promise<void> {
  out('\nCo-signed settlements (each line: the statement both neighbours signed for that period and border)')
  out(`${'period (UTC)'.padEnd(21)} ${'border'.padEnd(22)} ${'who pays whom'.padEnd(28)} ${'amount'.padStart(12)}`)
  const byBorderSide = new Map<string, StatementView[]>()
  for (const r of agents) byBorderSide.set(r.name, await statementsOf(r.url))
  for (const p of report.periods) {
    const when = clock(p.period.start) + '–' + clock(p.period.end)
    for (const b of DEMO_BORDERS) {
      const s = (byBorderSide.get(b.a) ?? []).find(x => x.neighbour === b.b && x.period.start === p.period.start)
      if (s === undefined) continue
      out(`${when.padEnd(21)} ${`${b.a} ↔ ${b.b}`.padEnd(22)} ${`${s.payer} pays ${s.payee}`.padEnd(28)} ${s.amount.padStart(12)} ${s.currency}`)
    }
  }
  out('\nBrokerage view (per operator and class, all settled periods: charged to originators = retained + paid to terminators)')
  for (const r of agents) {
    const views = (await brokerageOf(r.url)).filter(v => report.periods.some(p => p.period.start === v.periodStart))
    for (const v of views) {
      for (const c of v.classes ?? []) {
        const f = Object.entries(c.factors).filter(([, fs]) => fs.some(x => x !== '1')).map(([n, fs]) => `${n} ×${fs.join('/')}`).join(', ')
        out(`${r.name.padEnd(10)} ${clock(v.periodStart)} ${c.class.padEnd(3)} charged ${c.chargedToOriginators.padStart(10)}  paid ${c.paidToTerminators.padStart(10)}  retained ${c.retained.padStart(10)} ${v.currency ?? ''}${f !== '' ? `  (SLA: ${f})` : ''}`)
      }
    }
  }
}
