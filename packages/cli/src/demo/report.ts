/**
 * `report.json`: each fully settled period restated as a format-2 scenario (every operator's
 * tariff versions in force, each border's attested volumes and SLA values per interval) next to
 * the co-signed statement lines, with network names for PeerIds, so `splitedge simulate` on the
 * scenario reproduces every line; and that check itself.
 */
import { simulate, type PricingTariff } from '@splitedge/model'
import { DEMO_BORDERS, type Border } from './network.js'
import type { Running } from './processes.js'
import { attestationsOf, statementsOf, tariffsOf, type AttestationView, type StatementView, type TariffView } from './views.js'

export interface ReportLine { kind: string, class: string | null, from: string, to: string, volume: string, tariffs: Record<string, string>, factors: Record<string, string>, amount: string, note?: string }

export interface ReportPeriod {
  period: { start: number, end: number }
  /** Scenario format 2: `splitedge simulate` on it prints every statement below, line by line. */
  scenario: Record<string, unknown>
  /** The co-signed statements, with network names for PeerIds. */
  statements: Array<{ border: [string, string], id: string, lines: ReportLine[] }>
  statementIds: string[]
}

export interface Report {
  networks: Record<string, string>
  intervalMs: number
  periodIntervals: number
  periods: ReportPeriod[]
}

/** Everything the agents hold, with a PeerId-to-name lookup. */
interface Held {
  name: (id: string) => string
  tariffs: Map<string, TariffView>
  statements: Map<string, StatementView[]>
  attestations: Map<string, AttestationView[]>
  intervalMs: number
  periodIntervals: number
}

/** The first `periods` periods from `fromStart` on that every border settled completely. */
export async function buildReport (agents: Running[], periodIntervals: number, periods: number, intervalMs: number, fromStart: number): Promise<Report> {
  const nameOf = new Map(agents.map(r => [r.peerId, r.name]))
  const held: Held = { name: id => nameOf.get(id) ?? id, tariffs: new Map(), statements: new Map(), attestations: new Map(), intervalMs, periodIntervals }
  for (const r of agents) {
    for (const t of await tariffsOf(r.url)) held.tariffs.set(t.id, t)
    held.statements.set(r.name, await statementsOf(r.url))
    held.attestations.set(r.name, await attestationsOf(r.url))
  }
  const starts = [...new Set([...held.statements.values()].flat().map(s => s.period.start))].sort((x, y) => x - y)
    .filter(start => start >= fromStart && DEMO_BORDERS.every(b => completeStatement(held, b, start) !== undefined)).slice(0, periods)
  return {
    networks: Object.fromEntries(agents.map(r => [r.name, r.peerId])),
    intervalMs,
    periodIntervals,
    periods: starts.map(start => restatePeriod(held, agents, start))
  }
}

function completeStatement (held: Held, b: Border, start: number): StatementView | undefined {
  return (held.statements.get(b.a) ?? []).find(s => s.neighbour === b.b && s.period.start === start && s.attestations === held.periodIntervals)
}

function restatePeriod (held: Held, agents: Running[], start: number): ReportPeriod {
  const { name, intervalMs, periodIntervals } = held
  const used = new Map<string, Set<string>>() // operator name -> tariff ids its lines use
  const statements: ReportPeriod['statements'] = []
  const flows: unknown[] = []
  const measured: unknown[] = []
  for (const b of DEMO_BORDERS) {
    const s = completeStatement(held, b, start)
    if (s === undefined) throw new Error(`invariant: no complete statement of ${b.a}-${b.b} for ${start}`)
    statements.push({ border: [b.a, b.b], id: s.id, lines: s.lines.map(l => namedLine(l, name, used)) })
    for (const a of (held.attestations.get(b.a) ?? []).filter(x => x.neighbour === b.b && x.intervalStart >= s.period.start && x.intervalStart < s.period.end)) {
      const interval = (a.intervalStart - start) / intervalMs
      for (const l of a.lines) flows.push({ path: [name(l.from), name(l.to)], class: l.class, volume: l.volume, ...(l.messages !== undefined ? { messages: String(l.messages) } : {}), interval })
      for (const m of a.metrics) measured.push({ border: [b.a, b.b], subject: name(m.subject), class: m.class, metric: m.metric, value: m.value, interval })
    }
  }
  return {
    period: { start, end: start + intervalMs * periodIntervals },
    scenario: {
      format: 2,
      currency: 'EUR',
      decimals: [...held.tariffs.values()][0]?.pricing.decimals ?? 6,
      unit: 'octet',
      intervals: periodIntervals,
      networks: agents.map(r => ({ id: r.name, role: 'provider' })),
      tariffs: versionsInForce(held, used, start),
      borders: DEMO_BORDERS.map(b => [b.a, b.b]),
      flows,
      measured
    },
    statements,
    statementIds: statements.map(s => s.id)
  }
}

