/**
 * When periodic work runs, passed in like the clock: the system scheduler uses timers; the
 * simulator's runs the same callbacks on virtual time, in an order fixed by its seed.
 */
export interface Scheduler {
  /** Call `fn` every `ms` until the returned function is called. */
  every: (ms: number, fn: () => void) => () => void
}

export const systemScheduler: Scheduler = {
  every: (ms, fn) => {
    const t = setInterval(fn, ms)
    return () => { clearInterval(t) }
  }
}
