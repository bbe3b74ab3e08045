// The agent's durable store: one abstract-level database (classic-level on disk, memory-level in
// the simulator), one sublevel per record kind, and every write an atomic batch committed with
// { sync: true }, so a write's promise resolves only once LevelDB has fsynced it.

import { mkdir } from 'node:fs/promises'
import type { AbstractBatchOptions } from 'abstract-level'
import { Level } from 'level'
import { decodeEnvelope, decodeJson, encodeEnvelope, encodeJson, type Json } from './codec.js'
import { check, StoreError } from './errors.js'
import { border as checkBorder, join, pad, part, SEP, under } from './keys.js'
import { decodeBalance, LedgerTx, planPost, toEntry, type LedgerState, type LedgerSubs, type StoredTransfer } from './ledger.js'
import { PrefixSub, Tx, type AnyLevel, type Sub } from './tx.js'
import { closeUsage, decodeCounters, planUsage, replaceUsage, sealUsage, usageKey, type AddUsageResult, type UsageCounters, type UsagePlan } from './usage.js'
import type {
  AccountBalance, AttestationRecord, DisputeInput, DisputeRecord, DisputeResult, LedgerCheck, LedgerEntry,
  PendingRecord, PostResult, PutResult, ReplaceResult, ReportRecord, ResolveInput, ResolveResult, StatementRecord, StoreStats,
  TariffRecord, Transfer, UpdateDisputeResult
} from './types.js'

/**
 * `prefixed`: each record kind is a key prefix of `db` (the same keys) rather than a sublevel: no
 * sublevel objects, for processes that hold thousands of stores (the simulator).
 */
export type StoreOptions = { path: string } | { db: AnyLevel, prefixed?: boolean }

/** A page request: at most `limit` records after the cursor `after`, optionally of one border and time range. */
export interface PageQuery { limit: number, after?: string, border?: string, from?: number, to?: number }
export interface Page<T> { items: T[], next?: string }

/** Result of one operation of a batch. */
export type OpResult = PutResult | PostResult | DisputeResult | ResolveResult | ReplaceResult | UpdateDisputeResult | 'done' | 'conflict'

/** When ok is false nothing was written: failed operations say why, the others say 'linked_failed'. */
export interface BatchOutcome<R = OpResult> {
  ok: boolean
  results: Array<R | 'linked_failed'>
}

const FAILURES: ReadonlySet<string> = new Set([
  'conflict', 'amount_must_be_positive', 'accounts_must_differ', 'decimals_mismatch', 'not_found'
])

// classic-level fsyncs a batch written with sync: true; other backends ignore the option.
const SYNC = { sync: true } as AbstractBatchOptions<string, Uint8Array>

type Step = (tx: Tx, led: LedgerTx) => Promise<OpResult>

interface Subs extends LedgerSubs {
  /** issuer \0 seq -> TariffMeta */
  tariffs: Sub
  /** id -> envelope(TariffMeta, bytes) */
  tariffDocs: Sub
  /** border \0 intervalStart \0 reporter -> envelope (the current revision) */
  reports: Sub
  /** border \0 intervalStart \0 reporter \0 revision -> envelope (superseded revisions, kept for audit) */
  reportHistory: Sub
  /** border \0 intervalStart -> envelope */
  attestations: Sub
  /** border \0 periodStart -> envelope */
  statements: Sub
  /** border \0 kind \0 key -> DisputeRecord */
  disputes: Sub
  /** kind \0 key -> Json */
  pending: Sub
  /** key -> Json */
  meta: Sub
  /** border \0 intervalStart -> UsageCounters (see usage.ts) */
  usage: Sub
  /** idempotency key -> { digest, answer } */
  usageKeys: Sub
}

const SUBLEVELS: Record<keyof Subs, string> = {
  tariffs: 'tariff',
  tariffDocs: 'tariff-doc',
  reports: 'report',
  reportHistory: 'report-superseded',
  attestations: 'attestation',
  statements: 'statement',
  disputes: 'dispute',
  pending: 'pending',
  meta: 'meta',
  usage: 'usage-counter',
  usageKeys: 'usage-idempotency',
  transfers: 'ledger-transfer',
  log: 'ledger-log',
  byAccount: 'ledger-account',
  balances: 'ledger-balance',
  currencies: 'ledger-currency'
}

type TariffMeta = Omit<TariffRecord, 'bytes'>
interface DocMeta { id: string }
interface ReportMeta { id: string, revision?: number }

/**
 * Opens a store. With `path`, creates the directory and opens LevelDB there (the store closes it);
 * with `db`, uses that database (opening it if needed; the caller closes it).
 */
