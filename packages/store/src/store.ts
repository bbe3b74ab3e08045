// The agent's durable store: one abstract-level database (classic-level on disk, memory-level in
// the simulator), one sublevel per record kind, and every write an atomic batch committed with
// { sync: true }, so a write's promise resolves only once LevelDB has fsynced it.
//
// `Store` is a façade over its parts, one per responsibility, which share one write path
// (engine.ts): the tariff book (tariffs.ts), reports (reports.ts), attestations and statements
// (documents.ts), disputes (disputes.ts), the ledger (ledger-book.ts, with its chart of accounts
// and invariants), pending work (pending.ts), usage counters (usage-book.ts), the owner and meta
// keys (meta.ts), and typed areas (area.ts).

import { mkdir } from 'node:fs/promises'
import type { TSchema } from '@sinclair/typebox'
import { Level } from 'level'
import { AreaRegistry, type Area, type AreaSpec } from './area.js'
import { StoreBatch, type Parts } from './batch.js'
import type { Chart } from './chart.js'
import type { Json } from './codec.js'
import { Disputes } from './disputes.js'
import { Documents, type Page, type PageQuery } from './documents.js'
import { Engine, type BatchOutcome, type Step } from './engine.js'
import { ioError, openError } from './io.js'
import { LedgerBook } from './ledger-book.js'
import { MetaBook, type Migrated } from './meta.js'
import { PendingWork } from './pending.js'
import { Reports } from './reports.js'
import { openSubs } from './subs.js'
import { TariffBook, type TariffMeta } from './tariffs.js'
import type { AnyLevel } from './tx.js'
import type {
  AccountBalance, AttestationRecord, DisputeInput, DisputeRecord, DisputeResult, LedgerCheck, LedgerEntry,
  PendingRecord, PostResult, PutResult, ReplaceResult, ReportRecord, ResolveInput, ResolveResult, StatementRecord, StoreStats,
  TariffRecord, Transfer, UpdateDisputeResult
} from './types.js'
import { UsageBook } from './usage-book.js'
import type { AddUsageResult, UsageCounters, UsagePlan } from './usage.js'

export { StoreBatch } from './batch.js'
export type { BatchOutcome, OpResult } from './engine.js'
export type { Page, PageQuery } from './documents.js'

/**
 * Where the store lives; `chart` narrows the chart of accounts (default CHART, chart.ts).
 * `prefixed`: each record kind is a key prefix of `db` (the same keys) rather than a sublevel: no
 * sublevel objects, for processes that hold thousands of stores (the simulator).
 */
export type StoreOptions = ({ path: string } | { db: AnyLevel, prefixed?: boolean }) & { chart?: Chart }

/**
 * Opens a store. With `path`, creates the directory and opens LevelDB there (the store closes it);
 * with `db`, uses that database (opening it if needed; the caller closes it).
 */
export async function openStore (opts: StoreOptions): Promise<Store> {
  let db: AnyLevel
  if ('path' in opts) {
    await mkdir(opts.path, { recursive: true }).catch((err: unknown) => { throw ioError(err, `create the data directory ${opts.path}`) })
    // A widening, not a narrowing: TypeScript's variance check of `hooks` trips over the generic here.
    db = new Level<string, Uint8Array>(opts.path) as AnyLevel
  } else {
    db = opts.db
  }
  await db.open().catch((err: unknown) => { throw openError(err, 'path' in opts ? opts.path : '(in-memory database)') })
  const engine = new Engine(db, 'path' in opts, openSubs(db, 'db' in opts && opts.prefixed === true), opts.chart)
  const store = new Store(engine)
  await store.load()
  return store
}

/** The least string above every string that starts with `s` (its last character, plus one). */
const successor = (s: string): string => s.slice(0, -1) + String.fromCharCode(s.charCodeAt(s.length - 1) + 1)

export class Store {
  private readonly parts: Parts
  private readonly areas: AreaRegistry

  /** @internal use openStore */
  constructor (private readonly engine: Engine) {
    this.areas = new AreaRegistry(engine.subs.records, () => { engine.assertOpen() })
    this.parts = {
      engine,
      tariffs: new TariffBook(engine),
      reports: new Reports(engine),
      documents: new Documents(engine),
      disputes: new Disputes(engine),
      ledger: new LedgerBook(engine),
      pending: new PendingWork(engine),
      usage: new UsageBook(engine),
      meta: new MetaBook(engine, this.areas)
    }
  }

  /** @internal counts keys and restores the ledger's sequence and totals; asserts zero-sum. */
  async load (): Promise<void> { await this.engine.load() }

  /** Waits for queued writes, then closes the database if the store opened it. Idempotent. */
  async close (): Promise<void> { await this.engine.close() }

