/**
 * Where each border's intervals stand, as stored: the marks `since` (the first interval settled
 * with the neighbour, fixed the first time the border is seen) and `scheduled` (the last interval
 * recorded as closed), and one lifecycle record per interval (interval.ts). Nothing of it lives only
 * in memory, so a restarted agent resumes from the store alone.
 */
import { borderOf, Lifecycle, peersOf, type Store } from '@splitedge/store'
import type { Clock } from '../clock/clock.js'
import { intervalStep, changed, dueAt, OPEN_INTERVAL, PENDING, type IntervalEffect, type IntervalEvent, type IntervalState, type IntervalTiming } from './interval.js'
import type { Locks, Machine, Slot } from './run.js'

export const pad = (n: number): string => String(n).padStart(16, '0')

/** Network effects of the interval lifecycle: they run outside its lock. */
const REMOTE: ReadonlySet<IntervalEffect['k']> = new Set(['send-report', 'deliver'])

export const INTERVAL_MACHINE: Machine<IntervalState, IntervalEvent, IntervalEffect> = {
  step: intervalStep,
  changed,
  remote: (f) => REMOTE.has(f.k)
}

/** Most intervals recorded as closed in one write. */
const SCHEDULE_CHUNK = 256

export class IntervalBook {
  readonly lifecycle: Lifecycle

  constructor (
    private readonly store: Store,
    private readonly me: string,
    private readonly timing: IntervalTiming,
    private readonly clock: Clock,
    private readonly locks: Locks
  ) {
    this.lifecycle = new Lifecycle(store)
  }

  border (peer: string): string { return borderOf(this.me, peer) }

  /** The lower PeerId of a border starts the exchanges. */
  first (peer: string): boolean { return peer > this.me }

  due (peer: string, start: number): number { return dueAt(start, this.timing, this.first(peer)) }

  /** Where one interval's state is stored and locked. */
  slot (peer: string, start: number): Slot<IntervalState> {
    const border = this.border(peer)
    return {
      key: `interval:${border}:${start}`,
      load: async () => await this.lifecycle.interval(border, start) ?? OPEN_INTERVAL,
      put: (batch, state) => this.lifecycle.putInterval(batch, border, start, state)
    }
  }

  async state (peer: string, start: number): Promise<IntervalState> { return await this.slot(peer, start).load() }

  /** First interval this agent settles with `peer` (fixed the first time the border is seen). */
  async since (peer: string): Promise<number> {
    const border = this.border(peer)
    const held = await this.lifecycle.mark(border, 'since')
    if (held !== undefined) return held
    return await this.locks.with(`since:${border}`, async () => {
      const again = await this.lifecycle.mark(border, 'since')
      if (again !== undefined) return again
      const { intervalMs } = this.timing
      const s = Math.ceil(this.clock.now() / intervalMs) * intervalMs
      await this.lifecycle.putMark(this.store.batch(), border, 'since', s).write()
      return s
    })
  }

  /** Last interval start recorded as closed with `peer`, or undefined. */
  async scheduledUpTo (peer: string): Promise<number | undefined> {
    return await this.lifecycle.mark(this.border(peer), 'scheduled')
  }

  /**
   * Record every interval with `peer` that has closed since the last call: each gets the event
   * `close`, and the mark moves, in one write per chunk. An interval the neighbour already had us
   * attest (or skip) stays as it is.
   */
  async schedule (peer: string): Promise<void> {
    const { intervalMs, graceMs } = this.timing
    const border = this.border(peer)
    await this.locks.with(`schedule:${border}`, async () => {
      for (let n = 0; n < 10_000;) {
        const last = await this.scheduledUpTo(peer)
        const next = last !== undefined ? last + intervalMs : await this.since(peer)
        const starts: number[] = []
        for (let s = next; s + intervalMs + graceMs <= this.clock.now() && starts.length < SCHEDULE_CHUNK && n < 10_000; s += intervalMs, n++) starts.push(s)
        if (starts.length === 0) return
        await this.closeAll(peer, starts)
      }
    })
  }

  private async closeAll (peer: string, starts: number[]): Promise<void> {
    const releases: Array<() => void> = []
    try {
      for (const s of starts) releases.push(await this.locks.acquire(this.slot(peer, s).key))
      const batch = this.store.batch()
      const now = this.clock.now()
      for (const s of starts) {
        const slot = this.slot(peer, s)
        const before = await slot.load()
        const t = intervalStep(before, { k: 'close', due: this.due(peer, s) }, now)
        if (changed(before, t.state)) slot.put(batch, t.state)
      }
      this.lifecycle.putMark(batch, this.border(peer), 'scheduled', starts[starts.length - 1] ?? 0)
      await batch.write()
    } finally {
      for (const r of releases) r()
    }
  }

  /** Intervals still being exchanged (with one neighbour, or all), oldest first per border. */
  async pending (peer?: string): Promise<Array<{ peer: string, start: number }>> {
    return (await this.atWork(peer)).filter(e => PENDING.has(e.record.phase)).map(({ peer, start }) => ({ peer, start }))
  }

  /** Co-signed attestations not yet acknowledged by the neighbour. */
  async deliveries (): Promise<Array<{ peer: string, start: number }>> {
    return (await this.atWork()).filter(e => e.record.phase === 'attested').map(({ peer, start }) => ({ peer, start }))
  }

  /** Is any interval of [from, to) with `peer` still being exchanged? */
  async pendingIn (peer: string, from: number, to: number): Promise<boolean> {
    return (await this.pending(peer)).some(p => p.start >= from && p.start < to)
  }

  private async atWork (peer?: string): Promise<Array<{ peer: string, start: number, record: IntervalState }>> {
    const entries = await this.lifecycle.intervalsAtWork(peer === undefined ? undefined : this.border(peer))
    return entries.map(e => {
      const [a, b] = peersOf(e.border)
      return { peer: a === this.me ? b : a, start: e.start, record: e.record }
    })
  }
}
