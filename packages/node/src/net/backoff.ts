/**
 * Exponential backoff with jitter, as a pure function so its bounds can be
 * property-tested without timers.
 */

export interface BackoffOptions {
  /** Delay before the first retry, in ms. */
  baseMs: number;
  /** Upper bound on any delay, in ms. */
  maxMs: number;
  /** Growth per failed attempt (>= 1). */
  factor: number;
  /**
   * Fraction of the delay that is randomised, in [0, 1]: the delay is drawn
   * uniformly from [d * (1 - jitter), d]. Spreads redials so that every
   * neighbour of a restarted agent does not dial it in the same instant.
   */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 500, maxMs: 30_000, factor: 2, jitter: 0.5 };

/**
 * Delay before retry number `attempt` (0 = first retry).
 * `random` returns a number in [0, 1), like Math.random.
 */
export function backoffDelay(attempt: number, opts: BackoffOptions, random: () => number): number {
  if (!(opts.baseMs >= 0 && opts.maxMs >= opts.baseMs && opts.factor >= 1 && opts.jitter >= 0 && opts.jitter <= 1)) {
    throw new RangeError('invalid backoff options');
  }
  const n = Math.max(0, Math.floor(attempt));
  // The power may overflow to Infinity, which the cap absorbs; 0 * Infinity would be NaN.
  const raw = opts.baseMs === 0 ? 0 : opts.baseMs * Math.pow(opts.factor, n);
  const capped = Math.min(opts.maxMs, raw);
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.round(capped * (1 - opts.jitter * r));
}