export async function openStore (opts: StoreOptions): Promise<Store> {
  let db: AnyLevel
  let owned: boolean
  if ('path' in opts) {
    await mkdir(opts.path, { recursive: true }).catch((err: unknown) => { throw ioError(err, `create the data directory ${opts.path}`) })
    db = new Level<string, Uint8Array>(opts.path)
    owned = true
  } else {
    db = opts.db
    owned = false
  }
  await db.open().catch((err: unknown) => { throw openError(err, 'path' in opts ? opts.path : '(in-memory database)') })
  const subs = {} as Subs
  for (const [field, name] of Object.entries(SUBLEVELS) as Array<[keyof Subs, string]>) {
    subs[field] = 'db' in opts && opts.prefixed === true ? new PrefixSub(db, name) : db.sublevel<string, Uint8Array>(name, { keyEncoding: 'utf8', valueEncoding: 'view' })
  }
  const store = new Store(db, owned, subs)
  await store.load()
  return store
}

/** The least string above every string that starts with `s` (its last character, plus one). */
const successor = (s: string): string => s.slice(0, -1) + String.fromCharCode(s.charCodeAt(s.length - 1) + 1)

export class Store {
  private queue: Promise<void> = Promise.resolve()
  private closed = false
  private abandoned = false
  private readonly ledger: LedgerState = { nextSeq: 0, totals: new Map() }
  private readonly counters: StoreStats = { keys: 0, bytesWritten: 0, batches: 0 }

  /** @internal use openStore */
  constructor (private readonly db: AnyLevel, private readonly owned: boolean, private readonly subs: Subs) {}

  /** @internal counts keys and restores the ledger's sequence and totals; asserts zero-sum. */
  async load (): Promise<void> {
    for (const sub of Object.values(this.subs)) {
      for await (const key of sub.keys()) if (key !== undefined) this.counters.keys++
    }
    for await (const last of this.subs.log.keys({ reverse: true, limit: 1 })) this.ledger.nextSeq = Number(last) + 1
    for await (const [k, v] of this.subs.balances.iterator()) {
      const b = decodeBalance(k, v)
      this.ledger.totals.set(b.currency, (this.ledger.totals.get(b.currency) ?? 0n) + b.net)
    }
    for (const [currency, total] of this.ledger.totals) {
      check(total === 0n, 'ledger_unbalanced', `on open, ${currency} balances sum to ${total}`)
    }
  }

