// The clearing intermediary's records (packages/clearing), and an operator's records of clearing,
// as typed areas. Each is written in the same synced batch as the ledger postings or statement it
// belongs to: `store.batch().post(...).put(records.receipts, receiptKey(id), record).write()`.
//
// - `clearing-receipt`  receipt id -> the cleared receipt (a receipt clears once)
// - `clearing-consent`  consent id -> volume of it used so far
// - `clearing-quote`    slot -> an issued quote (slots are reused past the clearer's limit)
// - `clearing-counter`  name -> a number kept across restarts (`quotes`: quotes issued;
//                       `receipt-seq`: an operator's last receipt sequence number)
// - `clearing-settled`  clearer, receipt, side -> the statement that settled the line (an operator
//                       settles a receipt's line once)
// - `clearing-batch`    operator, period start -> the batch settlement's lifecycle state
//                       (packages/clearing/src/batch.ts)
//
// Stores written before these areas existed hold the same records under `clearing:` meta keys;
// the readers here fall back to them, so a clearer keeps refusing replays across the upgrade.

import { Type, type Static, type TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { QuoteBodySchema } from '@splitedge/wire'
import type { Area, AreaSpec } from './area.js'
import { StoreError } from './errors.js'
import { pad } from './keys.js'
import type { Store } from './store.js'

const Str = Type.String()
const Id = Type.String({ minLength: 1 })
const Int = Type.Integer({ minimum: 0 })
const Role = Type.Union([Type.Literal('sender'), Type.Literal('receiver')])
const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()])

/** A receipt as the clearer cleared it: what moved, when, on what evidence, and both documents (base64). */
export const ClearedRecordSchema = Type.Object({
  receipt: Id,
  local: Id,
  remote: Id,
  role: Role,
  class: Str,
  volume: Str,
  localCharge: Str,
  share: Str,
  charge: Str,
  margin: Str,
  currency: Str,
  decimals: Int,
  tariff: Str,
  consent: Nullable(Str),
  time: Int,
  periodStart: Int,
  evidence: Type.Union([Type.Literal('consent'), Type.Literal('dispute')]),
  reason: Nullable(Str),
  receiptDoc: Str,
  consentDoc: Nullable(Str)
}, { additionalProperties: false })
export type ClearedRecord = Static<typeof ClearedRecordSchema>

export const ConsentUseSchema = Type.Object({ volume: Str }, { additionalProperties: false })

/** A quote the clearer issued, numbered from 1. */
export const IssuedQuoteSchema = Type.Object({ seq: Type.Integer({ minimum: 1 }), id: Id, total: Str, body: QuoteBodySchema }, { additionalProperties: false })
export type IssuedQuote = Static<typeof IssuedQuoteSchema>

export const CounterSchema = Int

export const SettledLineSchema = Type.Object({ statement: Id }, { additionalProperties: false })

const BatchFields = {
  operator: Id,
  /** Start of the settlement period. */
  start: Int,
  /** When the period (and its grace) is over and the batch may be offered. */
  closeAt: Int,
  /** Offers made so far. */
  attempts: Int
}

/** A batch settlement (one operator, one period) in one of its phases; see packages/clearing/src/batch.ts. */
export const SettlementBatchSchema = Type.Union([
  Type.Object({ ...BatchFields, phase: Type.Literal('open') }, { additionalProperties: false }),
  Type.Object({ ...BatchFields, phase: Type.Literal('offering'), since: Int }, { additionalProperties: false }),
  Type.Object({
    ...BatchFields,
    phase: Type.Literal('retrying'),
    nextAt: Int,
    outcome: Type.Union([Type.Literal('refused'), Type.Literal('failed')]),
    code: Str,
    reason: Str
  }, { additionalProperties: false }),
  Type.Object({ ...BatchFields, phase: Type.Literal('settled'), statement: Id }, { additionalProperties: false }),
  Type.Object({ ...BatchFields, phase: Type.Literal('empty') }, { additionalProperties: false })
])
export type SettlementBatch = Static<typeof SettlementBatchSchema>

export const CLEARED_RECEIPTS: AreaSpec<typeof ClearedRecordSchema> = { name: 'clearing-receipt', schema: ClearedRecordSchema }
export const CONSENT_USE: AreaSpec<typeof ConsentUseSchema> = { name: 'clearing-consent', schema: ConsentUseSchema }
export const ISSUED_QUOTES: AreaSpec<typeof IssuedQuoteSchema> = { name: 'clearing-quote', schema: IssuedQuoteSchema }
export const CLEARING_COUNTERS: AreaSpec<typeof CounterSchema> = { name: 'clearing-counter', schema: CounterSchema }
export const SETTLED_LINES: AreaSpec<typeof SettledLineSchema> = { name: 'clearing-settled', schema: SettledLineSchema }
export const SETTLEMENT_BATCHES: AreaSpec<typeof SettlementBatchSchema> = { name: 'clearing-batch', schema: SettlementBatchSchema }

