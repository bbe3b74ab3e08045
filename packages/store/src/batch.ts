// A set of writes committed together in one synced batch, or not at all.

import type { Static, TSchema } from '@sinclair/typebox'
import type { Area } from './area.js'
import type { Json } from './codec.js'
import type { Disputes } from './disputes.js'
import type { Documents } from './documents.js'
import type { BatchOutcome, Engine, Step } from './engine.js'
import { check } from './errors.js'
import type { LedgerBook } from './ledger-book.js'
import type { MetaBook } from './meta.js'
import type { PendingWork } from './pending.js'
import type { Reports } from './reports.js'
import type { TariffBook } from './tariffs.js'
import type { AttestationRecord, DisputeInput, ReportRecord, ResolveInput, StatementRecord, TariffRecord, Transfer } from './types.js'
import type { UsageBook } from './usage-book.js'
import type { UsageCounters } from './usage.js'

/** The parts of a store whose writes a batch can hold. */
export interface Parts {
  engine: Engine
  tariffs: TariffBook
  reports: Reports
  documents: Documents
  disputes: Disputes
  ledger: LedgerBook
  pending: PendingWork
  usage: UsageBook
  meta: MetaBook
}

/**
 * Writes that must change together, e.g. "co-signed attestation persisted" and "exchange done":
 * `store.batch().putAttestation(a).deletePending('border', key).write()`.
 * Arguments are validated when added (StoreError); results come back in order from write().
 */
export class StoreBatch {
  private readonly steps: Step[] = []
  private written = false

  constructor (private readonly parts: Parts) {}

  putTariff (t: TariffRecord): this { return this.add(this.parts.tariffs.stepTariff(t)) }
  putReport (r: ReportRecord): this { return this.add(this.parts.reports.stepReport(r)) }
  replaceReport (r: ReportRecord): this { return this.add(this.parts.reports.stepReplaceReport(r)) }
  putAttestation (a: AttestationRecord): this { return this.add(this.parts.documents.stepAttestation(a)) }
  putStatement (s: StatementRecord): this { return this.add(this.parts.documents.stepStatement(s)) }
  /**
   * Store a co-signed statement and post it: the statement's result first, then one per posting
   * (see postingsOf, postings.ts). A retry of both answers 'exists' throughout and writes nothing.
   */
  putPostedStatement (s: StatementRecord, postings: readonly Transfer[]): this {
    this.putStatement(s)
    for (const t of postings) this.post(t)
    return this
  }

  putDispute (d: DisputeInput): this { return this.add(this.parts.disputes.stepDispute(d)) }
  resolveDispute (r: ResolveInput): this { return this.add(this.parts.disputes.stepResolve(r)) }
  updateDispute (d: DisputeInput): this { return this.add(this.parts.disputes.stepUpdateDispute(d)) }
  post (t: Transfer): this { return this.add(this.parts.ledger.stepPost(t)) }
  putPending (kind: string, key: string, value: Json): this { return this.add(this.parts.pending.stepPutPending(kind, key, value)) }
  deletePending (kind: string, key: string): this { return this.add(this.parts.pending.stepDeletePending(kind, key)) }
  putMeta (key: string, value: Json): this { return this.add(this.parts.meta.stepPutMeta(key, value)) }
  /** Write `value` under `key` in a typed area (checked against its schema now). */
  put<S extends TSchema> (area: Area<S>, key: string[], value: Static<S>): this { return this.add(area.stepPut(key, value)) }
  /** Remove the record under `key` of a typed area, if any. */
  delete<S extends TSchema> (area: Area<S>, key: string[]): this { return this.add(area.stepDelete(key)) }
  /** Seal the interval's counters read at `version` into the report `sealedBy`; fails if they changed. */
  sealUsage (border: string, start: number, version: number, sealedBy: string): this { return this.add(this.parts.usage.stepSealUsage(border, start, version, sealedBy)) }
  /** Close an interval that will not be reported: later pushes for it are refused. */
  closeUsage (border: string, start: number, why: string): this { return this.add(this.parts.usage.stepCloseUsage(border, start, why)) }
  /** Replace an interval's counters; with `expectOpen`, fails if the interval is sealed. */
  replaceUsage (border: string, start: number, next: Omit<UsageCounters, 'version'>, expectOpen: boolean): this { return this.add(this.parts.usage.stepReplaceUsage(border, start, next, expectOpen)) }

  get length (): number { return this.steps.length }

  /** Commits every operation in one synced batch, or none if any fails. A batch is written once. */
  async write (): Promise<BatchOutcome> {
    check(!this.written, 'invalid-argument', 'this batch was already written')
    this.written = true
    return await this.parts.engine.commit(this.steps)
  }

  private add (step: Step): this {
    check(!this.written, 'invalid-argument', 'this batch was already written')
    this.steps.push(step)
    return this
  }
}
