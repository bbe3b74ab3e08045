/**
 * Where an agent's own measurements come from: counter pushes over HTTP, a file imported once, a
 * flow collector, or the synthetic generator. The intake's promise: a push that is acknowledged is
 * counted exactly once in the report of its interval. To keep it,
 * - every item is checked, against the same limits a report is signed under, before anything is
 *   stored (so a border never wedges on a report that cannot be built);
 * - counters are added inside the store's serialised, synced commit (no lost read-modify-write),
 *   and the report that closes an interval seals its counters in the same kind of commit, so a
 *   push either lands before the seal (and is in the report) or is refused with 'interval-closed';
 * - a push with an idempotency key (per item `id`, or a request's Idempotency-Key) is counted once
 *   however often it is retried; the same key with other content is refused.
 */
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { dec, format, isDecimalText } from '@splitedge/model'
import { borderOf, EMPTY_COUNTERS, StoreError, type AddUsageResult, type Json, type Store, type StoreBatch, type UsageCounters, type UsagePlan } from '@splitedge/store'
import type { Logger } from 'pino'
import type { AgentConfig, Neighbour } from '../config/load.js'
import { syntheticUsage } from './synthetic.js'
import { addLine, lineKey, linesOf, metricKey, metricsOf, setMetric } from './counters.js'
import { checkPush, digestOf, UsageError, type CheckedPush, type MetricPush, type UsagePush } from './push.js'
import type { MetricInput, UsageLineInput } from './types.js'
import type { Clock } from '../clock/clock.js'

export { UsageError, type UsagePush, type MetricPush } from './push.js'

/** One corrected figure of a revision: absolute, for the whole interval. */
export interface CorrectedLine {
  class: string
  direction: 'in' | 'out'
  volume: string
  messages?: number
}

/** What the tariffs in force for an interval allow: the classes either side prices, and the unit. */
export interface Priced { classes: ReadonlySet<string>, unit: string | undefined }

/** A source that buffers records in memory (the flow collector) and must store them before a close. */
export interface UsageFeed {
  flush: () => Promise<void>
  /** Extra per-line figures for the usage view (the flow collector: octets, packets, records). */
  detail?: (peer: string, start: number) => Promise<Record<string, { octets: number, packets: number, records: number }>>
}

/** One interval's counters as `GET /v1/usage` shows them. */
export interface UsageView {
  intervalStart: number
  /** Our report for the interval is signed: its figures can no longer change. */
  reported: boolean
  /** `open` takes pushes; `closed` is reported, declined or unreportable (see closedBy). */
  state: 'open' | 'closed'
  closedBy?: string
  version: number
  lines: Array<{ class: string, direction: 'in' | 'out', volume: string, messages?: number, octets?: number, packets?: number, records?: number }>
  metrics: Array<{ class: string, subject: 'self' | 'neighbour', metric: string, value: string }>
}

export interface UsageComponents {
  config: Pick<AgentConfig, 'intervalMs' | 'clockSkewMs' | 'usage'>
  me: string
  store: Store
  neighbours: ReadonlyMap<string, Pick<Neighbour, 'name' | 'peerId'>>
  clock: Clock
  log: Logger
  /** Simulator only: deliberate defects. */
  defects?: ReadonlySet<string>
  /** The first interval settled with `peer`. */
  since: (peer: string) => Promise<number>
  /** Classes and unit of the tariffs in force with `peer` at `start`. */
  priced: (peer: string, start: number) => Promise<Priced>
  /** Classes both tariffs price and the SLA metrics judged (for the synthetic source). */
  classesFor: (peer: string, start: number) => Promise<Array<{ class: string, sla: Array<{ subject: string, metric: string }> }>>
}

/** The answer to a push: items counted now, and items skipped as repeats of an earlier push. */
export interface PushAnswer { accepted: number, duplicates: number }

/** Most items one push may carry. */
export const MAX_PUSH_ITEMS = 10_000

