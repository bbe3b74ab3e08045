/**
 * Revising our usage report for a disputed interval (see service.ts `revise`): what an operator may
 * ask for, what it gets back, and the pure construction of the revised report's body.
 */
import type { UsageReport, UsageReportBody } from '@splitedge/wire'
import type { Refusals } from '@splitedge/wire'
import type { MetricInput, UsageLineInput } from '../usage/types.js'

/** Adopt the neighbour's reported figures, or give our corrected absolute figures. */
export type ReviseInput = { accept: true } | { lines: UsageLineInput[] }

export type ReviseRefusal = Refusals<'unknown-neighbour' | 'not-disputed' | 'settled' | 'no-reports' | 'bad-figures' | 'conflict'>

export type ReviseOutcome =
  | { ok: true, report: string, revision: number, lines: UsageReportBody['lines'], metrics: UsageReportBody['metrics'] }
  | { ok: false, code: ReviseRefusal, message: string }

/** A report's revision: absent means 0. */
export const revisionOf = (r: UsageReport): number => r.body.revision ?? 0

/** Our next report body: same border, reporter and interval, new figures, the next revision. */
export function revisedBody (current: UsageReportBody, lines: UsageLineInput[], metrics: readonly MetricInput[]): UsageReportBody {
  const key = (l: { class: string, from: string, to: string }): string => `${l.class}\u0000${l.from}\u0000${l.to}`
  const sorted = [...lines].sort((x, y) => key(x) < key(y) ? -1 : key(x) > key(y) ? 1 : 0)
  return {
    border: [current.border[0], current.border[1]],
    reporter: current.reporter,
    interval: { start: current.interval.start, length: current.interval.length },
    lines: sorted.map(l => ({ class: l.class, from: l.from, to: l.to, volume: l.volume, ...(l.messages !== undefined ? { messages: Number(l.messages) } : {}) })),
    metrics: metrics.map(m => ({ subject: m.subject, class: m.class, metric: m.metric, value: m.value })),
    revision: (current.revision ?? 0) + 1
  }
}
