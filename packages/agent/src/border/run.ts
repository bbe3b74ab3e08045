/**
 * The I/O shell's engine for both lifecycles (interval.ts, period.ts): apply an event to the stored
 * state, store the new state, run the effects, and feed what an effect yields back in as the next
 * event, until nothing is left.
 *
 * - Each event is applied under a lock of its interval or period (in this process; the store is
 *   this process's alone), from the state as stored: load, step, local effects, store.
 * - The new state is written in the batch of the first durable effect (`stamp`), or on its own
 *   before the next event. A throw anywhere (a refused answer, a store error, a crash) leaves the
 *   stored state as the last completed write left it.
 * - Effects that wait on the network run outside the lock (they come last in a transition), so a
 *   neighbour's request about the same interval is never held up behind our own request to it.
 */
import type { Store, StoreBatch } from '@splitedge/store'
import type { Clock } from '../clock/clock.js'

export interface Machine<S, E, F> {
  step: (state: S, event: E, now: number) => { state: S, effects: F[], refused?: string }
  changed: (a: S, b: S) => boolean
  /** Effects that wait on the network: run outside the lock, and only last in a transition. */
  remote: (effect: F) => boolean
}

/** Where one interval's or period's state lives. */
export interface Slot<S> {
  /** The lock's key: one per interval or period. */
  key: string
  load: () => Promise<S>
  /** Add the write of `state` to `batch`. */
  put: (batch: StoreBatch, state: S) => StoreBatch
}

/** Adds the new state's write to a durable effect's batch (once per transition). */
export type Stamp = (batch: StoreBatch) => StoreBatch

/** Runs one effect; answers the event it yields, if any. */
export type Exec<S, E, F> = (effect: F, stamp: Stamp, state: S) => Promise<E | undefined>

/** Told of every effect after it ran. */
export type Trace<S, F> = (effect: F, state: S) => void | Promise<void>

export interface RunResult<S> { state: S, refused?: string }

/** Most events one run may chain: far above any path of either machine. */
const MAX_EVENTS = 32

/** A lock per key, in this process: holders of one key run one after another. */
export class Locks {
  private readonly tails = new Map<string, Promise<void>>()

  async with<T> (key: string, fn: () => Promise<T>): Promise<T> {
    const release = await this.acquire(key)
    try { return await fn() } finally { release() }
  }

  /** Wait for the key, then hold it until the returned function is called. */
  async acquire (key: string): Promise<() => void> {
    const prev = this.tails.get(key) ?? Promise.resolve()
    let release = (): void => {}
    const mine = new Promise<void>(resolve => { release = resolve })
    const tail = prev.then(async () => await mine)
    this.tails.set(key, tail)
    await prev
    return () => {
      release()
      if (this.tails.get(key) === tail) this.tails.delete(key)
    }
  }
}

export class Runner {
  constructor (private readonly store: Store, private readonly clock: Clock, readonly locks: Locks) {}

  /** Apply `first` and everything it leads to; the final state, and a refusal of the first event if any. */
  async run<S, E, F> (m: Machine<S, E, F>, slot: Slot<S>, first: E, exec: Exec<S, E, F>, trace?: Trace<S, F>): Promise<RunResult<S>> {
    let event: E | undefined = first
    let out: RunResult<S> | undefined
    for (let n = 0; event !== undefined; n++) {
      if (n >= MAX_EVENTS) throw new Error(`lifecycle ${slot.key}: more than ${MAX_EVENTS} events in one run`)
      const e: E = event
      const r = await this.locks.with(slot.key, async () => await this.local(m, slot, e, exec, trace))
      out ??= r.refused !== undefined ? { state: r.state, refused: r.refused } : { state: r.state }
      out.state = r.state
      event = r.next
      if (event === undefined && r.remote !== undefined) {
        event = await exec(r.remote, (b) => b, r.state)
        await trace?.(r.remote, r.state)
      }
    }
    if (out === undefined) throw new Error('no event')
    return out
  }

  /** One event under the lock: load, step, run the local effects, store the state. */
  private async local<S, E, F> (m: Machine<S, E, F>, slot: Slot<S>, event: E, exec: Exec<S, E, F>, trace?: Trace<S, F>): Promise<{ state: S, next?: E, remote?: F, refused?: string }> {
    const before = await slot.load()
    const t = m.step(before, event, this.clock.now())
    let unsaved = m.changed(before, t.state)
    const stamp: Stamp = (batch) => {
      if (unsaved) { slot.put(batch, t.state); unsaved = false }
      return batch
    }
    let next: E | undefined
    let remote: F | undefined
    for (const [i, f] of t.effects.entries()) {
      if (m.remote(f)) {
        if (i !== t.effects.length - 1) throw new Error(`lifecycle ${slot.key}: a remote effect must come last`)
        remote = f
        break
      }
      next = await exec(f, stamp, t.state)
      await trace?.(f, t.state)
      if (next !== undefined) break
    }
    if (unsaved) await stamp(this.store.batch()).write()
    return { state: t.state, ...(next !== undefined ? { next } : {}), ...(remote !== undefined && next === undefined ? { remote } : {}), ...(t.refused !== undefined ? { refused: t.refused } : {}) }
  }
}
