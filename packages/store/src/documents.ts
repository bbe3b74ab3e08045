// Co-signed attestations (per border and interval) and statements (per border and period):
// immutable documents, listed and paged in key order.

import { decodeEnvelope, encodeEnvelope } from './codec.js'
import { checkBytes, slotKey } from './docs-common.js'
import type { Engine, Step } from './engine.js'
import { check } from './errors.js'
import { border as checkBorder, part, SEP, under } from './keys.js'
import type { Sub } from './tx.js'
import type { AttestationRecord, PutResult, StatementRecord } from './types.js'

/** A page request: at most `limit` records after the cursor `after`, optionally of one border and time range. */
export interface PageQuery { limit: number, after?: string, border?: string, from?: number, to?: number }
export interface Page<T> { items: T[], next?: string }

interface DocMeta { id: string }
type Doc<K> = K & { id: string, bytes: Uint8Array }
interface Range { gt?: string, gte?: string, lt?: string }

const intervalOf = (k: string): { border: string, intervalStart: number } => {
  const i = k.lastIndexOf(SEP)
  return { border: k.slice(0, i), intervalStart: Number(k.slice(i + 1)) }
}
const periodOf = (k: string): { border: string, periodStart: number } => {
  const i = k.lastIndexOf(SEP)
  return { border: k.slice(0, i), periodStart: Number(k.slice(i + 1)) }
}

/** Key range of a page: one border (and its time range) or all, strictly after the cursor. */
function pageRange (q: PageQuery): Range {
  const range: Range = q.border === undefined ? {} : under(checkBorder(q.border))
  if (q.border !== undefined && q.from !== undefined) { delete range.gt; range.gte = slotKey(q.border, Math.max(0, q.from), 'from') }
  if (q.border !== undefined && q.to !== undefined) range.lt = slotKey(q.border, Math.max(0, q.to), 'to')
  if (q.after !== undefined) {
    const low = range.gte ?? range.gt
    if (low === undefined || q.after >= low) { delete range.gte; range.gt = q.after }
  }
  return range
}

export class Documents {
  constructor (private readonly engine: Engine) {}

  private get subs (): Engine['subs'] { return this.engine.subs }

  /** 'exists' for the same id; 'conflict' when the border+interval already holds another attestation. */
  async putAttestation (a: AttestationRecord): Promise<PutResult> { return await this.engine.one(this.stepAttestation(a)) }

  async getAttestation (border: string, intervalStart: number): Promise<AttestationRecord | undefined> {
    return await this.getDoc(this.subs.attestations, slotKey(border, intervalStart, 'intervalStart'), { border, intervalStart })
  }

  /** Attestations of a border with fromStart <= intervalStart < toStartExclusive, in order. */
  async listAttestations (border: string, fromStart: number, toStartExclusive: number): Promise<AttestationRecord[]> {
    const range = { gte: slotKey(border, fromStart, 'fromStart'), lt: slotKey(border, toStartExclusive, 'toStartExclusive') }
    return await this.listDocs(this.subs.attestations, range, intervalOf)
  }

  stepAttestation (a: AttestationRecord): Step<PutResult> {
    return this.stepDoc(this.subs.attestations, slotKey(a.border, a.intervalStart, 'intervalStart'), a)
  }

  /** 'exists' for the same id; 'conflict' when the border+period already holds another statement. */
  async putStatement (s: StatementRecord): Promise<PutResult> { return await this.engine.one(this.stepStatement(s)) }

  async getStatement (border: string, periodStart: number): Promise<StatementRecord | undefined> {
    return await this.getDoc(this.subs.statements, slotKey(border, periodStart, 'periodStart'), { border, periodStart })
  }

  /** Statements of one border (or all), ordered by border then period. */
  async listStatements (border?: string): Promise<StatementRecord[]> {
    const range = border === undefined ? {} : under(checkBorder(border))
    return await this.listDocs(this.subs.statements, range, periodOf)
  }

  /**
   * One page of statements in key order (border, then period): of one border or all, with
   * from <= periodStart < to, after the cursor of the previous page. `next` is the cursor of the
   * following page, absent on the last.
   */
  async pageStatements (q: PageQuery): Promise<Page<StatementRecord>> {
    return await this.pageDocs(this.subs.statements, q, k => { const f = periodOf(k); return { fields: f, time: f.periodStart } })
  }

  /** One page of attestations, like pageStatements (the time filter applies to intervalStart). */
  async pageAttestations (q: PageQuery): Promise<Page<AttestationRecord>> {
    return await this.pageDocs(this.subs.attestations, q, k => { const f = intervalOf(k); return { fields: f, time: f.intervalStart } })
  }

  stepStatement (s: StatementRecord): Step<PutResult> {
    return this.stepDoc(this.subs.statements, slotKey(s.border, s.periodStart, 'periodStart'), s)
  }

  private async pageDocs<K extends object> (sub: Sub, q: PageQuery, fields: (key: string) => { fields: K, time: number }): Promise<Page<Doc<K>>> {
    this.engine.assertOpen()
    check(Number.isSafeInteger(q.limit) && q.limit > 0, 'invalid-argument', 'a page needs a positive limit')
    const items: Array<Doc<K>> = []
    for await (const [k, v] of sub.iterator(pageRange(q))) {
      const f = fields(k)
      if ((q.from !== undefined && f.time < q.from) || (q.to !== undefined && f.time >= q.to)) continue
      const { meta, bytes } = decodeEnvelope<DocMeta>(v)
      items.push({ ...f.fields, id: meta.id, bytes })
      // A full page says where the next one starts; that page may turn out empty.
      if (items.length === q.limit) return { items, next: k }
    }
    return { items }
  }

  private stepDoc (sub: Sub, key: string, doc: { id: string, bytes: Uint8Array }): Step<PutResult> {
    const meta: DocMeta = { id: part(doc.id, 'document id') }
    checkBytes(doc.bytes)
    return async (tx) => {
      const prev = await tx.get(sub, key)
      if (prev !== undefined) return decodeEnvelope<DocMeta>(prev).meta.id === doc.id ? 'exists' : 'conflict'
      await tx.put(sub, key, encodeEnvelope(meta, doc.bytes), true)
      return 'created'
    }
  }

  private async getDoc<K extends object> (sub: Sub, key: string, fields: K): Promise<Doc<K> | undefined> {
    this.engine.assertOpen()
    const v = await sub.get(key)
    if (v === undefined) return undefined
    const { meta, bytes } = decodeEnvelope<DocMeta>(v)
    return { ...fields, id: meta.id, bytes }
  }

  private async listDocs<K extends object> (sub: Sub, range: Range, fields: (key: string) => K): Promise<Array<Doc<K>>> {
    this.engine.assertOpen()
    const out: Array<Doc<K>> = []
    for await (const [k, v] of sub.iterator(range)) {
      const { meta, bytes } = decodeEnvelope<DocMeta>(v)
      out.push({ ...fields(k), id: meta.id, bytes })
    }
    return out
  }
}
