/**
 * Virtual time for the simulator: one queue of events ordered by (time, sequence). Nothing reads
 * the wall clock; the same seed and the same inputs give the same order of events, so a run
 * replays exactly.
 */
import { createHash, type Hash } from 'node:crypto'
import type { Scheduler } from '@splitedge/node'

interface Event { at: number, seq: number, label: string, fn: () => void | Promise<void>, cancelled?: boolean }

const before = (a: Event, b: Event): boolean => a.at < b.at || (a.at === b.at && a.seq < b.seq)

/**
 * The queue is a binary heap: at Internet scale one agent's tariff reaches thousands of neighbours
 * within the same few virtual milliseconds, and a sorted array would insert in O(pending). The log
 * is kept as a running digest, so memory stays flat however long the run.
 */
export class EventQueue {
  private readonly heap: Event[] = []
  private seq = 0
  private cancelled = 0
  private time: number
  private readonly log: Hash = createHash('sha256')
  /** Events run so far. */
  steps = 0

  constructor (start: number) { this.time = start }

  now (): number { return this.time }

  /**
   * Run `fn` at virtual time `at` (not before now). The answer cancels it: a cancelled event is
   * dropped unrun and unlogged (a request's timeout once its answer came: most of a run's events).
   */
  at (at: number, label: string, fn: () => void | Promise<void>): () => void {
    const h = this.heap
    const e: Event = { at: Math.max(at, this.time), seq: this.seq++, label, fn }
    h.push(e)
    for (let i = h.length - 1; i > 0;) {
      const p = (i - 1) >> 1
      if (!before(h[i] as Event, h[p] as Event)) break
      [h[i], h[p]] = [h[p] as Event, h[i] as Event]
      i = p
    }
    return () => { if (!e.cancelled) { e.cancelled = true; this.cancelled++ } }
  }

  after (ms: number, label: string, fn: () => void | Promise<void>): () => void { return this.at(this.time + ms, label, fn) }

  /** Events waiting, cancelled ones not counted. */
  get pending (): number { return this.heap.length - this.cancelled }

  /** The next event's label, or undefined when none is left. */
  nextLabel (): string | undefined { return this.top()?.label }

  /** The next event's time, or undefined when none is left. */
  peek (): number | undefined { return this.top()?.at }

  /** The next event not cancelled, with the cancelled ones before it dropped. */
  private top (): Event | undefined {
    while (this.heap[0]?.cancelled === true) { this.pop(); this.cancelled-- }
    return this.heap[0]
  }

  /** Take the next event, move time to it and start it; answers whether there was one. */
  step (): boolean {
    if (this.top() === undefined) return false
    const e = this.pop()
    if (e === undefined) return false
    e.cancelled = true // run: too late to cancel
    this.time = e.at
    this.steps++
    this.log.update(`${e.at} ${e.label}\n`)
    void Promise.resolve().then(e.fn).catch(() => {})
    return true
  }

  /** sha256 of the event log so far (`time label` lines): equal for equal seeds. */
  logDigest (): string { return this.log.copy().digest('hex') }

  private pop (): Event | undefined {
    const h = this.heap
    const top = h[0]
    const last = h.pop()
    if (top === undefined || last === undefined || h.length === 0) return top
    h[0] = last
    for (let i = 0; ;) {
      const [l, r] = [2 * i + 1, 2 * i + 2]
      let m = i
      if (l < h.length && before(h[l] as Event, h[m] as Event)) m = l
      if (r < h.length && before(h[r] as Event, h[m] as Event)) m = r
      if (m === i) break
      [h[i], h[m]] = [h[m] as Event, h[i] as Event]
      i = m
    }
    return top
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
export async function settle (queue: EventQueue, rounds = 1): Promise<void> {
  let quiet = 0
  let last = queue.pending
  while (quiet < rounds) {
    await new Promise<void>(resolve => setImmediate(resolve))
    if (queue.pending === last) quiet++
    else { quiet = 0; last = queue.pending }
  }
}