  /**
   * The process dies (the simulator's crash): writes not yet committed are dropped, a write being
   * committed finishes (it is the synced batch), and every later call fails as closed. The database
   * is left to the next incarnation to open.
   */
  abandon (): void { this.engine.abandon() }

  stats (): StoreStats { return this.engine.stats() }

  /**
   * The typed area named `spec.name`. One name has one spec per store: asking for a name again
   * with another schema object is a programming error.
   */
  area<S extends TSchema> (spec: AreaSpec<S>): Area<S> { return this.areas.area(spec) }

  /** A set of writes committed together in one synced batch, or not at all. */
  batch (): StoreBatch { return new StoreBatch(this.parts) }

  /** @internal runs the steps under the write lock and commits them atomically. */
  async commit (steps: Step[]): Promise<BatchOutcome> { return await this.engine.commit(steps) }

  // ---- tariff book (tariffs.ts) -------------------------------------------------------------

  /** 'exists' for the same id; 'conflict' when issuer+seq already holds another id (or the id another slot). */
  async putTariff (t: TariffRecord): Promise<PutResult> { return await this.parts.tariffs.putTariff(t) }
  async getTariff (id: string): Promise<TariffRecord | undefined> { return await this.parts.tariffs.getTariff(id) }
  /** The issuer's versions ordered by seq. */
  async tariffsOf (issuer: string): Promise<TariffRecord[]> { return await this.parts.tariffs.tariffsOf(issuer) }
  /** The issuer's highest seq. */
  async latestTariff (issuer: string): Promise<TariffRecord | undefined> { return await this.parts.tariffs.latestTariff(issuer) }
  /** The highest seq whose effective time is <= time: the version that applies to an interval starting at `time`. */
  async tariffInForce (issuer: string, time: number): Promise<TariffRecord | undefined> { return await this.parts.tariffs.tariffInForce(issuer, time) }
  /** latestTariff and tariffInForce without the document: answered from memory once the issuer's versions were read. */
  async latestTariffMeta (issuer: string): Promise<TariffMeta | undefined> { return await this.parts.tariffs.latestTariffMeta(issuer) }
  async tariffMetaInForce (issuer: string, time: number): Promise<TariffMeta | undefined> { return await this.parts.tariffs.tariffMetaInForce(issuer, time) }

  // ---- reports (reports.ts) -----------------------------------------------------------------

  async putReport (r: ReportRecord): Promise<PutResult> { return await this.parts.reports.putReport(r) }
  /** The current report of (border, interval, reporter): its highest revision. */
  async getReport (border: string, intervalStart: number, reporter: string): Promise<ReportRecord | undefined> { return await this.parts.reports.getReport(border, intervalStart, reporter) }
  /** Supersedes the current report with a higher revision, keeping the old one in reportHistory. */
  async replaceReport (r: ReportRecord): Promise<ReplaceResult> { return await this.parts.reports.replaceReport(r) }
  /** Superseded reports of (border, interval, reporter), oldest revision first (the current one excluded). */
  async reportHistory (border: string, intervalStart: number, reporter: string): Promise<ReportRecord[]> { return await this.parts.reports.reportHistory(border, intervalStart, reporter) }

  // ---- attestations and statements (documents.ts) -------------------------------------------

  /** 'exists' for the same id; 'conflict' when the border+interval already holds another attestation. */
  async putAttestation (a: AttestationRecord): Promise<PutResult> { return await this.parts.documents.putAttestation(a) }
  async getAttestation (border: string, intervalStart: number): Promise<AttestationRecord | undefined> { return await this.parts.documents.getAttestation(border, intervalStart) }
  /** Attestations of a border with fromStart <= intervalStart < toStartExclusive, in order. */
  async listAttestations (border: string, fromStart: number, toStartExclusive: number): Promise<AttestationRecord[]> { return await this.parts.documents.listAttestations(border, fromStart, toStartExclusive) }
  /** One page of attestations, like pageStatements (the time filter applies to intervalStart). */
  async pageAttestations (q: PageQuery): Promise<Page<AttestationRecord>> { return await this.parts.documents.pageAttestations(q) }
  /** 'exists' for the same id; 'conflict' when the border+period already holds another statement. */
  async putStatement (s: StatementRecord): Promise<PutResult> { return await this.parts.documents.putStatement(s) }
  async getStatement (border: string, periodStart: number): Promise<StatementRecord | undefined> { return await this.parts.documents.getStatement(border, periodStart) }
  /** Statements of one border (or all), ordered by border then period. */
  async listStatements (border?: string): Promise<StatementRecord[]> { return await this.parts.documents.listStatements(border) }
  /** One page of statements in key order (border, then period), from <= periodStart < to, after the cursor. */
  async pageStatements (q: PageQuery): Promise<Page<StatementRecord>> { return await this.parts.documents.pageStatements(q) }

