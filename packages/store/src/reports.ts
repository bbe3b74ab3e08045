// Usage reports: the current revision of each (border, interval, reporter), and the superseded
// revisions kept for audit.

import { decodeEnvelope, encodeEnvelope } from './codec.js'
import { checkBytes, slotKey } from './docs-common.js'
import type { Engine, Step } from './engine.js'
import { join, pad, part, under } from './keys.js'
import type { PutResult, ReplaceResult, ReportRecord } from './types.js'

interface ReportMeta { id: string, revision?: number }

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

export class Reports {
  constructor (private readonly engine: Engine) {}

  private get subs (): Engine['subs'] { return this.engine.subs }

  async putReport (r: ReportRecord): Promise<PutResult> { return await this.engine.one(this.stepReport(r)) }

  /** The current report of (border, interval, reporter): its highest revision. */
  async getReport (border: string, intervalStart: number, reporter: string): Promise<ReportRecord | undefined> {
    this.engine.assertOpen()
    const v = await this.subs.reports.get(reportKey(border, intervalStart, reporter))
    return v === undefined ? undefined : toReport(border, intervalStart, reporter, v)
  }

  /**
   * Supersedes the current report with a higher revision, keeping the old one readable through
   * reportHistory. With no current report it simply stores this one.
   */
  async replaceReport (r: ReportRecord): Promise<ReplaceResult> { return await this.engine.one(this.stepReplaceReport(r)) }

  /** Superseded reports of (border, interval, reporter), oldest revision first (the current one excluded). */
  async reportHistory (border: string, intervalStart: number, reporter: string): Promise<ReportRecord[]> {
    this.engine.assertOpen()
    const out: ReportRecord[] = []
    for await (const v of this.subs.reportHistory.values(under(reportKey(border, intervalStart, reporter)))) {
      out.push(toReport(border, intervalStart, reporter, v))
    }
    return out
  }

  /** 'exists' for the same id; 'conflict' when another report (any revision) is current. */
  stepReport (r: ReportRecord): Step<PutResult> {
    const key = reportKey(r.border, r.intervalStart, r.reporter)
    const value = encodeEnvelope(reportMeta(r), r.bytes)
    const { reports } = this.subs
    return async (tx) => {
      const prev = await tx.get(reports, key)
      if (prev !== undefined) return decodeEnvelope<ReportMeta>(prev).meta.id === r.id ? 'exists' : 'conflict'
      await tx.put(reports, key, value, true)
      return 'created'
    }
  }

  stepReplaceReport (r: ReportRecord): Step<ReplaceResult> {
    const key = reportKey(r.border, r.intervalStart, r.reporter)
    const meta = reportMeta(r)
    const value = encodeEnvelope(meta, r.bytes)
    const { reports, reportHistory } = this.subs
    return async (tx) => {
      const prev = await tx.get(reports, key)
      if (prev === undefined) {
        await tx.put(reports, key, value, true)
        return 'created'
      }
      const old = decodeEnvelope<ReportMeta>(prev).meta
      if (old.id === r.id) return 'exists'
      if ((old.revision ?? 0) >= (meta.revision ?? 0)) return 'conflict'
      await tx.put(reportHistory, join(key, pad(old.revision ?? 0, 'revision')), prev)
      await tx.put(reports, key, value)
      return 'created'
    }
  }
}
