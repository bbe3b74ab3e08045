// Records the store keeps and the result codes its writes answer with.
// Times, sequence numbers and interval starts are non-negative safe integers on the
// caller's clock (the store never reads a clock); ids are the documents' content ids.

import type { Json } from './codec.js'

/** A write of an immutable document: new, a retry of the same document, or a different one in its place. */
export type PutResult = 'created' | 'exists' | 'conflict'

export interface TariffRecord {
  issuer: string
  seq: number
  id: string
  /** Start of the first interval this version applies to. */
  effective: number
  bytes: Uint8Array
}

export interface ReportRecord {
  /** borderOf(a, b) */
  border: string
  intervalStart: number
  /** PeerId of the side that measured and signed. */
  reporter: string
  id: string
  bytes: Uint8Array
  /** The report's revision (absent or 0: the first report); a higher revision supersedes a lower one. */
  revision?: number
}

/**
 * Superseding the current report of (border, interval, reporter): 'created' (the new revision is
 * current, the previous one kept in the history), 'exists' (this report is already current) or
 * 'conflict' (the current report has the same or a higher revision: nothing written).
 */
export type ReplaceResult = 'created' | 'exists' | 'conflict'

export interface AttestationRecord {
  border: string
  intervalStart: number
  id: string
  bytes: Uint8Array
}

export interface StatementRecord {
  border: string
  periodStart: number
  id: string
  bytes: Uint8Array
}

export type DisputeKind = 'usage' | 'settlement'

export interface DisputeInput {
  kind: DisputeKind
  border: string
  /** What is disputed within the border, e.g. an interval or period start as a string. */
  key: string
  detail: Json
  time: number
}

export interface DisputeRecord {
  kind: DisputeKind
  border: string
  key: string
  detail: Json
  status: 'open' | 'resolved'
  opened: number
  resolution?: Json
  resolved?: number
  /** Earlier states of a dispute that was reopened or re-detailed (oldest first), by updateDispute. */
  history?: Json[]
}

/** 'created' (new, open), 'updated' (reopened, or open with a new detail; the old state kept in history), 'exists' (open with this very detail). */
export type UpdateDisputeResult = 'created' | 'updated' | 'exists'

export interface ResolveInput {
  kind: DisputeKind
  border: string
  key: string
  resolution: Json
  time: number
}

/** 'created' | 'exists' (that dispute is already recorded; the first detail is kept). */
export type DisputeResult = 'created' | 'exists'
export type ResolveResult = 'resolved' | 'already-resolved' | 'not-found'

export interface PendingRecord {
  kind: string
  key: string
  value: Json
}

/** A double-entry transfer: `amount` minor units move from `debit` to `credit`. */
export interface Transfer {
  /** Idempotency key: a retried post with the same id never posts twice. */
  id: string
  /** Accounts declared in the chart of accounts (chart.ts). */
  debit: string
  credit: string
  /** Minor units, > 0. */
  amount: bigint
  currency: string
  /** Decimal places of a minor unit (0..18); pinned per currency on first use. */
  decimals: number
  /** What this transfer settles, e.g. a statement id. */
  ref: string
  time: number
}

export interface LedgerEntry extends Transfer {
  /** Position in the ledger's posting order, from 0. */
  seq: number
}

export type PostResult =
  | 'created'
  | 'exists' // same id, same fields: already posted
  | 'conflict' // same id, different fields
  | 'amount-must-be-positive'
  | 'accounts-must-differ'
  | 'decimals-mismatch' // the currency was first posted with other decimals
  | 'unknown-account' // the debit or credit account is not in the chart of accounts (chart.ts)
  | 'currency-not-allowed' // an account of a single-currency kind already moves in another currency
  | 'linked-failed' // in postAll: another transfer of the same call failed, so none was posted

export interface AccountBalance {
  account: string
  currency: string
  decimals: number
  debits: bigint
  credits: bigint
  /** debits - credits. Per currency, the nets of all accounts sum to zero. */
  net: bigint
}

export interface LedgerCheck {
  ok: boolean
  /** Human-readable descriptions of every violation found. */
  problems: string[]
}

export interface StoreStats {
  /** Keys currently held by this store. */
  keys: number
  /** Bytes of keys and values written by committed batches since open. */
  bytesWritten: number
  /** Committed (synced) batches since open. */
  batches: number
}
