/**
 * Virtual time for the simulator: one queue of events ordered by (time, sequence). Nothing reads
 * the wall clock; the same seed and the same inputs give the same order of events, so a run
 * replays exactly.
 */
import type { Scheduler } from '@splitedge/agent'

interface Event { at: number, seq: number, label: string, fn: () => void | Promise<void> }

export class EventQueue {
  private readonly events: Event[] = []
  private seq = 0
  private time: number
  /** Every event run so far, as `time label`: two runs with the same seed give the same log. */
  readonly log: string[] = []

  constructor (start: number) { this.time = start }

  now (): number { return this.time }

  /** Run `fn` at virtual time `at` (not before now). */
  at (at: number, label: string, fn: () => void | Promise<void>): void {
    const e = { at: Math.max(at, this.time), seq: this.seq++, label, fn }
    // Insert in order: the queue stays sorted by (at, seq).
    let i = this.events.length
    while (i > 0 && (this.events[i - 1] as Event).at > e.at) i--
    this.events.splice(i, 0, e)
  }

  after (ms: number, label: string, fn: () => void | Promise<void>): void { this.at(this.time + ms, label, fn) }

  get pending (): number { return this.events.length }

  /** The next event's label, or undefined when none is left. */
  nextLabel (): string | undefined { return this.events[0]?.label }

  /** The next event's time, or undefined when none is left. */
  peek (): number | undefined { return this.events[0]?.at }

  /** Take the next event, move time to it and start it; answers whether there was one. */
  step (): boolean {
    const e = this.events.shift()
    if (e === undefined) return false
    this.time = e.at
    this.log.push(`${e.at} ${e.label}`)
    void Promise.resolve().then(e.fn).catch(() => {})
    return true
  }

  /** A Scheduler on this queue: `every` repeats on virtual time until cancelled. */
  scheduler (label: string): Scheduler {
    return {
      every: (ms, fn) => {
        let on = true
        const tick = (): void => { if (!on) return; fn(); this.after(ms, label, tick) }
        this.after(ms, label, tick)
        return () => { on = false }
      }
    }
  }
}

/**
 * Let the work an event started run as far as it can before the next event: yield to Node's queues
 * until nothing new was scheduled for a few rounds. Store and crypto work finishes within a few
 * rounds; work waiting on the network waits for a later event. Deterministic: it depends only on
 * what the code does, not on how long it takes.
 */
export async function settle (queue: EventQueue, rounds = 3): Promise<void> {
  let quiet = 0
  let last = queue.pending
  while (quiet < rounds) {
    await new Promise<void>(resolve => setImmediate(resolve))
    if (queue.pending === last) quiet++
    else { quiet = 0; last = queue.pending }
  }
}
