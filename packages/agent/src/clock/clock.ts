/**
 * Where services read the time: passed in as a component, never reached for, so tests and the
 * simulator run every service on virtual time.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now: () => number
}

/** The host's clock. */
export const systemClock: Clock = { now: () => Date.now() }

/** A clock that reads `now`. */
export const clockOf = (now: () => number): Clock => ({ now })