  /** Waits for queued writes, then closes the database if the store opened it. Idempotent. */
  async close (): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.queue
    if (this.owned) await this.db.close()
  }

  /**
   * The process dies (the simulator's crash): writes not yet committed are dropped, a write being
   * committed finishes (it is the synced batch), and every later call fails as closed. The database
   * is left to the next incarnation to open.
   */
  abandon (): void {
    this.closed = true
    this.abandoned = true
  }

  stats (): StoreStats {
    return { ...this.counters }
  }

  /** A set of writes committed together in one synced batch, or not at all. */
  batch (): StoreBatch {
    return new StoreBatch(this)
  }

  /** @internal runs the steps under the write lock and commits them atomically. */
  async commit (steps: Step[]): Promise<BatchOutcome> {
    this.assertOpen()
    const run = this.queue.then(async () => {
      // Queued behind a write that was committing when the process died: never written.
      check(!this.abandoned, 'closed', 'the process stopped before this write')
      const tx = new Tx()
      const led = new LedgerTx(this.ledger)
      const results: OpResult[] = []
      for (const step of steps) results.push(await step(tx, led))
      const ok = results.every(r => !FAILURES.has(r))
      if (!ok) return { ok, results: results.map(r => FAILURES.has(r) ? r : 'linked_failed' as const) }
      if (tx.ops.length > 0) {
        // The process died while this write was being prepared: it never reached the disk.
        check(!this.abandoned, 'closed', 'the process stopped before this write')
        await this.db.batch(tx.ops, SYNC).catch((err: unknown) => { throw ioError(err, 'write') })
        this.counters.keys += tx.keyDelta
        this.counters.bytesWritten += tx.bytes
        this.counters.batches++
        led.commit()
      }
      return { ok, results }
    })
    this.queue = run.then(() => undefined, () => undefined)
    return await run
  }

  private assertOpen (): void {
    if (this.closed) throw new StoreError('closed', 'the store is closed')
  }

  private async one<R extends OpResult> (step: Step): Promise<R> {
    const { results } = await this.commit([step])
    return results[0] as R
  }

  // ---- tariff book -------------------------------------------------------------------------

  /** 'exists' for the same id; 'conflict' when issuer+seq already holds another id (or the id another slot). */
  async putTariff (t: TariffRecord): Promise<PutResult> { return await this.one(this.stepTariff(t)) }

  async getTariff (id: string): Promise<TariffRecord | undefined> {
    this.assertOpen()
    const v = await this.subs.tariffDocs.get(part(id, 'tariff id'))
    if (v === undefined) return undefined
    const { meta, bytes } = decodeEnvelope<TariffMeta>(v)
    return { ...meta, bytes }
  }

  /** The issuer's versions ordered by seq. */
  async tariffsOf (issuer: string): Promise<TariffRecord[]> {
    const out: TariffRecord[] = []
    for await (const v of this.subs.tariffs.values(under(part(issuer, 'issuer')))) {
      const t = await this.getTariff(decodeJson<TariffMeta>(v).id)
      check(t !== undefined, 'corrupt', 'tariff index points at a missing document')
      out.push(t)
    }
    return out
  }

  /** The issuer's highest seq. */
  async latestTariff (issuer: string): Promise<TariffRecord | undefined> {
    return await this.findTariff(issuer, () => true)
  }

  /** The highest seq whose effective time is <= time: the version that applies to an interval starting at `time`. */
  async tariffInForce (issuer: string, time: number): Promise<TariffRecord | undefined> {
    pad(time, 'time')
    return await this.findTariff(issuer, m => m.effective <= time)
  }

  private async findTariff (issuer: string, accept: (m: TariffMeta) => boolean): Promise<TariffRecord | undefined> {
    this.assertOpen()
    for await (const v of this.subs.tariffs.values({ ...under(part(issuer, 'issuer')), reverse: true })) {
      const m = decodeJson<TariffMeta>(v)
      if (accept(m)) return await this.getTariff(m.id)
    }
    return undefined
  }

  /** @internal */
  stepTariff (t: TariffRecord): Step {
    const meta: TariffMeta = { issuer: part(t.issuer, 'issuer'), seq: t.seq, id: part(t.id, 'tariff id'), effective: t.effective }
    const slot = join(t.issuer, pad(t.seq, 'seq'))
    pad(t.effective, 'effective')
    checkBytes(t.bytes)
    return async (tx) => {
      const byId = await tx.get(this.subs.tariffDocs, t.id)
      if (byId !== undefined) {
        const m = decodeEnvelope<TariffMeta>(byId).meta
        return m.issuer === t.issuer && m.seq === t.seq ? 'exists' : 'conflict'
      }
      if ((await tx.get(this.subs.tariffs, slot)) !== undefined) return 'conflict'
      await tx.put(this.subs.tariffDocs, t.id, encodeEnvelope(meta, t.bytes), true)
      await tx.put(this.subs.tariffs, slot, encodeJson(meta), true)
      return 'created'
    }
  }

  // ---- reports, attestations, statements ---------------------------------------------------

  async putReport (r: ReportRecord): Promise<PutResult> { return await this.one(this.stepReport(r)) }

  /** The current report of (border, interval, reporter): its highest revision. */
  async getReport (border: string, intervalStart: number, reporter: string): Promise<ReportRecord | undefined> {
    this.assertOpen()
    const v = await this.subs.reports.get(reportKey(border, intervalStart, reporter))
    return v === undefined ? undefined : toReport(border, intervalStart, reporter, v)
  }

  /**
   * Supersedes the current report with a higher revision, keeping the old one readable through
   * reportHistory. With no current report it simply stores this one.
   */
  async replaceReport (r: ReportRecord): Promise<ReplaceResult> { return await this.one(this.stepReplaceReport(r)) }

  /** Superseded reports of (border, interval, reporter), oldest revision first (the current one excluded). */
  async reportHistory (border: string, intervalStart: number, reporter: string): Promise<ReportRecord[]> {
    this.assertOpen()
    const out: ReportRecord[] = []
    for await (const v of this.subs.reportHistory.values(under(reportKey(border, intervalStart, reporter)))) {
      out.push(toReport(border, intervalStart, reporter, v))
    }
    return out
  }

  /** @internal 'exists' for the same id; 'conflict' when another report (any revision) is current. */
  stepReport (r: ReportRecord): Step {
    const key = reportKey(r.border, r.intervalStart, r.reporter)
    const value = encodeEnvelope(reportMeta(r), r.bytes)
    return async (tx) => {
      const prev = await tx.get(this.subs.reports, key)
      if (prev !== undefined) return decodeEnvelope<ReportMeta>(prev).meta.id === r.id ? 'exists' : 'conflict'
      await tx.put(this.subs.reports, key, value, true)
      return 'created'
    }
  }

  /** @internal */
  stepReplaceReport (r: ReportRecord): Step {
    const key = reportKey(r.border, r.intervalStart, r.reporter)
    const meta = reportMeta(r)
    const value = encodeEnvelope(meta, r.bytes)
    return async (tx) => {
      const prev = await tx.get(this.subs.reports, key)
      if (prev === undefined) {
        await tx.put(this.subs.reports, key, value, true)
        return 'created'
      }
      const old = decodeEnvelope<ReportMeta>(prev).meta
      if (old.id === r.id) return 'exists'
      if ((old.revision ?? 0) >= (meta.revision ?? 0)) return 'conflict'
      await tx.put(this.subs.reportHistory, join(key, pad(old.revision ?? 0, 'revision')), prev)
      await tx.put(this.subs.reports, key, value)
      return 'created'
    }
  }

  /** 'exists' for the same id; 'conflict' when the border+interval already holds another attestation. */
  async putAttestation (a: AttestationRecord): Promise<PutResult> { return await this.one(this.stepAttestation(a)) }

  async getAttestation (border: string, intervalStart: number): Promise<AttestationRecord | undefined> {
    return await this.getDoc(this.subs.attestations, slotKey(border, intervalStart, 'intervalStart'), { border, intervalStart })
  }

  /** Attestations of a border with fromStart <= intervalStart < toStartExclusive, in order. */
  async listAttestations (border: string, fromStart: number, toStartExclusive: number): Promise<AttestationRecord[]> {
    const range = { gte: slotKey(border, fromStart, 'fromStart'), lt: slotKey(border, toStartExclusive, 'toStartExclusive') }
    return await this.listDocs(this.subs.attestations, range, k => ({ border, intervalStart: Number(k.slice(k.lastIndexOf(SEP) + 1)) }))
  }

  /** @internal */
  stepAttestation (a: AttestationRecord): Step {
    return this.stepDoc(this.subs.attestations, slotKey(a.border, a.intervalStart, 'intervalStart'), a)
  }

  /** 'exists' for the same id; 'conflict' when the border+period already holds another statement. */
  async putStatement (s: StatementRecord): Promise<PutResult> { return await this.one(this.stepStatement(s)) }

  async getStatement (border: string, periodStart: number): Promise<StatementRecord | undefined> {
    return await this.getDoc(this.subs.statements, slotKey(border, periodStart, 'periodStart'), { border, periodStart })
  }

  /** Statements of one border (or all), ordered by border then period. */
  async listStatements (border?: string): Promise<StatementRecord[]> {
    const range = border === undefined ? {} : under(checkBorder(border))
    return await this.listDocs(this.subs.statements, range, k => {
      const i = k.lastIndexOf(SEP)
      return { border: k.slice(0, i), periodStart: Number(k.slice(i + 1)) }
    })
  }

  /**
   * One page of statements in key order (border, then period): of one border or all, with
   * from <= periodStart < to, after the cursor of the previous page. `next` is the cursor of the
   * following page, absent on the last.
   */
  async pageStatements (q: PageQuery): Promise<Page<StatementRecord>> {
    return await this.pageDocs(this.subs.statements, q, k => {
      const i = k.lastIndexOf(SEP)
      return { border: k.slice(0, i), periodStart: Number(k.slice(i + 1)) }
    })
  }

  /** One page of attestations, like pageStatements (the time filter applies to intervalStart). */
  async pageAttestations (q: PageQuery): Promise<Page<AttestationRecord>> {
    return await this.pageDocs(this.subs.attestations, q, k => {
      const i = k.lastIndexOf(SEP)
      return { border: k.slice(0, i), intervalStart: Number(k.slice(i + 1)) }
    })
  }

  private async pageDocs<K extends object> (sub: Sub, q: PageQuery, fields: (key: string) => K): Promise<Page<K & { id: string, bytes: Uint8Array }>> {
    this.assertOpen()
    check(Number.isSafeInteger(q.limit) && q.limit > 0, 'invalid_argument', 'a page needs a positive limit')
    const range = pageRange(q)
    const items: Array<K & { id: string, bytes: Uint8Array }> = []
    for await (const [k, v] of sub.iterator(range)) {
      const f = fields(k) as K & { intervalStart?: number, periodStart?: number }
      const t = f.periodStart ?? f.intervalStart ?? 0
      if ((q.from !== undefined && t < q.from) || (q.to !== undefined && t >= q.to)) continue
      const { meta, bytes } = decodeEnvelope<DocMeta>(v)
      items.push({ ...f, id: meta.id, bytes })
      // A full page says where the next one starts; that page may turn out empty.
      if (items.length === q.limit) return { items, next: k }
    }
    return { items }
  }

  /** @internal */
  stepStatement (s: StatementRecord): Step {
    return this.stepDoc(this.subs.statements, slotKey(s.border, s.periodStart, 'periodStart'), s)
  }

  private stepDoc (sub: Sub, key: string, doc: { id: string, bytes: Uint8Array }): Step {
    const meta: DocMeta = { id: part(doc.id, 'document id') }
    checkBytes(doc.bytes)
    return async (tx) => {
      const prev = await tx.get(sub, key)
      if (prev !== undefined) return decodeEnvelope<DocMeta>(prev).meta.id === doc.id ? 'exists' : 'conflict'
      await tx.put(sub, key, encodeEnvelope(meta, doc.bytes), true)
      return 'created'
    }
  }

  private async getDoc<K extends object> (sub: Sub, key: string, fields: K): Promise<(K & { id: string, bytes: Uint8Array }) | undefined> {
    this.assertOpen()
    const v = await sub.get(key)
    if (v === undefined) return undefined
    const { meta, bytes } = decodeEnvelope<DocMeta>(v)
    return { ...fields, id: meta.id, bytes }
  }

  private async listDocs<K extends object> (sub: Sub, range: object, fields: (key: string) => K): Promise<Array<K & { id: string, bytes: Uint8Array }>> {
    this.assertOpen()
    const out: Array<K & { id: string, bytes: Uint8Array }> = []
    for await (const [k, v] of sub.iterator(range)) {
      const { meta, bytes } = decodeEnvelope<DocMeta>(v)
      out.push({ ...fields(k), id: meta.id, bytes })
    }
    return out
  }

  // ---- disputes ----------------------------------------------------------------------------

  /** Records an open dispute; 'exists' if this kind+border+key is already recorded (first detail kept). */
  async putDispute (d: DisputeInput): Promise<DisputeResult> { return await this.one(this.stepDispute(d)) }

  async resolveDispute (r: ResolveInput): Promise<ResolveResult> { return await this.one(this.stepResolve(r)) }

  async getDispute (kind: DisputeInput['kind'], border: string, key: string): Promise<DisputeRecord | undefined> {
    this.assertOpen()
    const v = await this.subs.disputes.get(disputeKey(kind, border, key))
    return v === undefined ? undefined : decodeJson<DisputeRecord>(v)
  }

  /** Disputes of one border (or all), optionally only open or only resolved ones. */
  async listDisputes (border?: string, status?: DisputeRecord['status']): Promise<DisputeRecord[]> {
    this.assertOpen()
    const range = border === undefined ? {} : under(checkBorder(border))
    const out: DisputeRecord[] = []
    for await (const v of this.subs.disputes.values(range)) {
      const d = decodeJson<DisputeRecord>(v)
      if (status === undefined || d.status === status) out.push(d)
    }
    return out
  }

  /** @internal */
  stepDispute (d: DisputeInput): Step {
    const key = disputeKey(d.kind, d.border, d.key)
    pad(d.time, 'time')
    const rec: DisputeRecord = { kind: d.kind, border: d.border, key: d.key, detail: d.detail, status: 'open', opened: d.time }
    const value = encodeJson(rec)
    return async (tx) => {
      if ((await tx.get(this.subs.disputes, key)) !== undefined) return 'exists'
      await tx.put(this.subs.disputes, key, value, true)
      return 'created'
    }
  }

  /**
   * Records a dispute, or brings a recorded one up to date: reopens a resolved one, or replaces an
   * open one's detail (e.g. new differences after a revised report). The previous state is kept in
   * the record's history. The same open detail again answers 'exists' and writes nothing.
   */
  async updateDispute (d: DisputeInput): Promise<UpdateDisputeResult> { return await this.one(this.stepUpdateDispute(d)) }

  /** @internal */
  stepUpdateDispute (d: DisputeInput): Step {
    const key = disputeKey(d.kind, d.border, d.key)
    pad(d.time, 'time')
    return async (tx) => {
      const prev = await tx.get(this.subs.disputes, key)
      if (prev === undefined) {
        await tx.put(this.subs.disputes, key, encodeJson({ kind: d.kind, border: d.border, key: d.key, detail: d.detail, status: 'open', opened: d.time } satisfies DisputeRecord), true)
        return 'created'
      }
      const old = decodeJson<DisputeRecord>(prev)
      if (old.status === 'open' && JSON.stringify(old.detail) === JSON.stringify(d.detail)) return 'exists'
      const { history, ...was } = old
      const rec: DisputeRecord = { kind: d.kind, border: d.border, key: d.key, detail: d.detail, status: 'open', opened: d.time, history: [...(history ?? []), was as unknown as Json] }
      await tx.put(this.subs.disputes, key, encodeJson(rec))
      return 'updated'
    }
  }

  /** @internal */
  stepResolve (r: ResolveInput): Step {
    const key = disputeKey(r.kind, r.border, r.key)
    pad(r.time, 'time')
    return async (tx) => {
      const prev = await tx.get(this.subs.disputes, key)
      if (prev === undefined) return 'not_found'
      const d = decodeJson<DisputeRecord>(prev)
      if (d.status === 'resolved') return 'already_resolved'
      await tx.put(this.subs.disputes, key, encodeJson({ ...d, status: 'resolved', resolution: r.resolution, resolved: r.time }))
      return 'resolved'
    }
  }

  // ---- ledger ------------------------------------------------------------------------------

  /** Posts one transfer; a retry with the same id and fields answers 'exists' and posts nothing. */
  async post (t: Transfer): Promise<PostResult> { return await this.one(this.stepPost(t)) }

  /** Posts every transfer or none (then failures say why and the others 'linked_failed'). */
  async postAll (ts: Transfer[]): Promise<BatchOutcome<PostResult>> {
    return await this.commit(ts.map(t => this.stepPost(t))) as BatchOutcome<PostResult>
  }

  /** @internal */
  stepPost (t: Transfer): Step {
    return async (tx, led) => await planPost(tx, led, this.subs, t)
  }

  async getTransfer (id: string): Promise<LedgerEntry | undefined> {
    this.assertOpen()
    const v = await this.subs.transfers.get(part(id, 'transfer id'))
    return v === undefined ? undefined : toEntry(decodeJson<StoredTransfer>(v))
  }

  /** Balance of one account in one currency; zeros if it never moved (decimals -1 if the currency was never posted). */
  async balance (account: string, currency: string): Promise<AccountBalance> {
    this.assertOpen()
    const v = await this.subs.balances.get(join(part(account, 'account'), part(currency, 'currency')))
    if (v !== undefined) return decodeBalance(join(account, currency), v)
    const cur = await this.subs.currencies.get(currency)
    const decimals = cur === undefined ? -1 : decodeJson<{ decimals: number }>(cur).decimals
    return { account, currency, decimals, debits: 0n, credits: 0n, net: 0n }
  }

  /** Every balance (of one account, if given), ordered by account then currency. */
  async balances (account?: string): Promise<AccountBalance[]> {
    this.assertOpen()
    const range = account === undefined ? {} : under(part(account, 'account'))
    const out: AccountBalance[] = []
    for await (const [k, v] of this.subs.balances.iterator(range)) out.push(decodeBalance(k, v))
    return out
  }

  /** Entries in posting order: all of them, or those debiting or crediting `account`. */
  async entries (account?: string): Promise<LedgerEntry[]> {
    this.assertOpen()
    const ids: string[] = []
    const dec = new TextDecoder()
    const source = account === undefined ? this.subs.log.values() : this.subs.byAccount.values(under(part(account, 'account')))
    for await (const v of source) ids.push(dec.decode(v))
    const values = ids.length === 0 ? [] : await this.subs.transfers.getMany(ids)
    return values.map((v, i) => {
      check(v !== undefined, 'corrupt', `ledger index points at missing transfer ${ids[i] ?? ''}`)
      return toEntry(decodeJson<StoredTransfer>(v))
    })
  }

  /**
   * Full consistency check: per currency the balances sum to zero, and every balance equals
   * what the transfers imply (so nothing was posted twice or half-posted).
   */
  async checkLedger (): Promise<LedgerCheck> {
    const problems: string[] = []
    const expected = new Map<string, { debits: bigint, credits: bigint }>()
    const seen = new Set<string>()
    const add = (account: string, currency: string, side: 'debits' | 'credits', amount: bigint): void => {
      const k = join(account, currency)
      const e = expected.get(k) ?? { debits: 0n, credits: 0n }
      e[side] += amount
      expected.set(k, e)
    }
    for (const e of await this.entries()) {
      if (seen.has(e.id)) problems.push(`transfer ${e.id} appears twice in the log`)
      seen.add(e.id)
      add(e.debit, e.currency, 'debits', e.amount)
      add(e.credit, e.currency, 'credits', e.amount)
    }
    const totals = new Map<string, bigint>()
    for (const b of await this.balances()) {
      totals.set(b.currency, (totals.get(b.currency) ?? 0n) + b.net)
      const k = join(b.account, b.currency)
      const e = expected.get(k) ?? { debits: 0n, credits: 0n }
      if (e.debits !== b.debits || e.credits !== b.credits) {
        problems.push(`${b.account} ${b.currency}: stored ${b.debits}/${b.credits}, transfers imply ${e.debits}/${e.credits}`)
      }
      expected.delete(k)
    }
    for (const k of expected.keys()) problems.push(`no balance stored for ${k.replace(SEP, ' ')}`)
    for (const [currency, total] of totals) if (total !== 0n) problems.push(`${currency} balances sum to ${total}`)
    return { ok: problems.length === 0, problems }
  }

  // ---- pending work and meta ---------------------------------------------------------------

  /** Records (or replaces) an unfinished exchange so a restarted agent can resume it. */
  async putPending (kind: string, key: string, value: Json): Promise<void> { await this.one(this.stepPutPending(kind, key, value)) }

  async deletePending (kind: string, key: string): Promise<void> { await this.one(this.stepDeletePending(kind, key)) }

  async getPending (kind: string, key: string): Promise<Json | undefined> {
    this.assertOpen()
    const v = await this.subs.pending.get(join(part(kind, 'pending kind'), part(key, 'pending key')))
    return v === undefined ? undefined : decodeJson<Json>(v)
  }

  /** Unfinished exchanges of one kind, ordered by key. */
  /**
   * The pending records of a kind in key order; with `keyPrefix`, only those whose key starts with
   * it (one neighbour's, say), read as a range rather than by listing the kind.
   */
  async listPending (kind: string, keyPrefix?: string): Promise<PendingRecord[]> {
    this.assertOpen()
    const out: PendingRecord[] = []
    const k = part(kind, 'pending kind')
    const range = keyPrefix === undefined ? under(k) : { gte: join(k, part(keyPrefix, 'pending key prefix')), lt: join(k, successor(keyPrefix)) }
    for await (const [k, v] of this.subs.pending.iterator(range)) {
      out.push({ kind, key: k.slice(kind.length + 1), value: decodeJson<Json>(v) })
    }
    return out
  }

  /** @internal */
  stepPutPending (kind: string, key: string, value: Json): Step {
    const k = join(part(kind, 'pending kind'), part(key, 'pending key'))
    const v = encodeJson(value)
    return async (tx) => { await tx.put(this.subs.pending, k, v); return 'done' }
  }

  /** @internal */
  stepDeletePending (kind: string, key: string): Step {
    const k = join(part(kind, 'pending kind'), part(key, 'pending key'))
    return async (tx) => { await tx.del(this.subs.pending, k); return 'done' }
  }

  // ---- usage counters (see usage.ts) ----------------------------------------------------------

  /** Apply a plan of pushed usage in one synced write, or nothing at all (see AddUsageResult). */
  async addUsage (plan: UsagePlan): Promise<AddUsageResult> {
    let result: AddUsageResult | undefined
    await this.commit([async (tx) => await planUsage(tx, this.subs, plan, (r) => { result = r })])
    check(result !== undefined, 'corrupt', 'usage plan gave no outcome')
    return result
  }

  async getUsage (border: string, start: number): Promise<UsageCounters | undefined> {
    this.assertOpen()
    return decodeCounters(await this.subs.usage.get(usageKey(border, start)))
  }

  /** @internal */
  stepSealUsage (border: string, start: number, version: number, sealedBy: string): Step {
    usageKey(border, start)
    return async (tx) => await sealUsage(tx, this.subs, border, start, version, sealedBy)
  }

  /** @internal */
  stepCloseUsage (border: string, start: number, why: string): Step {
    usageKey(border, start)
    return async (tx) => await closeUsage(tx, this.subs, border, start, why)
  }

  /** @internal */
  stepReplaceUsage (border: string, start: number, next: Omit<UsageCounters, 'version'>, expectOpen: boolean): Step {
    usageKey(border, start)
    return async (tx) => await replaceUsage(tx, this.subs, border, start, next, expectOpen)
  }

  /**
   * Bind the store to the identity that signs with it: the first call records `peerId`; later
   * calls with another PeerId throw StoreError('owner'), so a new key never takes over old records.
   */
  async claimOwner (peerId: string): Promise<'claimed' | 'same'> {
    const held = await this.getMeta(OWNER_KEY)
    if (held === peerId) return 'same'
    check(held === undefined, 'owner', `this data directory belongs to ${String(held)}, not to ${peerId}: it holds that identity's signed records`)
    await this.putMeta(OWNER_KEY, peerId)
    return 'claimed'
  }

  async getMeta (key: string): Promise<Json | undefined> {
    this.assertOpen()
    const v = await this.subs.meta.get(part(key, 'meta key'))
    return v === undefined ? undefined : decodeJson<Json>(v)
  }

  async putMeta (key: string, value: Json): Promise<void> { await this.one(this.stepPutMeta(key, value)) }

  /** @internal */
  stepPutMeta (key: string, value: Json): Step {
    const k = part(key, 'meta key')
    const v = encodeJson(value)
    return async (tx) => { await tx.put(this.subs.meta, k, v); return 'done' }
  }
}