export class UsageSource {
  private readonly feeds: UsageFeed[] = []

  constructor (private readonly c: UsageComponents) {}

  async start (): Promise<void> {
    const u = this.c.config.usage
    if (u.source === 'file') await this.importFile(u.path)
  }

  /** Register a buffering source: flushed before an interval's report is built. */
  attachFeed (feed: UsageFeed): void { this.feeds.push(feed) }

  /** A configured neighbour's PeerId from its name or PeerId; UsageError naming `field` otherwise. */
  resolvePeer (nameOrId: string, field: string): string {
    if (this.c.neighbours.has(nameOrId)) return nameOrId
    for (const n of this.c.neighbours.values()) if (n.name === nameOrId) return n.peerId
    throw new UsageError('unknown-neighbour', field, `"${nameOrId}" is not a configured neighbour`)
  }

  /**
   * Count pushed items: all are checked, then stored in one durable write, or none is. `key` makes
   * the whole request idempotent; an item's own `id` makes that item idempotent.
   */
  async push (raw: unknown, opts: { key?: string } = {}): Promise<PushAnswer> {
    return (await this.intake(raw, opts)).answer
  }

  /** `push`, also saying whether the answer is a replay of an earlier push with the same key. */
  async intake (raw: unknown, opts: { key?: string } = {}): Promise<{ answer: PushAnswer, replayed: boolean }> {
    const list = Array.isArray(raw) ? raw as unknown[] : [raw]
    if (opts.key !== undefined && !/^[\x21-\x7e]{1,128}$/.test(opts.key)) throw new UsageError('invalid', 'Idempotency-Key', 'must be 1 to 128 visible ASCII characters')
    if (list.length === 0) throw new UsageError('invalid', '(body)', 'no items')
    if (list.length > MAX_PUSH_ITEMS) throw new UsageError('over-limit', '(body)', `${list.length} items; at most ${MAX_PUSH_ITEMS} per push`)
    const ctx = { me: this.c.me, intervalMs: this.c.config.intervalMs, clockSkewMs: this.c.config.clockSkewMs, now: this.c.clock.now(), resolvePeer: (n: string, f: string) => this.resolvePeer(n, f) }
    const items = list.map((r, i) => checkPush(r, `[${i}]`, ctx))
    const integral = await this.checkIntervals(items)
    const plan: UsagePlan = {
      reporter: this.c.me,
      ...(opts.key !== undefined ? { key: { key: `request:${opts.key}`, digest: digestOf(items.map(({ field: _f, ...rest }) => rest)) } } : {}),
      items: items.map(it => ({ border: borderOf(this.c.me, it.peer), start: it.start, ...(it.id !== undefined ? { key: it.id } : {}), apply: applyOf(it, integral.get(groupKey(it)) ?? false) })),
      answer: (accepted, duplicates) => ({ accepted, duplicates })
    }
    if (this.c.defects?.has('ack-before-sync') === true) {
      // DEFECT (simulator only): acknowledge before the write is durable.
      void this.addUsage(plan).catch(() => {})
      return { answer: { accepted: items.length, duplicates: 0 }, replayed: false }
    }
    const r = await this.addUsage(plan)
    return { answer: answerOf(r, items), replayed: r.status === 'replayed' }
  }

  private async addUsage (plan: UsagePlan): Promise<AddUsageResult> {
    try {
      return await this.c.store.addUsage(plan)
    } catch (err) {
      if (err instanceof StoreError && err.code === 'full') throw new UsageError('storage-full', '(store)', `${err.message}; nothing was counted`)
      if (err instanceof StoreError && err.code === 'io') throw new UsageError('storage-failed', '(store)', `${err.message}; nothing was counted`)
      throw err
    }
  }

