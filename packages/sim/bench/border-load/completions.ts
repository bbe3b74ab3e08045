/**
 * Completion times of border-intervals as the neighbours see them, and the figures drawn from them.
 */
export class Completions {
  /** interval start -> peer -> completion time (ms since the epoch). */
  private readonly byInterval = new Map<number, Map<string, number>>()
  private listeners: Array<() => void> = []

  /** Only these peers' completions count (all, until set). */
  counted: ReadonlySet<string> | undefined

  add (peer: string, start: number, at: number): void {
    if (this.counted !== undefined && !this.counted.has(peer)) return
    let m = this.byInterval.get(start)
    if (m === undefined) { m = new Map(); this.byInterval.set(start, m) }
    if (!m.has(peer)) m.set(peer, at)
    const ls = this.listeners
    this.listeners = []
    for (const l of ls) l()
  }

  count (start: number): number { return this.byInterval.get(start)?.size ?? 0 }

  has (peer: string, start: number): boolean { return this.byInterval.get(start)?.has(peer) ?? false }

  /** Completion time of the interval's last border, once all `D` are complete. */
  last (start: number, D: number): number | undefined {
    const m = this.byInterval.get(start)
    if (m === undefined || m.size < D) return undefined
    return Math.max(...m.values())
  }

  /** Resolves on the next completion (or after `ms`). */
  async next (ms: number): Promise<void> {
    await new Promise<void>(resolve => {
      const timer = setTimeout(resolve, ms)
      this.listeners.push(() => { clearTimeout(timer); resolve() })
    })
  }

  /** Each border's delay from `closeOf(start)` to its completion, for the given intervals and peers. */
  delays (starts: number[], closeOf: (s: number) => number, peers: ReadonlySet<string>): number[] {
    const out: number[] = []
    for (const s of starts) for (const [p, t] of this.byInterval.get(s) ?? []) if (peers.has(p)) out.push(t - closeOf(s))
    return out
  }

  /** Border-intervals of the given intervals completed after `after`. */
  completedAfter (starts: number[], after: number): number {
    let n = 0
    for (const s of starts) for (const t of this.byInterval.get(s)?.values() ?? []) if (t > after) n++
    return n
  }
}

/** Nearest-rank percentile. */
export function percentile (xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN
  const sorted = [...xs].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p / 100 * sorted.length) - 1))] as number
}

/** Total length of the union of [from, to] windows. */
export function unionMs (windows: ReadonlyArray<readonly [number, number]>): number {
  const sorted = [...windows].sort((a, b) => a[0] - b[0])
  let total = 0
  let end = -Infinity
  for (const [a, b] of sorted) {
    if (b <= end) continue
    total += b - Math.max(a, end)
    end = b
  }
  return total
}
