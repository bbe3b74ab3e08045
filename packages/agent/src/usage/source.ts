/**
 * Where an agent's own measurements come from: counter pushes over HTTP, a file imported once, or
 * the synthetic generator. Pushed counters are summed exactly per (neighbour, interval, class,
 * direction) and stored durably before the push is acknowledged; once our report for an interval
 * is signed, later pushes for it are refused (the figure is already committed to the neighbour).
 * The one way to change an interval's figures after that is a revision that resolves a usage
 * dispute: `corrected` checks the operator's absolute figures and gives the counters that replace
 * the interval's, written in the revision's batch (see border/service.ts `revise`).
 */
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { add, dec, format, isDecimalText } from '@splitedge/model'
import { borderOf } from '@splitedge/store'
import type { AgentContext } from '../context.js'
import { intervalStartOf } from '../clock/intervals.js'
import { syntheticUsage } from './synthetic.js'
import type { MetricInput, UsageLineInput } from './types.js'

/** One counter push: what crossed the border with `neighbour` (a name or PeerId). */
export interface UsagePush {
  neighbour: string
  /** Any time inside the interval (ms since epoch); or give `intervalStart`. */
  time?: number
  intervalStart?: number
  class: string
  /** `out`: from us into the neighbour; `in`: from the neighbour into us. */
  direction: 'in' | 'out'
  volume: string
  messages?: number
}

/** One SLA measurement push: `subject` is `self` or `neighbour`. */
export interface MetricPush {
  neighbour: string
  time?: number
  intervalStart?: number
  class: string
  subject: 'self' | 'neighbour'
  metric: string
  value: string
}

export class UsageError extends Error {
  constructor (readonly field: string, message: string, readonly status = 400) {
    super(`${field}: ${message}`)
    this.name = 'UsageError'
  }
}

export interface Counters {
  lines: Record<string, { class: string, from: string, to: string, volume: string, messages?: number }>
  metrics: Record<string, MetricInput>
}

/** One corrected figure of a revision: absolute, for the whole interval. */
export interface CorrectedLine {
  class: string
  direction: 'in' | 'out'
  volume: string
  messages?: number
}

export const counterKey = (peer: string, start: number): string => `usage:${peer}:${String(start).padStart(16, '0')}`

export class UsageSource {
  constructor (private readonly ctx: AgentContext, private readonly classesFor: (peer: string, start: number) => Promise<Array<{ class: string, sla: Array<{ subject: string, metric: string }> }>>) {}

  async start (): Promise<void> {
    const u = this.ctx.config.usage
    if (u.source === 'file') await this.importFile(u.path)
  }

  /** A configured neighbour's PeerId from its name or PeerId; UsageError naming `field` otherwise. */
  resolvePeer (nameOrId: string, field: string): string {
    if (this.ctx.neighbours.has(nameOrId)) return nameOrId
    for (const n of this.ctx.neighbours.values()) if (n.name === nameOrId) return n.peerId
    throw new UsageError(field, `"${nameOrId}" is not a configured neighbour`)
  }

  private startOf (p: { time?: number, intervalStart?: number }, field: string): number {
    const { intervalMs } = this.ctx.config
    if (p.intervalStart !== undefined) {
      if (!Number.isSafeInteger(p.intervalStart) || p.intervalStart < 0 || p.intervalStart % intervalMs !== 0) throw new UsageError(`${field}.intervalStart`, `must be a multiple of the interval length ${intervalMs}`)
      return p.intervalStart
    }
    const t = p.time ?? this.ctx.now()
    if (!Number.isSafeInteger(t) || t < 0) throw new UsageError(`${field}.time`, 'must be milliseconds since the epoch')
    return intervalStartOf(t, intervalMs)
  }

