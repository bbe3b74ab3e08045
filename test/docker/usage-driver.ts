/**
 * Drives usage the way an operator's collectors would: for each interval, push counters for
 * every driven border to BOTH of its agents through `POST /v1/usage`, early in the interval (so
 * the push lands before either side reports it). Volumes are derived from (border, interval,
 * class, direction) and the `b` side measures a little less than the `a` side, within tolerance,
 * so reconciliation has something to do: the attested figure is the lower one.
 *
 * A border is pushed for an interval only when both sides acknowledged it, so `expected()` says
 * exactly what each attestation must hold. `hold(agent)` stops pushes on its borders (both sides)
 * while it is down, after the round in flight.
 */
import { createHash } from 'node:crypto'
import type { TopologyRun } from './harness.js'

export interface DrivenBorder { a: string, b: string }

/** One line both agents were told about: what `from` sent into `to`. */
export interface ExpectedLine { class: string, from: string, to: string, volume: string }

export interface PushFailure { agent: string, intervalStart: number, status: number, body: unknown }

export class UsageDriver {
  /** intervalStart → border key → lines (only when both sides acknowledged). */
  private readonly pushed = new Map<number, Map<string, ExpectedLine[]>>()
  /** Intervals for which a border was skipped (held) or only half-pushed. */
  private readonly skipped = new Map<number, Set<string>>()
  readonly failures: PushFailure[] = []
  private readonly held = new Set<string>()
  private timer: NodeJS.Timeout | undefined
  private round: Promise<void> = Promise.resolve()
  private stopped = false

  constructor (
    private readonly run: TopologyRun,
    readonly borders: readonly DrivenBorder[],
    readonly intervalMs: number,
    readonly classes: readonly string[],
    /** How much less the `b` side measures, as a fraction (keep it under the border's tolerance). */
    readonly skew = 0.004,
    private readonly now: () => number = Date.now
  ) {}

  static key (a: string, b: string): string { return [a, b].sort().join('|') }

  start (): void {
    this.timer = setInterval(() => { this.round = this.round.then(async () => await this.tick()) }, 150)
  }

  async stop (): Promise<void> {
    this.stopped = true
    if (this.timer !== undefined) clearInterval(this.timer)
    await this.round
  }

  /** Stop pushing on `agent`'s borders, once the round in flight has finished. */
  async hold (agent: string): Promise<void> {
    this.held.add(agent)
    await this.round
  }

  release (agent: string): void { this.held.delete(agent) }

  /** Resolves once the interval containing `time` has been pushed (or skipped) for every border. */
  async pushedThrough (time: number, timeoutMs = 20_000): Promise<number> {
    const start = Math.floor(time / this.intervalMs) * this.intervalMs
    const deadline = Date.now() + timeoutMs
    while (!this.pushed.has(start)) {
      if (Date.now() > deadline) throw new Error(`usage for interval ${start} was not pushed in time`)
      await new Promise(resolve => setTimeout(resolve, 50))
    }
    return start
  }

  /** Intervals pushed so far, ascending. */
  intervals (): number[] { return [...this.pushed.keys()].sort((x, y) => x - y) }

  /** What the attestation of a border for an interval must hold, or undefined if not fully pushed. */
  expected (a: string, b: string, intervalStart: number): ExpectedLine[] | undefined {
    const k = UsageDriver.key(a, b)
    if (this.skipped.get(intervalStart)?.has(k) === true) return undefined
    return this.pushed.get(intervalStart)?.get(k)
  }

  /** Was the border driven (pushed on both sides) for that interval? */
  drove (a: string, b: string, intervalStart: number): boolean {
    return this.pushed.get(intervalStart)?.has(UsageDriver.key(a, b)) === true
  }

  /** Deterministic volume in octets: 1..9 MB, by border, interval, class and direction. */
  static volume (from: string, to: string, start: number, cls: string): bigint {
    const h = createHash('sha256').update(`${from}>${to}@${start}/${cls}`).digest()
    return 1_000_000n + BigInt(h.readUInt32BE(0) % 8_000_000)
  }

  private async tick (): Promise<void> {
    if (this.stopped) return
    const now = this.now()
    const start = Math.floor(now / this.intervalMs) * this.intervalMs
    // Early in the interval only: a push must reach both sides before either reports it.
    if (this.pushed.has(start) || now - start > this.intervalMs * 0.5) return
    const byBorder = new Map<string, ExpectedLine[]>()
    const skipped = new Set<string>()
    this.pushed.set(start, byBorder)
    this.skipped.set(start, skipped)
    await Promise.all(this.borders.map(async ({ a, b }) => {
      const k = UsageDriver.key(a, b)
      if (this.held.has(a) || this.held.has(b)) { skipped.add(k); return }
      const lines: ExpectedLine[] = []
      const pa: unknown[] = []
      const pb: unknown[] = []
      for (const cls of this.classes) {
        for (const [from, to] of [[a, b], [b, a]] as const) {
          const v = UsageDriver.volume(from, to, start, cls)
          const lower = v - (v * BigInt(Math.round(this.skew * 1_000_000))) / 1_000_000n
          // a measures v, b measures a little less; the agreed figure is the lower one.
          pa.push({ neighbour: b, intervalStart: start, class: cls, direction: from === a ? 'out' : 'in', volume: v.toString() })
          pb.push({ neighbour: a, intervalStart: start, class: cls, direction: from === b ? 'out' : 'in', volume: lower.toString() })
          lines.push({ class: cls, from, to, volume: lower.toString() })
        }
      }
      const [ra, rb] = await Promise.all([this.run.pushUsage(a, pa), this.run.pushUsage(b, pb)].map(async p => await p.catch((e: unknown) => ({ status: 0, body: String(e) }))))
      let ok = true
      for (const [agent, r] of [[a, ra], [b, rb]] as const) {
        if (r === undefined || r.status !== 200) { ok = false; this.failures.push({ agent, intervalStart: start, status: r?.status ?? 0, body: r?.body }) }
      }
      if (ok) byBorder.set(k, lines)
      else skipped.add(k)
    }))
  }
}
