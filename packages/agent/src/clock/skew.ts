/**
 * How far each neighbour's clock is from ours, from the times neighbours put in border frames.
 * Intervals are cut by each side's own clock, so two clocks further apart than the allowance
 * (`clockSkewMs`) make every report look "in the future" to one side and nothing attests. Both
 * sides see it: each reports the offset on /health and in a gauge, and warns once a minute per
 * neighbour, saying which clock to check. An agent whose every neighbour is off by about the same
 * amount is the one whose clock is wrong.
 */
import type { Logger } from 'pino'
import type { Clock } from './clock.js'

export interface ClockOffset {
  /** Their clock minus ours, in ms (positive: the neighbour is ahead). */
  offsetMs: number
  /** Our time when it was measured. */
  at: number
  /** Beyond the allowance: intervals will not attest. */
  beyond: boolean
}

export interface ClockWatchComponents {
  clock: Clock
  allowanceMs: number
  log: Logger
  nameOf: (peer: string) => string
  /** Gauge of the last offset per neighbour. */
  gauge?: { set: (labels: { neighbour: string }, v: number) => void }
}

const WARN_EVERY_MS = 60_000

export class ClockWatch {
  private readonly offsets = new Map<string, ClockOffset>()
  private readonly warned = new Map<string, number>()

  constructor (private readonly c: ClockWatchComponents) {}

  /**
   * Record a neighbour's clock reading `theirs`, taken while we waited from `sentAt` to now (the
   * midpoint is our best guess of our time when they read theirs). Sent-at defaults to now.
   */
  observe (peer: string, theirs: number | undefined, sentAt?: number): void {
    if (theirs === undefined || !Number.isSafeInteger(theirs)) return
    const now = this.c.clock.now()
    const ours = sentAt === undefined ? now : Math.round((sentAt + now) / 2)
    const offsetMs = theirs - ours
    const beyond = Math.abs(offsetMs) > this.c.allowanceMs
    this.offsets.set(peer, { offsetMs, at: now, beyond })
    this.c.gauge?.set({ neighbour: this.c.nameOf(peer) }, offsetMs)
    if (beyond) this.warn(peer, offsetMs, now)
  }

  offsetOf (peer: string): ClockOffset | undefined { return this.offsets.get(peer) }

  /** Neighbours whose clocks are beyond the allowance, for /health. */
  problems (): Array<{ neighbour: string, offsetMs: number, allowanceMs: number, at: number }> {
    const out = []
    for (const [peer, o] of this.offsets) if (o.beyond) out.push({ neighbour: this.c.nameOf(peer), offsetMs: o.offsetMs, allowanceMs: this.c.allowanceMs, at: o.at })
    return out
  }

  /** Whether a refusal about `peer`'s times should be logged now (at most once a minute per neighbour). */
  shouldLog (key: string): boolean {
    const now = this.c.clock.now()
    const last = this.warned.get(key)
    if (last !== undefined && now - last < WARN_EVERY_MS) return false
    this.warned.set(key, now)
    return true
  }

  private warn (peer: string, offsetMs: number, now: number): void {
    if (!this.shouldLog(`offset:${peer}`)) return
    const all = [...this.offsets.values()]
    const mostOff = all.length > 1 && all.every(o => o.beyond && Math.sign(o.offsetMs) === Math.sign(offsetMs))
    this.c.log.warn({
      neighbour: this.c.nameOf(peer), offsetMs, allowanceMs: this.c.allowanceMs, at: now
    }, mostOff
      ? `this host's clock is off: every neighbour's clock differs from ours by more than ${this.c.allowanceMs} ms; fix this host's time (NTP)`
      : `clock of neighbour ${this.c.nameOf(peer)} differs from ours by ${offsetMs} ms, beyond the ${this.c.allowanceMs} ms allowance: intervals will not attest until one of the two clocks is fixed (check NTP on both hosts)`)
  }
}