  /** Apply pushes atomically: all are checked first, then stored in one durable write. */
  async push (items: Array<UsagePush | MetricPush>): Promise<{ accepted: number }> {
    const me = this.ctx.identity.peerId
    const updates = new Map<string, { peer: string, start: number, counters: Counters }>()
    for (const [i, item] of items.entries()) {
      const f = `[${i}]`
      if (item === null || typeof item !== 'object') throw new UsageError(f, 'must be an object')
      const peer = this.resolvePeer(String(item.neighbour), `${f}.neighbour`)
      const start = this.startOf(item, f)
      if (start + this.ctx.config.intervalMs > this.ctx.now() + this.ctx.config.clockSkewMs + this.ctx.config.intervalMs) throw new UsageError(`${f}.time`, 'is in the future')
      if (typeof item.class !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(item.class)) throw new UsageError(`${f}.class`, 'must be a class id like "be"')
      const key = counterKey(peer, start)
      let u = updates.get(key)
      if (u === undefined) {
        if ((await this.ctx.store.getReport(borderOf(me, peer), start, me)) !== undefined) {
          throw new UsageError(f, `interval ${start} with ${peer} is already reported to the neighbour; late counters cannot be added`, 409)
        }
        const counters = (await this.ctx.store.getMeta(key) as Counters | undefined) ?? { lines: {}, metrics: {} }
        u = { peer, start, counters }
        updates.set(key, u)
      }
      if ('direction' in item) {
        if (item.direction !== 'in' && item.direction !== 'out') throw new UsageError(`${f}.direction`, 'must be "in" or "out"')
        if (!isDecimalText(item.volume) || item.volume.startsWith('-')) throw new UsageError(`${f}.volume`, `must be a non-negative decimal string, got ${JSON.stringify(item.volume)}`)
        if (item.messages !== undefined && (!Number.isSafeInteger(item.messages) || item.messages < 0)) throw new UsageError(`${f}.messages`, 'must be a non-negative integer')
        const [from, to] = item.direction === 'out' ? [me, peer] : [peer, me]
        const lk = `${item.class}|${from}|${to}`
        const prev = u.counters.lines[lk]
        const messages = (prev?.messages ?? 0) + (item.messages ?? 0)
        u.counters.lines[lk] = {
          class: item.class, from, to,
          volume: format(add(dec(prev?.volume ?? '0'), dec(item.volume))),
          ...(prev?.messages !== undefined || item.messages !== undefined ? { messages } : {})
        }
      } else if ('metric' in item) {
        if (!isDecimalText(item.value)) throw new UsageError(`${f}.value`, 'must be a decimal string')
        if (typeof item.metric !== 'string' || !/^[a-z][a-z0-9_]{0,63}$/.test(item.metric)) throw new UsageError(`${f}.metric`, 'must be a metric name like delay_ms')
        const subject = item.subject === 'self' ? me : item.subject === 'neighbour' ? peer : undefined
        if (subject === undefined) throw new UsageError(`${f}.subject`, 'must be "self" or "neighbour"')
        u.counters.metrics[`${subject}|${item.class}|${item.metric}`] = { subject, class: item.class, metric: item.metric, value: item.value }
      } else {
        throw new UsageError(f, 'needs either direction+volume (usage) or metric+value (SLA measurement)')
      }
    }
    const batch = this.ctx.store.batch()
    for (const [key, u] of updates) batch.putMeta(key, u.counters as never)
    const r = await batch.write()
    if (!r.ok) throw new UsageError('(batch)', `store refused the write: ${r.results.join(',')}`, 500)
    return { accepted: items.length }
  }

  /**
   * Check a revision's absolute figures for the border with `peer` (each class and direction at most
   * once) and turn them into report lines and the counters that replace the interval's.
   */
  corrected (peer: string, lines: unknown, field = 'lines'): { lines: UsageLineInput[], counters: Counters } {
    const me = this.ctx.identity.peerId
    if (!Array.isArray(lines)) throw new UsageError(field, 'must be an array of { class, direction, volume, messages? }')
    const counters: Counters = { lines: {}, metrics: {} }
    for (const [i, raw] of (lines as unknown[]).entries()) {
      const f = `${field}[${i}]`
      if (raw === null || typeof raw !== 'object') throw new UsageError(f, 'must be an object')
      const item = raw as Partial<CorrectedLine>
      if (typeof item.class !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(item.class)) throw new UsageError(`${f}.class`, 'must be a class id like "be"')
      if (item.direction !== 'in' && item.direction !== 'out') throw new UsageError(`${f}.direction`, 'must be "in" or "out"')
      if (typeof item.volume !== 'string' || !isDecimalText(item.volume) || item.volume.startsWith('-')) throw new UsageError(`${f}.volume`, `must be a non-negative decimal string, got ${JSON.stringify(item.volume)}`)
      if (item.messages !== undefined && (!Number.isSafeInteger(item.messages) || item.messages < 0)) throw new UsageError(`${f}.messages`, 'must be a non-negative integer')
      const [from, to] = item.direction === 'out' ? [me, peer] : [peer, me]
      const lk = `${item.class}|${from}|${to}`
      if (counters.lines[lk] !== undefined) throw new UsageError(f, `${item.class} ${item.direction} is given twice (figures are absolute: give each class and direction once)`)
      counters.lines[lk] = { class: item.class, from, to, volume: format(dec(item.volume)), ...(item.messages !== undefined ? { messages: item.messages } : {}) }
    }
    return { lines: toLines(counters), counters }
  }

