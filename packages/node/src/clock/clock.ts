/**
 * Where services read the time, passed in like the scheduler: the system clock in a process, the
 * simulator's virtual clock in a run, a hand-set one in tests.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now: () => number
}

export const systemClock: Clock = { now: () => Date.now() }
