/**
 * An operator's corrections to an interval, through its lifecycle:
 *
 * - `revise` resolves our side of an open usage dispute: a report with the next revision (the
 *   neighbour's figures accepted, or corrected absolute figures) supersedes ours (the old one is
 *   kept for audit), our dispute is marked resolved and the interval is pending again, in one
 *   durable write. The neighbour, holding its dispute open, reconciles again when a report comes
 *   with a revision above the one its dispute recorded. A revision only helps before the period
 *   settles: statements are immutable, so `revise` refuses once the period is co-signed.
 * - `discard` drops counters an operator knows are wrong from an interval not yet reported; an
 *   interval closed as unreportable is reopened (its dispute resolved, pending again) while its
 *   period is open.
 */
import { docId, encodeDocument, sign } from '@splitedge/wire'
import type { BorderComponents } from './components.js'
import { pad } from './book.js'
import { periodOf } from '../clock/intervals.js'
import { lineKey, metricKey, withoutClasses } from '../usage/counters.js'
import { UsageError } from '../usage/push.js'
import { revisedBody, revisionOf, type ReviseInput, type ReviseOutcome } from './revise.js'
import type { IntervalRun, IntervalShell } from './shell.js'

export class Operator {
  constructor (private readonly c: BorderComponents, private readonly shell: IntervalShell) {}

  private get checks (): IntervalShell['checks'] { return this.shell.checks }

  private async periodSettled (peer: string, start: number): Promise<{ start: number, end: number } | undefined> {
    const period = periodOf(start, this.c.config.intervalMs, this.c.config.periodIntervals)
    return (await this.c.store.getStatement(this.checks.border(peer), period.start)) !== undefined ? period : undefined
  }

  async revise (peer: string, start: number, input: ReviseInput): Promise<ReviseOutcome> {
    const { c, checks } = this
    const me = c.identity.peerId
    if (!c.neighbours.has(peer)) return { ok: false, code: 'unknown-neighbour', message: `${peer} is not a configured neighbour` }
    const border = checks.border(peer)
    const dispute = await c.store.getDispute('usage', border, pad(start))
    const notDisputed = `no open usage dispute with ${checks.nameOf(peer)} for the interval starting ${start}`
    if (dispute === undefined || dispute.status !== 'open') return { ok: false, code: 'not-disputed', message: notDisputed }
    const settled = await this.periodSettled(peer, start)
    if (settled !== undefined) {
      return { ok: false, code: 'settled', message: `the period ${settled.start}-${settled.end} with ${checks.nameOf(peer)} is already settled without this interval; statements are immutable, so a revision can no longer count` }
    }
    const ownRec = await c.store.getReport(border, start, me)
    const theirRec = await c.store.getReport(border, start, peer)
    if (ownRec === undefined || theirRec === undefined) return { ok: false, code: 'no-reports', message: 'the dispute\'s reports are not held here' }
    const own = checks.decode(ownRec.bytes, 'usage-report')
    const theirs = checks.decode(theirRec.bytes, 'usage-report')
    const lines = 'accept' in input ? theirs.body.lines.map(l => ({ class: l.class, from: l.from, to: l.to, volume: l.volume, ...(l.messages !== undefined ? { messages: String(l.messages) } : {}) })) : input.lines
    const body = revisedBody(own.body, lines, 'accept' in input ? theirs.body.metrics : own.body.metrics)
    const signed = sign(c.identity, 'usage-report', body)
    if (!signed.ok) return { ok: false, code: 'bad-figures', message: signed.error.message }
    const id = docId(signed.value)
    const counters = { lines: Object.fromEntries(lines.map(l => [lineKey(l), { class: l.class, from: l.from, to: l.to, volume: l.volume, ...(l.messages !== undefined ? { messages: Number(l.messages) } : {}) }])), metrics: Object.fromEntries(body.metrics.map(m => [metricKey(m), m])), sealed: id }
    const revision = revisionOf(signed.value)
    const bytes = encodeDocument(signed.value)
    const run: IntervalRun = {
      write: (b) => b
        .replaceReport({ border, intervalStart: start, reporter: me, id, bytes, revision })
        .resolveDispute({ kind: 'usage', border, key: pad(start), resolution: { revised: id, revision, by: 'accept' in input ? 'accept' : 'lines' }, time: c.clock.now() })
        .replaceUsage(border, start, counters, false)
    }
    const r = await this.shell.run(peer, start, { k: 'revised' }, run)
    if (r.refused !== undefined) return { ok: false, code: 'not-disputed', message: `${notDisputed} (${r.refused})` }
    const written = run.written
    if (written?.ok !== true) return { ok: false, code: 'conflict', message: `the store refused the revision (${written?.results.join(', ') ?? 'not written'}); retry` }
    c.log.info({ peer: checks.nameOf(peer), start, revision, id }, 'usage revised: dispute resolved here, interval pending again')
    return { ok: true, report: id, revision, lines: body.lines, metrics: body.metrics }
  }

  async discard (peer: string, start: number, classes?: readonly string[]): Promise<{ discarded: number, reopened: boolean }> {
    const { c, checks } = this
    const border = checks.border(peer)
    const held = await c.usage.counters(peer, start)
    const reopen = held.sealed === 'unreportable'
    if (held.sealed !== undefined && !reopen) throw new UsageError('interval-closed', 'intervalStart', `interval ${start} is already closed (${held.sealed.startsWith('bafy') || held.sealed === 'report' ? 'reported to the neighbour' : held.sealed}); its figures can only change through a dispute revision`)
    if (reopen && (await this.periodSettled(peer, start)) !== undefined) throw new UsageError('interval-closed', 'intervalStart', `the period of interval ${start} is already settled`)
    const kept = withoutClasses(held, classes)
    const run: IntervalRun = {
      write: (b) => {
        b.replaceUsage(border, start, { lines: kept.lines, metrics: kept.metrics }, !reopen)
        return reopen ? b.resolveDispute({ kind: 'usage', border, key: pad(start), resolution: { discarded: kept.discarded, by: 'operator' }, time: c.clock.now() }) : b
      }
    }
    const r = await this.shell.run(peer, start, { k: 'discarded' }, run)
    if (r.refused !== undefined) throw new UsageError('interval-closed', 'intervalStart', `interval ${start} cannot be changed: ${r.refused}`)
    if (run.written?.ok !== true) throw new UsageError('interval-closed', 'intervalStart', `interval ${start} closed while discarding; nothing was changed`)
    c.log.warn({ peer: checks.nameOf(peer), start, classes, discarded: kept.discarded, reopened: reopen }, 'usage counters discarded by the operator')
    return { discarded: kept.discarded, reopened: reopen }
  }
}