/** A statement line with names for PeerIds; notes in `used` which tariff versions it priced with. */
function namedLine (l: StatementView['lines'][number], name: (id: string) => string, used: Map<string, Set<string>>): ReportLine {
  const note = (op: string, id: string): void => { const ids = used.get(op) ?? new Set<string>(); ids.add(id); used.set(op, ids) }
  return {
    kind: l.kind, class: l.class, from: name(l.from), to: name(l.to), volume: l.volume,
    tariffs: Object.fromEntries(Object.entries(l.tariffs).map(([k, v]) => { note(name(k), v); return [name(k), v] })),
    factors: Object.fromEntries(Object.entries(l.factors).map(([k, v]) => [name(k), v])),
    amount: l.amount,
    ...(l.note !== undefined ? { note: l.note } : {})
  }
}

/** Each operator's versions in force in the period, each from the first interval it applies to. */
function versionsInForce (held: Held, used: Map<string, Set<string>>, start: number): Record<string, unknown[]> {
  const versions: Record<string, unknown[]> = {}
  for (const [op, ids] of used) {
    const list = [...ids].map(id => held.tariffs.get(id)).filter((t): t is TariffView => t !== undefined).sort((x, y) => x.effective - y.effective)
    versions[op] = list.map((t, k) => ({ ref: t.id, fromInterval: k === 0 ? 0 : Math.max(0, Math.ceil((t.effective - start) / held.intervalMs)), ...namedPricing(t.pricing, held.name) }))
  }
  return versions
}

/** A model pricing with network names for PeerIds, as a format-2 tariff version. */
function namedPricing (p: PricingTariff, nameOf: (id: string) => string): Record<string, unknown> {
  const keys = <T>(m: Record<string, T> | undefined): Record<string, T> | undefined => m === undefined ? undefined : Object.fromEntries(Object.entries(m).map(([k, v]) => [nameOf(k), v]))
  return {
    currency: p.currency,
    decimals: p.decimals,
    unit: p.unit,
    classes: Object.fromEntries(Object.entries(p.classes).map(([c, v]) => [c, { ...v, ...(v.weights !== undefined ? { weights: keys(v.weights) } : {}) }])),
    weights: keys(p.weights),
    ...(p.statuses !== undefined ? { statuses: keys(p.statuses) } : {}),
    ...(p.periodFee !== undefined ? { periodFee: typeof p.periodFee === 'string' ? p.periodFee : keys(p.periodFee) } : {}),
    ...(p.bilateralSla !== undefined ? { bilateralSla: keys(p.bilateralSla) } : {}),
    ...(p.classMap !== undefined ? { classMap: keys(p.classMap) } : {})
  }
}

/**
 * Run `simulate` on each period's scenario and compare every line of every border's statement
 * with the co-signed one (lines compared as a set: their order depends on how ids sort). Also
 * checks the demo shows each kind of line it promises.
 */
export function checkReport (report: Report): { lines: number, kinds: Record<string, number> } {
  let lines = 0
  const kinds: Record<string, number> = { usage: 0, 'message-fee': 0, 'period-fee': 0, 'SLA-adjusted': 0, 'tariff-change': 0 }
  const canon = (ls: ReportLine[]): string[] => ls.map(l => JSON.stringify([l.kind, l.class, l.from, l.to, l.volume, Object.entries(l.tariffs).sort(), Object.entries(l.factors).sort(), l.amount, l.note ?? null])).sort()
  for (const [i, p] of report.periods.entries()) {
    const sim = JSON.parse(simulate(JSON.stringify(p.scenario))) as { statements: Array<{ parties: string[], lines: ReportLine[] }> }
    for (const st of p.statements) {
      const mine = sim.statements.find(x => x.parties.includes(st.border[0]) && x.parties.includes(st.border[1]))
      const want = canon(st.lines)
      const got = canon(mine?.lines ?? [])
      for (const [j, w] of want.entries()) {
        if (got[j] !== w) throw new Error(`report check failed: period ${i} border ${st.border.join('-')}: statement line ${w}, simulate gives ${got[j] ?? 'nothing'}`)
      }
      if (got.length !== want.length) throw new Error(`report check failed: period ${i} border ${st.border.join('-')}: ${want.length} statement lines, simulate gives ${got.length}`)
      lines += want.length
      for (const l of st.lines) {
        kinds[l.kind] = (kinds[l.kind] ?? 0) + 1
        if (Object.values(l.factors).some(f => f !== '1')) kinds['SLA-adjusted']!++
      }
      if (new Set(st.lines.filter(l => l.kind === 'usage').map(l => JSON.stringify(l.tariffs))).size > 1) kinds['tariff-change']!++
    }
  }
  for (const k of ['message-fee', 'period-fee']) if (kinds[k] === 0) throw new Error(`report check failed: no ${k} line in any statement`)
  return { lines, kinds }
}