/**
 * Writes that must change together, e.g. "co-signed attestation persisted" and "exchange done":
 * `store.batch().putAttestation(a).deletePending('border', key).write()`.
 * Arguments are validated when added (StoreError); results come back in order from write().
 */
export class StoreBatch {
  private readonly steps: Step[] = []
  private written = false

  constructor (private readonly store: Store) {}

  putTariff (t: TariffRecord): this { return this.add(this.store.stepTariff(t)) }
  putReport (r: ReportRecord): this { return this.add(this.store.stepReport(r)) }
  replaceReport (r: ReportRecord): this { return this.add(this.store.stepReplaceReport(r)) }
  putAttestation (a: AttestationRecord): this { return this.add(this.store.stepAttestation(a)) }
  putStatement (s: StatementRecord): this { return this.add(this.store.stepStatement(s)) }
  putDispute (d: DisputeInput): this { return this.add(this.store.stepDispute(d)) }
  resolveDispute (r: ResolveInput): this { return this.add(this.store.stepResolve(r)) }
  updateDispute (d: DisputeInput): this { return this.add(this.store.stepUpdateDispute(d)) }
  post (t: Transfer): this { return this.add(this.store.stepPost(t)) }
  putPending (kind: string, key: string, value: Json): this { return this.add(this.store.stepPutPending(kind, key, value)) }
  deletePending (kind: string, key: string): this { return this.add(this.store.stepDeletePending(kind, key)) }
  putMeta (key: string, value: Json): this { return this.add(this.store.stepPutMeta(key, value)) }
  /** Seal the interval's counters read at `version` into the report `sealedBy`; fails if they changed. */
  sealUsage (border: string, start: number, version: number, sealedBy: string): this { return this.add(this.store.stepSealUsage(border, start, version, sealedBy)) }
  /** Close an interval that will not be reported: later pushes for it are refused. */
  closeUsage (border: string, start: number, why: string): this { return this.add(this.store.stepCloseUsage(border, start, why)) }
  /** Replace an interval's counters; with `expectOpen`, fails if the interval is sealed. */
  replaceUsage (border: string, start: number, next: Omit<UsageCounters, 'version'>, expectOpen: boolean): this { return this.add(this.store.stepReplaceUsage(border, start, next, expectOpen)) }

