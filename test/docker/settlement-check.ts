/**
 * Checks on what the agents' HTTP APIs say, shared by the docker specs: each co-signed statement
 * recomputed with the agent's own `assembleStatement` and the model's `computeStatement` from the
 * attestations and tariff versions the agent serves, and money conservation across agents. Pure,
 * but for `readViews`, which fetches one agent's views in the order the checks need.
 */
import { assembleStatement } from '@splitedge/agent'
import { add, computeStatement, dec, format, neg, ZERO, type Dec } from '@splitedge/model'
import type { TariffInForce } from '@splitedge/agent'
import type { UsageAttestation } from '@splitedge/wire'

/** GET /v1/attestations */
export interface AttestationView {
  neighbour: string
  intervalStart: number
  id: string
  lines: Array<{ class: string, from: string, to: string, volume: string, messages?: string }>
  metrics: Array<{ subject: string, class: string, metric: string, value: string }>
  signers: string[]
}

/** GET /v1/tariffs */
export interface TariffView { issuer: string, peerId: string, seq: number, id: string, effective: number, pricing: TariffInForce['pricing'] }

export interface StatementLineView { kind: string, class: string, from: string, to: string, volume: string, tariffs: Record<string, string>, factors: Record<string, string>, amount: string }

/** GET /v1/statements */
export interface StatementView {
  neighbour: string
  id: string
  period: { start: number, end: number }
  currency: string
  net: string
  payer: string
  payee: string
  amount: string
  lines: StatementLineView[]
  attestations: number
}

export interface AgentViews {
  name: string
  peerId: string
  attestations: AttestationView[]
  tariffs: TariffView[]
  statements: StatementView[]
}

/**
 * One agent's views, read statements first, then attestations and tariffs. The agent stores a
 * statement only once it holds every attestation the statement names and every tariff version it
 * prices with (packages/agent/src/settle: responder.ts co-signs only when neither side lacks an
 * attestation; statement.ts computes from the attestations held), and it never removes either.
 * So the listings read after the statements hold everything those statements were made from,
 * however long the reads take. Read the other way round, a period's last attestation and its
 * statement can both be stored between the two reads, and `recheckStatement` then sees a
 * statement naming more attestations than the listing holds ("names 2, holds 1").
 */
export async function readViews (view: <T>(path: string) => Promise<T>, name: string, peerId: string): Promise<AgentViews> {
  const statements = await view<StatementView[]>('/v1/statements')
  const [attestations, tariffs] = await Promise.all([view<AttestationView[]>('/v1/attestations'), view<TariffView[]>('/v1/tariffs')])
  return { name, peerId, attestations, tariffs, statements }
}

/** The tariff version of `issuer` in force for an interval starting at `t`: highest seq effective by then. */
export function inForce (tariffs: readonly TariffView[], issuer: string, t: number): TariffView | undefined {
  let best: TariffView | undefined
  for (const v of tariffs) {
    if (v.peerId === issuer && v.effective <= t && (best === undefined || v.seq > best.seq)) best = v
  }
  return best
}

/**
 * Recompute one of `me`'s statements from its own attestations and tariff book. Returns the
 * differences found (empty when the statement is exactly what the model computes).
 */
export async function recheckStatement (me: AgentViews, s: StatementView, peerIdOf: (name: string) => string, nameOf: (peerId: string) => string, periodIntervals: number): Promise<string[]> {
  const problems: string[] = []
  const other = peerIdOf(s.neighbour)
  const parties = [me.peerId, other].sort() as [string, string]
  const atts = me.attestations.filter(a => a.neighbour === s.neighbour && a.intervalStart >= s.period.start && a.intervalStart < s.period.end)
  if (atts.length !== s.attestations) problems.push(`${me.name}/${s.neighbour} ${s.period.start}: statement names ${s.attestations} attestations, the agent holds ${atts.length} in the period`)
  // assembleStatement reads only interval.start, lines and metrics of each attestation body.
  const docs = atts.map(a => ({ id: a.id, doc: { body: { interval: { start: a.intervalStart }, lines: a.lines, metrics: a.metrics } } as unknown as UsageAttestation }))
  const input = await assembleStatement(parties, periodIntervals, docs, async (issuer, t) => {
    const v = inForce(me.tariffs, issuer, t)
    return v === undefined ? undefined : { id: v.id, issuer: v.peerId, seq: v.seq, pricing: v.pricing } as unknown as TariffInForce
  })
  const st = computeStatement(input)
  if (st.net !== s.net) problems.push(`${me.name}/${s.neighbour} ${s.period.start}: net ${s.net}, model ${st.net}`)
  if (st.currency !== s.currency) problems.push(`${me.name}/${s.neighbour} ${s.period.start}: currency ${s.currency}, model ${st.currency}`)
  const ours = st.lines.map(l => JSON.stringify({ kind: l.kind, class: l.class, from: nameOf(l.from), to: nameOf(l.to), volume: l.volume, tariffs: l.tariffs, factors: l.factors, amount: l.amount }))
  const theirs = s.lines.map(l => JSON.stringify({ kind: l.kind, class: l.class, from: l.from, to: l.to, volume: l.volume, tariffs: l.tariffs, factors: l.factors, amount: l.amount }))
  if (JSON.stringify(ours) !== JSON.stringify(theirs)) problems.push(`${me.name}/${s.neighbour} ${s.period.start}: lines differ\n  agent ${theirs.join('\n        ')}\n  model ${ours.join('\n        ')}`)
  return problems
}

/** Per period: the sum over agents of (received − paid) in their statements, as exact decimals. */
export function surplusByPeriod (agents: readonly AgentViews[]): Map<number, string> {
  const sums = new Map<number, Dec>()
  for (const a of agents) {
    for (const s of a.statements) {
      const amount = dec(s.amount)
      const signed = s.payee === a.name ? amount : s.payer === a.name ? neg(amount) : undefined
      if (signed === undefined) throw new Error(`${a.name}: statement ${s.id} neither pays nor is paid by it`)
      sums.set(s.period.start, add(sums.get(s.period.start) ?? ZERO, signed))
    }
  }
  return new Map([...sums].map(([k, v]) => [k, format(v)]))
}
