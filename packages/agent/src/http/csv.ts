/**
 * `GET /v1/statements.csv?from=&to=`: every co-signed statement line in the range, one row each,
 * for a billing system. `net_to_us` is the line from our side (positive: the neighbour owes us),
 * so its sum per neighbour is what the statements posted to that neighbour's ledger account.
 * `our_*` / `their_*` say what each side's tariff version applied: its sequence number, the weight
 * (send on the receiving side, receive on the sending side), the price (per unit, per message for
 * a message fee, or the period fee) and the exact charge, volume × weight × price × SLA factor;
 * `amount` is the receiving side's charge minus the sending side's, rounded once.
 */
import type { ServerResponse } from 'node:http'
import type { Views } from './views.js'
import type { ListQuery } from '@splitedge/node'
import type { AppliedLine, AppliedSide } from './statement-lines.js'

export const CSV_COLUMNS = ['period_start', 'period_end', 'neighbour', 'statement', 'currency', 'kind', 'class', 'from', 'to', 'volume',
  'our_tariff', 'their_tariff', 'our_sla_factor', 'their_sla_factor', 'amount', 'net_to_us', 'note',
  // Added after the first release, so they come last: what each side's tariff version applied (statement-lines.ts).
  'our_tariff_version', 'our_weight', 'our_price', 'our_charge', 'their_tariff_version', 'their_weight', 'their_price', 'their_charge'] as const

/** RFC 4180 quoting, and a leading = + - @ neutralised so a spreadsheet never runs a cell as a formula. */
export function csvCell (v: string): string {
  const safe = /^[=+@\t\r]/.test(v) || (v.startsWith('-') && !/^-[0-9.]+$/.test(v)) ? `'${v}` : v
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe
}

const negate = (d: string): string => d.startsWith('-') ? d.slice(1) : /^0(\.0*)?$/.test(d) ? d : `-${d}`

/** `tariff_version, weight, price, charge` of `peer`'s side of a line (empty where none applies). */
function sideCells (a: AppliedLine | undefined, peer: string): string[] {
  const s: AppliedSide | null | undefined = a?.to?.peerId === peer ? a.to : a?.from?.peerId === peer ? a.from : undefined
  return [s?.version === null || s?.version === undefined ? '' : String(s.version), s?.weight ?? '', s?.price ?? '', s?.charge ?? '']
}

/** Stream the CSV a page of statements at a time. */
export async function statementsCsv (views: Views, me: string, q: ListQuery, res: ServerResponse): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': 'attachment; filename="statements.csv"' })
  res.write(CSV_COLUMNS.join(',') + '\r\n')
  let page = await views.statementDocs({ ...q, limit: 200 })
  for (;;) {
    const applied = await views.explainLines(page.items)
    for (const [i, s] of page.items.entries()) {
      const them = s.peerId
      for (const [j, l] of s.body.lines.entries()) {
        const row = [
          String(s.body.period.start), String(s.body.period.end), s.neighbour, s.id, s.body.currency, l.kind, l.class ?? '',
          views.name(l.from), views.name(l.to), l.volume, l.tariffs[me] ?? '', l.tariffs[them] ?? '', l.factors[me] ?? '', l.factors[them] ?? '',
          l.amount, l.to === me ? l.amount : negate(l.amount), l.note ?? '',
          ...sideCells(applied[i]?.[j], me), ...sideCells(applied[i]?.[j], them)
        ]
        if (!res.write(row.map(csvCell).join(',') + '\r\n')) await new Promise(resolve => res.once('drain', resolve))
      }
    }
    if (page.next === undefined) break
    page = await views.statementDocs({ ...q, limit: 200, after: page.next })
  }
  res.end()
}