  /**
   * What needs the store and the tariffs: the interval is one the border settles, and the class is
   * priced by one of the tariffs in force. Answers, per (neighbour, interval), whether volumes must
   * be whole numbers (octets and packets).
   */
  private async checkIntervals (items: CheckedPush[]): Promise<Map<string, boolean>> {
    const integral = new Map<string, boolean>()
    const priced = new Map<string, Priced>()
    for (const it of items) {
      const g = groupKey(it)
      let p = priced.get(g)
      if (p === undefined) {
        const since = await this.c.since(it.peer)
        if (it.start < since) throw new UsageError('before-border', it.field, `interval ${it.start} is before the first interval settled with this neighbour (${since}); it can never be reported`)
        p = await this.c.priced(it.peer, it.start)
        priced.set(g, p)
        integral.set(g, p.unit === 'octet' || p.unit === 'packet')
      }
      if (p.classes.size === 0) throw new UsageError('unpriced-class', `${it.field}.class`, `no tariff is in force with this neighbour for interval ${it.start} yet, so no class can be priced; publish a tariff first`)
      if (!p.classes.has(it.class)) throw new UsageError('unpriced-class', `${it.field}.class`, `"${it.class}" is priced by neither tariff in force (${[...p.classes].sort().join(', ')}); it could never be settled`)
    }
    return integral
  }

  /** The interval's counters now, with what buffering feeds hold written first, for GET /v1/usage. */
  async current (peer: string, start: number): Promise<UsageView> {
    const me = this.c.me
    for (const f of this.feeds) await f.flush()
    const c = await this.counters(peer, start)
    const reported = (await this.c.store.getReport(borderOf(me, peer), start, me)) !== undefined
    const detail: Record<string, { octets: number, packets: number, records: number }> = {}
    for (const f of this.feeds) if (f.detail !== undefined) Object.assign(detail, await f.detail(peer, start))
    const lines: UsageView['lines'] = Object.values(c.lines).map(l => {
      const direction = l.from === me ? 'out' as const : 'in' as const
      return { class: l.class, direction, volume: l.volume, ...(l.messages !== undefined ? { messages: l.messages } : {}), ...(detail[`${l.class}|${direction}`] ?? {}) }
    })
    lines.sort((a, b) => a.class < b.class ? -1 : a.class > b.class ? 1 : a.direction < b.direction ? -1 : a.direction > b.direction ? 1 : 0)
    const metrics = Object.values(c.metrics).map(m => ({ class: m.class, subject: m.subject === me ? 'self' as const : 'neighbour' as const, metric: m.metric, value: m.value }))
    return { intervalStart: start, reported, state: c.sealed === undefined ? 'open' : 'closed', ...(c.sealed !== undefined ? { closedBy: c.sealed } : {}), version: c.version, lines, metrics }
  }

  /** The interval's counters as stored now (lines and metrics), for the usage view. */
  async counters (peer: string, start: number): Promise<UsageCounters> {
    return await this.c.store.getUsage(borderOf(this.c.me, peer), start) ?? EMPTY_COUNTERS
  }

