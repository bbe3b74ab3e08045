/**
 * Waiting for the network to settle: progress lines until every border has the periods asked for
 * co-signed on both sides, complete, from the period in which transit-2 changes its tariff on.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { stringify as toYaml } from 'yaml'
import { DEMO_BORDERS, DEMO_TARIFF_CHANGE, type Border } from './network.js'
import { out } from './out.js'
import { assertRunning, type Running } from './processes.js'
import { attestationsOf, disputesOf, statementsOf, type StatementView } from './views.js'

export interface Goal { intervalMs: number, periodIntervals: number, periods: number, timeoutMs: number, dir: string }
export interface Clock { started: number, deadline: number }

/** The start of the period in which the tariff changed: the report restates periods from it on. */
export async function waitForPeriods (agents: Running[], goal: Goal, clock: Clock, token: string): Promise<number> {
  let changePeriod: number | undefined
  let lastLine = 0
  for (;;) {
    assertRunning(agents)
    const seen = await look(agents)
    const perBorder = DEMO_BORDERS.map(b => completeOn(seen.statements, b, goal.periodIntervals))
    const done = perBorder.map(p => p.size)
    // Once every border settles, transit-2 changes its tariff inside a period; the report
    // restates periods that every border settled completely, from that period on.
    const allStarts = [...(perBorder[0] ?? [])].filter(start => perBorder.every(p => p.has(start)))
    if (changePeriod === undefined && allStarts.length > 0) {
      changePeriod = await changeTariffMidPeriod(agents, goal, clock.deadline, token)
      out(`transit-2 published a new tariff version inside the period starting ${new Date(changePeriod).toISOString().slice(11, 19)} (be 0.0000012 -> 0.0000013 from its next interval)`)
    }
    const from = changePeriod
    const everywhere = from === undefined ? 0 : allStarts.filter(start => start >= from).length
    if (Date.now() - lastLine >= 2000 || everywhere >= goal.periods) {
      const settled = new Set([...seen.statements.values()].flat().map(s => s.id)).size
      out(`[${String(Math.round((Date.now() - clock.started) / 1000)).padStart(4)}s] attestations ${seen.attested} · co-signed statements ${settled} · complete periods per border ${done.join('/')}, on every border ${everywhere} (target ${goal.periods}) · disputes ${seen.disputes}`)
      lastLine = Date.now()
    }
    if (everywhere >= goal.periods) return from ?? 0
    if (Date.now() > clock.deadline) throw new Error(`timed out after ${goal.timeoutMs / 1000}s with complete periods per border ${done.join('/')}; logs are in ${goal.dir}`)
    await sleep(500)
  }
}

/** Every agent's statements, and the network's count of attestations and open disputes. */
async function look (agents: Running[]): Promise<{ statements: Map<string, StatementView[]>, attested: number, disputes: number }> {
  const statements = new Map<string, StatementView[]>()
  const attested = new Set<string>()
  let disputes = 0
  for (const r of agents) {
    statements.set(r.name, await statementsOf(r.url))
    for (const a of await attestationsOf(r.url)) attested.add(a.id)
    disputes += (await disputesOf(r.url)).length
  }
  return { statements, attested: attested.size, disputes }
}

/** Starts of the border's periods co-signed on both sides, complete (every interval attested). */
function completeOn (statements: Map<string, StatementView[]>, b: Border, periodIntervals: number): Set<number> {
  const theirs = new Set((statements.get(b.b) ?? []).filter(s => s.neighbour === b.a).map(s => s.id))
  return new Set((statements.get(b.a) ?? []).filter(s => s.neighbour === b.b && s.attestations === periodIntervals && theirs.has(s.id)).map(s => s.period.start))
}

/** Publish transit-2's second version in the middle of a period's first interval; returns that period's start. */
async function changeTariffMidPeriod (agents: Running[], goal: Goal, deadline: number, token: string): Promise<number> {
  const { intervalMs, periodIntervals } = goal
  const len = intervalMs * periodIntervals
  const t2 = agents.find(r => r.name === DEMO_TARIFF_CHANGE.name)
  if (t2 === undefined) throw new Error(`no agent ${DEMO_TARIFF_CHANGE.name} to change its tariff`)
  for (;;) {
    const phase = Date.now() % len
    if (phase >= intervalMs * 0.2 && phase <= intervalMs * 0.6) break
    if (Date.now() > deadline) throw new Error('timed out waiting to change a tariff mid-period')
    await sleep(Math.max(10, Math.min(100, (len + intervalMs * 0.3 - phase) % len)))
  }
  const at = Date.now()
  const res = await fetch(`${t2.url}/v1/tariff`, { method: 'POST', body: toYaml(DEMO_TARIFF_CHANGE.tariff), headers: { 'content-type': 'application/yaml', authorization: `Bearer ${token}` } })
  if (!res.ok) throw new Error(`publishing transit-2's new tariff: HTTP ${res.status} ${await res.text()}`)
  return Math.floor(at / len) * len
}