export type ClearingCounter = 'quotes' | 'receipt-seq'
export type LineSide = 'pays' | 'paid'

/** Keys of the clearing areas. */
export const clearingKeys = {
  receipt: (id: string): string[] => [id],
  consent: (id: string): string[] => [id],
  quote: (slot: number): string[] => [pad(slot, 'quote slot')],
  counter: (name: ClearingCounter): string[] => [name],
  settled: (clearer: string, receipt: string, side: LineSide): string[] => [clearer, receipt, side],
  batch: (operator: string, start: number): string[] => [operator, pad(start, 'period start')]
}

/** The meta keys the same records had before the areas. */
const legacy = {
  receipt: (id: string): string => `clearing:receipt:${id}`,
  consent: (id: string): string => `clearing:consent:${id}`,
  quote: (slot: number): string => `clearing:quote:${String(slot).padStart(8, '0')}`,
  counter: (name: ClearingCounter): string => name === 'quotes' ? 'clearing:quotes' : 'clearing:receipt-seq',
  settled: (clearer: string, receipt: string, side: LineSide): string => `clearing:settled:${clearer}:${receipt}:${side}`
}

/** The clearing areas of one store, with readers that also find records kept before the areas. */
export class ClearingRecords {
  readonly receipts: Area<typeof ClearedRecordSchema>
  readonly consents: Area<typeof ConsentUseSchema>
  readonly quotes: Area<typeof IssuedQuoteSchema>
  readonly counters: Area<typeof CounterSchema>
  readonly settled: Area<typeof SettledLineSchema>
  readonly batches: Area<typeof SettlementBatchSchema>

  constructor (private readonly store: Store) {
    this.receipts = store.area(CLEARED_RECEIPTS)
    this.consents = store.area(CONSENT_USE)
    this.quotes = store.area(ISSUED_QUOTES)
    this.counters = store.area(CLEARING_COUNTERS)
    this.settled = store.area(SETTLED_LINES)
    this.batches = store.area(SETTLEMENT_BATCHES)
  }

  async receipt (id: string): Promise<ClearedRecord | undefined> {
    return await this.read(this.receipts, clearingKeys.receipt(id), legacy.receipt(id))
  }

  /** Volume of the consent `id` used so far (decimal text), if any. */
  async consentUsed (id: string): Promise<string | undefined> {
    return (await this.read(this.consents, clearingKeys.consent(id), legacy.consent(id)))?.volume
  }

  async quote (slot: number): Promise<IssuedQuote | undefined> {
    return await this.read(this.quotes, clearingKeys.quote(slot), legacy.quote(slot))
  }

  /** The counter's value; 0 when it was never written. */
  async counter (name: ClearingCounter): Promise<number> {
    return await this.read(this.counters, clearingKeys.counter(name), legacy.counter(name)) ?? 0
  }

  /** The statement that settled `receipt`'s `side` line with `clearer`, if one did. */
  async settledBy (clearer: string, receipt: string, side: LineSide): Promise<string | undefined> {
    const key = legacy.settled(clearer, receipt, side)
    const held = await this.settled.get(...clearingKeys.settled(clearer, receipt, side))
    if (held !== undefined) return held.statement
    const old = await this.store.getMeta(key)
    if (old === undefined) return undefined
    if (typeof old !== 'string') throw new StoreError('corrupt', `meta ${key} is not a statement id`)
    return old
  }

  async batch (operator: string, start: number): Promise<SettlementBatch | undefined> {
    return await this.batches.get(...clearingKeys.batch(operator, start))
  }

  /** Every batch, by operator then period start. */
  async allBatches (): Promise<SettlementBatch[]> {
    return (await this.batches.list()).map(r => r.value)
  }

  private async read<S extends TSchema> (area: Area<S>, key: string[], legacyKey: string): Promise<Static<S> | undefined> {
    const held = await area.get(...key)
    if (held !== undefined) return held
    const old = await this.store.getMeta(legacyKey)
    if (old === undefined) return undefined
    if (!Value.Check(area.spec.schema, old)) throw new StoreError('corrupt', `meta ${legacyKey} does not match the ${area.spec.name} schema`)
    return old
  }
}

/** The clearing areas of `store`. */
export function clearingRecords (store: Store): ClearingRecords {
  return new ClearingRecords(store)
}
