/**
 * Interval and period arithmetic. Pure: the current time is always an argument.
 *
 * Intervals are aligned to multiples of their length since the Unix epoch, so two agents with the
 * same configuration agree on interval boundaries without talking. A settlement period is
 * `periodIntervals` consecutive intervals, aligned the same way.
 */

export interface Interval { start: number, length: number }
export interface Period { start: number, end: number }

export function intervalStartOf (t: number, lengthMs: number): number {
  return Math.floor(t / lengthMs) * lengthMs
}

/** Interval starts in [from, to) that closed (end + grace) at or before `now`, oldest first. */
export function closedIntervals (from: number, now: number, lengthMs: number, graceMs: number, max = 10_000): number[] {
  const out: number[] = []
  for (let s = intervalStartOf(from, lengthMs); s + lengthMs + graceMs <= now && out.length < max; s += lengthMs) out.push(s)
  return out
}

export function periodOf (t: number, lengthMs: number, periodIntervals: number): Period {
  const len = lengthMs * periodIntervals
  const start = Math.floor(t / len) * len
  return { start, end: start + len }
}

/** Periods that ended (end + grace) at or before `now`, starting with the one containing `from`. */
export function closedPeriods (from: number, now: number, lengthMs: number, periodIntervals: number, graceMs: number, max = 1_000): Period[] {
  const out: Period[] = []
  for (let p = periodOf(from, lengthMs, periodIntervals); p.end + graceMs <= now && out.length < max; p = { start: p.end, end: p.end + (p.end - p.start) }) out.push(p)
  return out
}

/** Interval starts that make up a period. */
export function intervalsOf (p: Period, lengthMs: number): number[] {
  const out: number[] = []
  for (let s = p.start; s < p.end; s += lengthMs) out.push(s)
  return out
}