  // ---- disputes (disputes.ts) ---------------------------------------------------------------

  /** Records an open dispute; 'exists' if this kind+border+key is already recorded (first detail kept). */
  async putDispute (d: DisputeInput): Promise<DisputeResult> { return await this.parts.disputes.putDispute(d) }
  async resolveDispute (r: ResolveInput): Promise<ResolveResult> { return await this.parts.disputes.resolveDispute(r) }
  async getDispute (kind: DisputeInput['kind'], border: string, key: string): Promise<DisputeRecord | undefined> { return await this.parts.disputes.getDispute(kind, border, key) }
  /** Disputes of one border (or all), optionally only open or only resolved ones. */
  async listDisputes (border?: string, status?: DisputeRecord['status']): Promise<DisputeRecord[]> { return await this.parts.disputes.listDisputes(border, status) }
  /** Records a dispute, or reopens / re-details a recorded one (the previous state kept in its history). */
  async updateDispute (d: DisputeInput): Promise<UpdateDisputeResult> { return await this.parts.disputes.updateDispute(d) }

  // ---- ledger (ledger-book.ts, chart.ts, invariants.ts) -------------------------------------

  /** Posts one transfer; a retry with the same id and fields answers 'exists' and posts nothing. */
  async post (t: Transfer): Promise<PostResult> { return await this.parts.ledger.post(t) }
  /** Posts every transfer or none (then failures say why and the others 'linked-failed'). */
  async postAll (ts: Transfer[]): Promise<BatchOutcome<PostResult>> { return await this.parts.ledger.postAll(ts) }
  async getTransfer (id: string): Promise<LedgerEntry | undefined> { return await this.parts.ledger.getTransfer(id) }
  /** Balance of one account in one currency; zeros if it never moved (decimals -1 if the currency was never posted). */
  async balance (account: string, currency: string): Promise<AccountBalance> { return await this.parts.ledger.balance(account, currency) }
  /** Every balance (of one account, if given), ordered by account then currency. */
  async balances (account?: string): Promise<AccountBalance[]> { return await this.parts.ledger.balances(account) }
  /** Entries in posting order: all of them, or those debiting or crediting `account`. */
  async entries (account?: string): Promise<LedgerEntry[]> { return await this.parts.ledger.entries(account) }
  /** Full consistency check: per currency the balances sum to zero and equal what the transfers imply. */
  async checkLedger (): Promise<LedgerCheck> { return await this.parts.ledger.checkLedger() }

  // ---- pending work (pending.ts) ------------------------------------------------------------

  /** Records (or replaces) an unfinished exchange so a restarted agent can resume it. */
  async putPending (kind: string, key: string, value: Json): Promise<void> { await this.parts.pending.putPending(kind, key, value) }
  async deletePending (kind: string, key: string): Promise<void> { await this.parts.pending.deletePending(kind, key) }
  async getPending (kind: string, key: string): Promise<Json | undefined> { return await this.parts.pending.getPending(kind, key) }
  /** Unfinished exchanges of one kind, ordered by key. */
  async listPending (kind: string): Promise<PendingRecord[]> { return await this.parts.pending.listPending(kind) }

  // ---- usage counters (usage-book.ts, usage.ts) ---------------------------------------------

  /** Apply a plan of pushed usage in one synced write, or nothing at all (see AddUsageResult). */
  async addUsage (plan: UsagePlan): Promise<AddUsageResult> { return await this.parts.usage.addUsage(plan) }
  async getUsage (border: string, start: number): Promise<UsageCounters | undefined> { return await this.parts.usage.getUsage(border, start) }

  // ---- owner and meta (meta.ts) -------------------------------------------------------------

  /**
   * Bind the store to the identity that signs with it: the first call records `peerId`; later
   * calls with another PeerId throw StoreError('owner'), so a new key never takes over old records.
   */
  async claimOwner (peerId: string): Promise<'claimed' | 'same'> { return await this.parts.meta.claimOwner(peerId) }
  async getMeta (key: string): Promise<Json | undefined> { return await this.parts.meta.getMeta(key) }
  async putMeta (key: string, value: Json): Promise<void> { await this.parts.meta.putMeta(key, value) }
  /** Moves the meta keys under `prefix` that `keyOf` maps (and that fit the schema) into a typed area. */
  async migrateMeta<S extends TSchema> (area: Area<S>, prefix: string, keyOf: (metaKey: string) => string[] | undefined): Promise<Migrated> {
    return await this.parts.meta.migrateMeta(area, prefix, keyOf)
  }
}