  get length (): number { return this.steps.length }

  /** Commits every operation in one synced batch, or none if any fails. A batch is written once. */
  async write (): Promise<BatchOutcome> {
    check(!this.written, 'invalid_argument', 'this batch was already written')
    this.written = true
    return await this.store.commit(this.steps)
  }

  private add (step: Step): this {
    check(!this.written, 'invalid_argument', 'this batch was already written')
    this.steps.push(step)
    return this
  }
}

const OWNER_KEY = 'owner'

/** The errno-like code of a LevelDB/file-system error, looking through `cause`. */
function causeOf (err: unknown): string {
  const parts: string[] = []
  for (let e = err as { code?: unknown, message?: unknown, cause?: unknown } | undefined, n = 0; e !== undefined && e !== null && n < 4; e = e.cause as typeof e, n++) {
    parts.push(`${typeof e.code === 'string' ? e.code + ' ' : ''}${typeof e.message === 'string' ? e.message : ''}`)
  }
  return parts.join(' / ')
}

/** A failed disk write or open as StoreError('io'), naming what and why (a full disk says ENOSPC). */
function ioError (err: unknown, what: string): StoreError {
  if (err instanceof StoreError) return err
  const cause = causeOf(err)
  const full = /ENOSPC|No space left/i.test(cause)
  return new StoreError(full ? 'full' : 'io', `cannot ${what}: ${full ? 'the disk is full' : cause}`)
}