  /** Import a CSV (header: neighbour,time,class,direction,volume[,messages]) or JSONL file once. */
  async importFile (path: string): Promise<number> {
    const text = await readFile(path, 'utf8')
    const digest = createHash('sha256').update(text).digest('hex')
    const mark = `imported:${digest}`
    if ((await this.ctx.store.getMeta(mark)) !== undefined) {
      this.ctx.log.info({ path }, 'usage file already imported')
      return 0
    }
    const items: UsagePush[] = []
    const lines = text.split(/\r?\n/).filter(l => l.trim() !== '')
    if (path.endsWith('.jsonl') || lines[0]?.trimStart().startsWith('{') === true) {
      lines.forEach((l, i) => {
        try { items.push(JSON.parse(l) as UsagePush) } catch { throw new UsageError(`${path}:${i + 1}`, 'not a JSON object') }
      })
    } else {
      const header = (lines.shift() ?? '').split(',').map(s => s.trim())
      for (const col of ['neighbour', 'class', 'direction', 'volume']) if (!header.includes(col)) throw new UsageError(`${path}:1`, `CSV header lacks "${col}"`)
      lines.forEach((l) => {
        const cells = l.split(',').map(s => s.trim())
        const row = Object.fromEntries(header.map((h, j) => [h, cells[j] ?? '']))
        items.push({
          neighbour: row.neighbour ?? '',
          ...(row.time !== undefined && row.time !== '' ? { time: Number(row.time) } : {}),
          ...(row.intervalStart !== undefined && row.intervalStart !== '' ? { intervalStart: Number(row.intervalStart) } : {}),
          class: row.class ?? '',
          direction: row.direction as 'in' | 'out',
          volume: row.volume ?? '',
          ...(row.messages !== undefined && row.messages !== '' ? { messages: Number(row.messages) } : {})
        })
      })
    }
    await this.push(items)
    await this.ctx.store.putMeta(mark, { path, rows: items.length })
    this.ctx.log.info({ path, rows: items.length }, 'usage file imported')
    return items.length
  }

  /** Our measurement of the border with `peer` for the interval starting at `start`. */
  async measure (peer: string, start: number): Promise<{ lines: UsageLineInput[], metrics: MetricInput[] }> {
    const u = this.ctx.config.usage
    const me = this.ctx.identity.peerId
    if (u.source === 'synthetic') {
      const classes = await this.classesFor(peer, start)
      const opts = { seed: u.seed, classes: u.classes ?? classes.map(c => c.class), meanVolume: u.meanVolume ?? 1_000_000, noise: u.noise ?? 0.002 }
      const lines = syntheticUsage(opts, me, peer, start)
      const metrics: MetricInput[] = []
      for (const c of classes) {
        for (const m of c.sla) metrics.push({ subject: m.subject, class: c.class, metric: m.metric, value: syntheticMetric(u.seed, start, c.class, m.subject, m.metric) })
      }
      return { lines, metrics }
    }
    const counters = (await this.ctx.store.getMeta(counterKey(peer, start)) as Counters | undefined) ?? { lines: {}, metrics: {} }
    return { lines: toLines(counters), metrics: Object.values(counters.metrics) }
  }
}

function toLines (counters: Counters): UsageLineInput[] {
  return Object.values(counters.lines).map(l => ({ class: l.class, from: l.from, to: l.to, volume: l.volume, ...(l.messages !== undefined ? { messages: String(l.messages) } : {}) }))
}

/**
 * A synthetic SLA measurement: a property of the measured network (`subject`) in the interval, so
 * every neighbour of that network measures the same figure and a period's scenario can state one
 * value per network. Availability and throughput are high-is-good percentages in 99..100;
 * everything else is a delay-like figure in 5..60, given to 3 decimal places.
 */
function syntheticMetric (seed: string, start: number, cls: string, subject: string, metric: string): string {
  const u = createHash('sha256').update([seed, start, cls, subject, metric].join('\u0000')).digest().readUInt32BE(0)
  // Integer arithmetic in thousandths: no floating point in a figure that ends up in a signed report.
  const thousandths = /^(availability|throughput)/.test(metric) ? 99_000 + (u % 1_001) : 5_000 + (u % 55_001)
  return `${Math.floor(thousandths / 1000)}.${String(thousandths % 1000).padStart(3, '0')}`
}