  /**
   * Check a revision's absolute figures for the border with `peer` (each class and direction at most
   * once) and turn them into report lines and the counters that replace the interval's.
   */
  corrected (peer: string, lines: unknown, field = 'lines'): { lines: UsageLineInput[], counters: Pick<UsageCounters, 'lines' | 'metrics'> } {
    const me = this.c.me
    if (!Array.isArray(lines)) throw new UsageError('invalid', field, 'must be an array of { class, direction, volume, messages? }')
    const counters: Pick<UsageCounters, 'lines' | 'metrics'> = { lines: {}, metrics: {} }
    for (const [i, raw] of (lines as unknown[]).entries()) {
      const f = `${field}[${i}]`
      if (raw === null || typeof raw !== 'object') throw new UsageError('invalid', f, 'must be an object')
      const item = raw as Partial<CorrectedLine>
      if (typeof item.class !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(item.class)) throw new UsageError('invalid', `${f}.class`, 'must be a class id like "be"')
      if (item.direction !== 'in' && item.direction !== 'out') throw new UsageError('invalid', `${f}.direction`, 'must be "in" or "out"')
      if (typeof item.volume !== 'string' || !isDecimalText(item.volume) || item.volume.startsWith('-')) throw new UsageError('invalid', `${f}.volume`, `must be a non-negative decimal string, got ${JSON.stringify(item.volume)}`)
      if (item.messages !== undefined && (!Number.isSafeInteger(item.messages) || item.messages < 0)) throw new UsageError('invalid', `${f}.messages`, 'must be a non-negative integer')
      const [from, to] = item.direction === 'out' ? [me, peer] : [peer, me]
      const lk = lineKey({ class: item.class, from, to })
      if (counters.lines[lk] !== undefined) throw new UsageError('invalid', f, `${item.class} ${item.direction} is given twice (figures are absolute: give each class and direction once)`)
      counters.lines[lk] = { class: item.class, from, to, volume: format(dec(item.volume)), ...(item.messages !== undefined ? { messages: item.messages } : {}) }
    }
    return { lines: linesOf(counters), counters }
  }

  /** Import a CSV (header: neighbour,time,class,direction,volume[,messages]) or JSONL file once. */
  async importFile (path: string): Promise<number> {
    const text = await readFile(path, 'utf8')
    const digest = createHash('sha256').update(text).digest('hex')
    const items = parseUsageFile(path, text)
    if (items.length === 0) return 0
    const { replayed } = await this.intake(items, { key: `file:${digest}` })
    if (replayed) {
      this.c.log.info({ path }, 'usage file already imported')
      return 0
    }
    this.c.log.info({ path, rows: items.length }, 'usage file imported')
    return items.length
  }

  /**
   * Our measurement of the border with `peer` for the interval starting at `start`, and the version
   * of the counters it was read from (the report seals that version, see store `sealUsage`).
   */
  async measure (peer: string, start: number): Promise<{ lines: UsageLineInput[], metrics: MetricInput[], version?: number }> {
    const u = this.c.config.usage
    if (u.source === 'synthetic') return await this.synthetic(u, peer, start)
    for (const f of this.feeds) await f.flush()
    const counters = await this.counters(peer, start)
    return { lines: linesOf(counters), metrics: metricsOf(counters), version: counters.version }
  }

  /**
   * Close an interval into a report: measure, sign with `sign`, and store the report together with
   * the seal of the counters it was built from, in one durable write. A push that landed in between
   * makes the seal fail; then the report is built again from the newer counters. Answers the stored
   * report (ours from an earlier close, if there is one). `extra` adds writes that go with the
   * report (the interval's lifecycle state).
   */
  async closeInto<R extends { id: string, bytes: Uint8Array }> (peer: string, start: number, sign: (m: { lines: UsageLineInput[], metrics: MetricInput[] }) => Promise<R>, decode: (bytes: Uint8Array) => R, extra?: (batch: StoreBatch) => StoreBatch): Promise<R> {
    const border = borderOf(this.c.me, peer)
    for (let attempt = 0; ; attempt++) {
      const have = await this.c.store.getReport(border, start, this.c.me)
      if (have !== undefined) return decode(have.bytes)
      const m = await this.measure(peer, start)
      const made = await sign(m)
      const batch = this.c.store.batch().putReport({ border, intervalStart: start, reporter: this.c.me, id: made.id, bytes: made.bytes })
      if (m.version !== undefined) batch.sealUsage(border, start, m.version, made.id)
      const r = await (extra?.(batch) ?? batch).write()
      if (r.ok) return made
      if (attempt >= 100) throw new Error(`report for ${start} could not be sealed: counters keep changing (${r.results.join(', ')})`)
    }
  }

