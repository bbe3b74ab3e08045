/**
 * In-memory aggregation of flow records into border counters: per (neighbour, interval) and per
 * (class, direction), octets and packets (both kept, so the tariff's unit can be chosen when the
 * counters are written) and the number of record parts. Pure: the collector takes the pending
 * counters out to write them, and puts them back if the write fails.
 */
import { Attributor, spread, type Direction, type TimeMode } from './attribute.js'
import type { FlowRecord } from './decode.js'

export interface PendingLine { class: string, dir: Direction, octets: number, packets: number, records: number }

export interface Pending {
  peer: string
  start: number
  /** Lines by `class|direction`. */
  lines: Map<string, PendingLine>
  /** The same lines by class, then direction (the hot path looks them up without building a key). */
  byClass: Map<string, { in?: PendingLine, out?: PendingLine }>
  /** Record parts per exporter (to count late records per exporter). */
  byExporter: Map<string, number>
}

export type AddOutcome = 'counted' | 'no-border' | 'no-class'

export class FlowAggregator {
  private pending = new Map<string, Pending>()
  /** neighbour -> interval start -> the entry of `pending`. */
  private index = new Map<string, Map<number, Pending>>()
  /** Records counted since the last `take`. */
  unsynced = 0
  private readonly parts = new Map<number, [number, number]>()

  constructor (private readonly attributor: Attributor, private readonly opts: { intervalMs: number, time: TimeMode, sampling: 'auto' | number }) {}

  add (rec: FlowRecord): AddOutcome {
    const a = this.attributor
    const hits = a.match(rec)
    if (hits === 0) return 'no-border'
    const cls = a.classOf(rec.dscp)
    if (cls === undefined) return 'no-class'
    const rate = this.opts.sampling === 'auto' ? rec.samplingRate : this.opts.sampling
    const octets = rec.octets * rate
    const packets = rec.packets * rate
    const I = this.opts.intervalMs
    const last = Math.floor(rec.endMs / I) * I
    this.unsynced++
    if (this.opts.time === 'end' || rec.endMs <= rec.startMs || rec.startMs >= last) {
      for (let i = 0; i < hits; i++) this.bump(a.hitPeer[i] as string, last, cls, a.hitDir[i] as Direction, octets, packets, rec.exporter)
      return 'counted'
    }
    const parts = this.parts
    parts.clear()
    spread(octets, rec.startMs, rec.endMs, I, 'pro-rata', (a, v) => { parts.set(a, [v, 0]) })
    spread(packets, rec.startMs, rec.endMs, I, 'pro-rata', (a, v) => {
      const p = parts.get(a)
      if (p === undefined) parts.set(a, [0, v])
      else p[1] = v
    })
    for (const [start, [o, p]] of parts) for (let i = 0; i < hits; i++) this.bump(a.hitPeer[i] as string, start, cls, a.hitDir[i] as Direction, o, p, rec.exporter)
    return 'counted'
  }

  private bump (peer: string, start: number, cls: string, dir: Direction, octets: number, packets: number, exporter: string): void {
    let byStart = this.index.get(peer)
    if (byStart === undefined) { byStart = new Map(); this.index.set(peer, byStart) }
    let p = byStart.get(start)
    if (p === undefined) {
      p = { peer, start, lines: new Map(), byClass: new Map(), byExporter: new Map() }
      byStart.set(start, p)
      this.pending.set(`${peer}|${start}`, p)
    }
    let c = p.byClass.get(cls)
    if (c === undefined) { c = {}; p.byClass.set(cls, c) }
    const line = c[dir]
    if (line === undefined) {
      const l = { class: cls, dir, octets, packets, records: 1 }
      c[dir] = l
      p.lines.set(`${cls}|${dir}`, l)
    } else {
      line.octets += octets; line.packets += packets; line.records++
    }
    p.byExporter.set(exporter, (p.byExporter.get(exporter) ?? 0) + 1)
  }

  /** Counters not yet written, for one (neighbour, interval); undefined when none. */
  peek (peer: string, start: number): Pending | undefined { return this.index.get(peer)?.get(start) }

  /** Take every pending counter out (the aggregator starts empty). */
  take (): Map<string, Pending> {
    const out = this.pending
    this.pending = new Map()
    this.index = new Map()
    this.unsynced = 0
    return out
  }

  /** Put counters back after a failed write, adding what arrived meanwhile. */
  restore (taken: Map<string, Pending>, records: number): void {
    for (const p of taken.values()) {
      for (const l of p.lines.values()) this.bump(p.peer, p.start, l.class, l.dir, l.octets, l.packets, '')
      // bump counted one record part per line under exporter ''; put the real counts back instead.
      const cur = this.index.get(p.peer)?.get(p.start) as Pending
      for (const l of p.lines.values()) (cur.byClass.get(l.class) as Record<Direction, PendingLine>)[l.dir].records += l.records - 1
      cur.byExporter.delete('')
      for (const [e, n] of p.byExporter) cur.byExporter.set(e, (cur.byExporter.get(e) ?? 0) + n)
    }
    this.unsynced += records
  }
}