function openError (err: unknown, path: string): StoreError {
  const cause = causeOf(err)
  if (/LEVEL_LOCKED|lock/i.test(cause)) return new StoreError('locked', `the data directory ${path} is in use by another process (is another agent running on it?)`)
  if (/EACCES|EROFS|Permission denied|read-only/i.test(cause)) return new StoreError('io', `cannot open the data directory ${path}: it is not writable (${cause})`)
  return ioError(err, `open the data directory ${path}`)
}

/** Key range of a page: one border (and its time range) or all, strictly after the cursor. */
function pageRange (q: PageQuery): { gt?: string, gte?: string, lt?: string } {
  const range: { gt?: string, gte?: string, lt?: string } = q.border === undefined ? {} : under(checkBorder(q.border))
  if (q.border !== undefined && q.from !== undefined) { delete range.gt; range.gte = slotKey(q.border, Math.max(0, q.from), 'from') }
  if (q.border !== undefined && q.to !== undefined) range.lt = slotKey(q.border, Math.max(0, q.to), 'to')
  if (q.after !== undefined) {
    const low = range.gte ?? range.gt
    if (low === undefined || q.after >= low) { delete range.gte; range.gt = q.after }
  }
  return range
}

function checkBytes (b: Uint8Array): void {
  check(b instanceof Uint8Array, 'invalid_argument', 'bytes must be a Uint8Array')
}

function slotKey (border: string, start: number, what: string): string {
  return join(checkBorder(border), pad(start, what))
}

function reportKey (border: string, intervalStart: number, reporter: string): string {
  return join(slotKey(border, intervalStart, 'intervalStart'), part(reporter, 'reporter'))
}

function reportMeta (r: ReportRecord): ReportMeta {
  part(r.id, 'document id')
  checkBytes(r.bytes)
  const rev = r.revision ?? 0
  pad(rev, 'revision')
  return rev === 0 ? { id: r.id } : { id: r.id, revision: rev }
}

function toReport (border: string, intervalStart: number, reporter: string, v: Uint8Array): ReportRecord {
  const { meta, bytes } = decodeEnvelope<ReportMeta>(v)
  return { border, intervalStart, reporter, id: meta.id, bytes, ...(meta.revision !== undefined ? { revision: meta.revision } : {}) }
}

function disputeKey (kind: string, border: string, key: string): string {
  check(kind === 'usage' || kind === 'settlement', 'invalid_argument', `dispute kind must be usage or settlement, got ${kind}`)
  return join(checkBorder(border), kind, part(key, 'dispute key'))
}