  private async synthetic (u: AgentConfig['usage'] & { source: 'synthetic' }, peer: string, start: number): Promise<{ lines: UsageLineInput[], metrics: MetricInput[] }> {
    const classes = await this.c.classesFor(peer, start)
    const opts = { seed: u.seed, classes: u.classes ?? classes.map(c => c.class), meanVolume: u.meanVolume ?? 1_000_000, noise: u.noise ?? 0.002 }
    const lines = syntheticUsage(opts, this.c.me, peer, start)
    const metrics: MetricInput[] = []
    for (const c of classes) {
      for (const m of c.sla) metrics.push({ subject: m.subject, class: c.class, metric: m.metric, value: syntheticMetric(u.seed, start, c.class, m.subject, m.metric) })
    }
    return { lines, metrics }
  }
}

const groupKey = (it: { peer: string, start: number }): string => `${it.peer}|${it.start}`

/** The pure change one checked item makes to its interval's counters. */
function applyOf (it: CheckedPush, integral: boolean) {
  return (c: UsageCounters) => it.kind === 'line'
    ? addLine(c, { class: it.class, from: it.from, to: it.to, volume: it.volume, ...(it.messages !== undefined ? { messages: it.messages } : {}) }, integral)
    : setMetric(c, { subject: it.subject, class: it.class, metric: it.metric, value: it.value })
}

function answerOf (r: AddUsageResult, items: CheckedPush[]): PushAnswer {
  switch (r.status) {
    case 'added':
    case 'replayed': return pushAnswerOf(r.answer)
    case 'key-reused': throw new UsageError('key-reused', r.key.startsWith('request:') ? 'Idempotency-Key' : 'id', `${r.key.replace(/^(request|item):/, '')} was used before with a different body; use a new key for new usage`)
    case 'sealed': throw new UsageError('interval-closed', items[r.item]?.field ?? '(body)', `interval ${r.start} with this neighbour is already closed (${r.sealed === 'report' || r.sealed.startsWith('bafy') ? 'reported to the neighbour' : r.sealed}); late counters cannot be added`)
    case 'refused': throw new UsageError('over-limit', items[r.item]?.field ?? '(body)', r.reason)
  }
}

/** The answer a plan stored with its push (see `intake`): counts, whatever the store's JSON type says. */
function pushAnswerOf (answer: Json): PushAnswer {
  if (answer === null || typeof answer !== 'object' || Array.isArray(answer)) return { accepted: 0, duplicates: 0 }
  const { accepted, duplicates } = answer
  return { accepted: typeof accepted === 'number' ? accepted : 0, duplicates: typeof duplicates === 'number' ? duplicates : 0 }
}

/** Rows of a usage file: CSV with a header naming the columns, or one JSON object per line. */
export function parseUsageFile (path: string, text: string): Array<UsagePush | MetricPush> {
  const items: Array<UsagePush | MetricPush> = []
  const lines = text.split(/\r?\n/).filter(l => l.trim() !== '')
  if (path.endsWith('.jsonl') || lines[0]?.trimStart().startsWith('{') === true) {
    lines.forEach((l, i) => {
      try { items.push(JSON.parse(l) as UsagePush) } catch { throw new UsageError('invalid', `${path}:${i + 1}`, 'not a JSON object') }
    })
    return items
  }
  const header = (lines.shift() ?? '').split(',').map(s => s.trim())
  for (const col of ['neighbour', 'class', 'direction', 'volume']) if (!header.includes(col)) throw new UsageError('invalid', `${path}:1`, `CSV header lacks "${col}"`)
  for (const l of lines) {
    const cells = l.split(',').map(s => s.trim())
    const row = Object.fromEntries(header.map((h, j) => [h, cells[j] ?? '']))
    const num = (k: string): Record<string, number> => row[k] !== undefined && row[k] !== '' ? { [k]: Number(row[k]) } : {}
    items.push({ neighbour: row.neighbour ?? '', ...num('time'), ...num('intervalStart'), class: row.class ?? '', direction: row.direction as 'in' | 'out', volume: row.volume ?? '', ...num('messages') })
  }
  return items
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

export { metricKey }
