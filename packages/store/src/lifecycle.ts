// Lifecycle records of the border and settle protocols: where each interval and each period of a
// border stands, and three marks per border (the first interval it settles, the last interval
// scheduled, the oldest period not yet done). Built on typed areas, so every record is checked on
// write and on read, and written in the same synced batch as the documents it goes with (the
// co-signed attestation and the state "attested", say).
//
// Layout: an interval's record lives in `interval-work` while the agent still has work to do on it
// (scheduled, reported, or attested and not yet delivered) and in `interval-done` after, so the
// work list stays short however many intervals a border has settled. Periods are few (one a day
// per border by default) and live in one area; the settle cursor skips the ones that are done.

import { Type, type Static } from '@sinclair/typebox'
import type { Area } from './area.js'
import { border as checkBorder, pad } from './keys.js'
import type { Store, StoreBatch } from './store.js'

const Time = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })
const Count = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })

/** What every lifecycle record carries besides its phase. */
const Progress = {
  /** Attempts since the phase was entered that did not finish (not ready, no answer, refused). */
  attempts: Count,
  /** Earliest time of the next attempt (0: at once). */
  retryAt: Time,
  /** When the record last changed. */
  at: Time,
  /** Why the interval or period is where it is (a skip's reason, the last refusal), for operators. */
  reason: Type.Optional(Type.String({ maxLength: 512 }))
}

export const IntervalPhaseSchema = Type.Union([
  Type.Literal('open'), Type.Literal('scheduled'), Type.Literal('reported'), Type.Literal('attested'),
  Type.Literal('delivered'), Type.Literal('disputed'), Type.Literal('unreportable'), Type.Literal('skipped')
])
export type IntervalPhase = Static<typeof IntervalPhaseSchema>

export const IntervalRecordSchema = Type.Object({ phase: IntervalPhaseSchema, ...Progress }, { additionalProperties: false })
/** The stored state of one interval of one border. */
export type IntervalRecord = Static<typeof IntervalRecordSchema>

export const PeriodPhaseSchema = Type.Union([
  Type.Literal('open'), Type.Literal('ready'), Type.Literal('offered'), Type.Literal('settled'), Type.Literal('disputed'),
  Type.Literal('on-hold'), Type.Literal('nothing'), Type.Literal('declined')
])
export type PeriodPhase = Static<typeof PeriodPhaseSchema>

export const PeriodRecordSchema = Type.Object({ phase: PeriodPhaseSchema, ...Progress }, { additionalProperties: false })
/** The stored state of one settlement period of one border. */
export type PeriodRecord = Static<typeof PeriodRecordSchema>

/** Per-border marks: `since` (first interval settled), `scheduled` (last interval scheduled), `settled` (oldest period not yet done). */
export type BorderMark = 'since' | 'scheduled' | 'settled'

export const INTERVAL_WORK = { name: 'interval-work', schema: IntervalRecordSchema }
export const INTERVAL_DONE = { name: 'interval-done', schema: IntervalRecordSchema }
export const PERIODS = { name: 'period', schema: PeriodRecordSchema }
export const BORDER_MARKS = { name: 'border-mark', schema: Time }

/** Phases of an interval that still have work for the agent: exchanging, or delivering the attestation. */
const WORK: ReadonlySet<IntervalPhase> = new Set<IntervalPhase>(['scheduled', 'reported', 'attested'])

/** One interval record with where it belongs. */
export interface IntervalEntry { border: string, start: number, record: IntervalRecord }

/** The lifecycle records of one store: read here, written into a caller's batch. */
export class Lifecycle {
  private readonly work: Area<typeof IntervalRecordSchema>
  private readonly done: Area<typeof IntervalRecordSchema>
  private readonly periods: Area<typeof PeriodRecordSchema>
  private readonly marks: Area<typeof Time>

  constructor (store: Store) {
    this.work = store.area(INTERVAL_WORK)
    this.done = store.area(INTERVAL_DONE)
    this.periods = store.area(PERIODS)
    this.marks = store.area(BORDER_MARKS)
  }

  /** The interval's record, undefined before anything happened to it. */
  async interval (border: string, start: number): Promise<IntervalRecord | undefined> {
    const key = slot(border, start, 'interval start')
    return await this.work.get(...key) ?? await this.done.get(...key)
  }

  /** Intervals with work left (of one border, or all), oldest first per border. */
  async intervalsAtWork (border?: string): Promise<IntervalEntry[]> {
    const recs = border === undefined ? await this.work.list() : await this.work.list(checkBorder(border))
    return recs.map(r => ({ border: r.key[0] ?? '', start: Number(r.key[1]), record: r.value }))
  }

  /** Write an interval's record into `batch`, in the area its phase belongs to. */
  putInterval (batch: StoreBatch, border: string, start: number, record: IntervalRecord): StoreBatch {
    const key = slot(border, start, 'interval start')
    const [to, from] = WORK.has(record.phase) ? [this.work, this.done] : [this.done, this.work]
    return batch.put(to, key, record).delete(from, key)
  }

  async period (border: string, start: number): Promise<PeriodRecord | undefined> {
    return await this.periods.get(...slot(border, start, 'period start'))
  }

  /** Every period record of a border, oldest first. */
  async periodsOf (border: string): Promise<Array<{ start: number, record: PeriodRecord }>> {
    return (await this.periods.list(checkBorder(border))).map(r => ({ start: Number(r.key[1]), record: r.value }))
  }

  putPeriod (batch: StoreBatch, border: string, start: number, record: PeriodRecord): StoreBatch {
    return batch.put(this.periods, slot(border, start, 'period start'), record)
  }

  async mark (border: string, mark: BorderMark): Promise<number | undefined> {
    return await this.marks.get(checkBorder(border), mark)
  }

  putMark (batch: StoreBatch, border: string, mark: BorderMark, value: number): StoreBatch {
    return batch.put(this.marks, [checkBorder(border), mark], value)
  }
}

function slot (border: string, start: number, what: string): string[] {
  return [checkBorder(border), pad(start, what)]
}
