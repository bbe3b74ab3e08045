/**
 * The virtual-time queue of world/time.ts, on a binary heap. The sorted array there inserts in
 * O(pending); at Internet scale one agent's tariff reaches thousands of neighbours within the same
 * few virtual milliseconds, so hundreds of thousands of events wait at once and insertion turns
 * quadratic. Same order, (time, sequence), so the same seed gives the same run. The event log is
 * kept as a running digest rather than a list of lines, to keep memory flat.
 */
import { createHash, type Hash } from 'node:crypto'
import { EventQueue } from '../world/time.js'

interface Ev { at: number, seq: number, label: string, fn: () => void | Promise<void> }

const before = (a: Ev, b: Ev): boolean => a.at < b.at || (a.at === b.at && a.seq < b.seq)

export class HeapQueue extends EventQueue {
  private readonly heap: Ev[] = []
  private next = 0
  private clock: number
  private readonly digest: Hash = createHash('sha256')
  /** Events run so far. */
  steps = 0

  constructor (start: number) { super(start); this.clock = start }

  override now (): number { return this.clock }

  override at (at: number, label: string, fn: () => void | Promise<void>): void {
    const h = this.heap
    h.push({ at: Math.max(at, this.clock), seq: this.next++, label, fn })
    for (let i = h.length - 1; i > 0;) {
      const p = (i - 1) >> 1
      if (!before(h[i] as Ev, h[p] as Ev)) break
      [h[i], h[p]] = [h[p] as Ev, h[i] as Ev]
      i = p
    }
  }

  override after (ms: number, label: string, fn: () => void | Promise<void>): void { this.at(this.clock + ms, label, fn) }
  override get pending (): number { return this.heap.length }
  override nextLabel (): string | undefined { return this.heap[0]?.label }
  override peek (): number | undefined { return this.heap[0]?.at }

  override step (): boolean {
    const e = this.pop()
    if (e === undefined) return false
    this.clock = e.at
    this.steps++
    this.digest.update(`${e.at} ${e.label}\n`)
    void Promise.resolve().then(e.fn).catch(() => {})
    return true
  }

  /** sha256 of the event log so far (as `time label` lines); equal for equal seeds. */
  logDigest (): string { return this.digest.copy().digest('hex') }

  private pop (): Ev | undefined {
    const h = this.heap
    const top = h[0]
    const last = h.pop()
    if (top === undefined || last === undefined || h.length === 0) return top
    h[0] = last
    for (let i = 0; ;) {
      const [l, r] = [2 * i + 1, 2 * i + 2]
      let m = i
      if (l < h.length && before(h[l] as Ev, h[m] as Ev)) m = l
      if (r < h.length && before(h[r] as Ev, h[m] as Ev)) m = r
      if (m === i) break
      [h[i], h[m]] = [h[m] as Ev, h[i] as Ev]
      i = m
    }
    return top
  }
}
