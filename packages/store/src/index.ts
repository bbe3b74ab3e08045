// @splitedge/store: the agent's durable embedded store (docs/protocol.md).
//
// openStore({ path }) opens LevelDB (classic-level) on disk; openStore({ db }) uses any
// abstract-level database, e.g. memory-level in the simulator. Every write is one atomic
// batch committed with { sync: true }: its promise resolves only once the data is durable.

/** Open a store; the Store holds the tariff book, reports, attestations, disputes,
 *  statements, the double-entry ledger, pending work, usage counters, the owner and meta. */
export { openStore, Store, StoreBatch } from './store.js'
export type { StoreOptions, OpResult, BatchOutcome, PageQuery, Page } from './store.js'

/** Record shapes and result codes. */
export type {
  PutResult, TariffRecord, ReportRecord, AttestationRecord, StatementRecord,
  DisputeKind, DisputeInput, DisputeRecord, DisputeResult, ResolveInput, ResolveResult, ReplaceResult, UpdateDisputeResult,
  PendingRecord, Transfer, LedgerEntry, PostResult, AccountBalance, LedgerCheck, StoreStats
} from './types.js'
export type { Json } from './codec.js'
export type { TariffMeta } from './tariffs.js'
export type { UsageCounters, UsageCounterLine, UsageCounterMetric, UsagePlan, UsageItem, UsageKey, UsageApply, AddUsageResult } from './usage.js'
export { EMPTY_COUNTERS } from './usage.js'
export type { AnyLevel } from './tx.js'

/** The chart of accounts: every ledger account, its normal balance and currency rule (docs/operations.md). */
export { CHART, accountKind, type Chart, type AccountKind, type NormalBalance, type CurrencyRule, type BooksOf } from './chart.js'

/** A co-signed statement's ledger postings in the books of whoever stores it (`batch().putPostedStatement`). */
export { postingsOf, type Books, type PartyBooks, type ClearerBooks, type OperatorBooks } from './postings.js'

/** Typed record areas: one schema per area, checked on write and read (`store.area(spec)`). */
export { Area, type AreaSpec, type AreaRecord } from './area.js'
export type { Migrated } from './meta.js'

/** Evidence against a peer as a typed area: an issuer's equivocations (two tariff versions, one sequence number). */
export { EQUIVOCATIONS, EquivocationSchema, equivocationArea, equivocationKey, readEquivocation, listEquivocations, type Equivocation } from './evidence.js'

/** The clearer's and a clearing participant's records as typed areas (receipts, consents, quotes, counters, settled lines, batches). */
export {
  CLEARED_RECEIPTS, CONSENT_USE, ISSUED_QUOTES, CLEARING_COUNTERS, SETTLED_LINES, SETTLEMENT_BATCHES,
  ClearedRecordSchema, ConsentUseSchema, IssuedQuoteSchema, SettledLineSchema, SettlementBatchSchema,
  ClearingRecords, clearingRecords, clearingKeys,
  type ClearedRecord, type IssuedQuote, type SettlementBatch, type ClearingCounter, type LineSide
} from './clearing.js'

/** Border keys: the two PeerIds sorted and joined by '|'. */
export { borderOf, peersOf } from './keys.js'

/** Exact decimal string <-> bigint minor units. */
export { toMinorUnits, fromMinorUnits } from './money.js'

/** Typed errors for broken preconditions and a closed or corrupt store. */
export { StoreError } from './errors.js'
export type { StoreErrorCode } from './errors.js'

/** Lifecycle records of intervals and periods (border and settle protocols), on typed areas. */
export * from './lifecycle.js'
