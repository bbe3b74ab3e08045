/**
 * The settle protocol's checks and durable writes: a statement for our border, the co-signed
 * statement stored with its ledger posting in one write (an open dispute of the period resolved in
 * it), and the settlement dispute listing the lines that differ. `stamp` adds the period's new
 * state to the same write.
 */
import { decodeDocument, docId, type Refusal, encodeDocument, verifyDocument, type SettlementStatement, type SettlementStatementBody } from '@splitedge/wire'
import { borderOf, postingsOf, type Json } from '@splitedge/store'
import { sortedPair } from '../context.js'
import type { Period } from '../clock/intervals.js'
import { ProtocolRefusal, pad } from '../border/service.js'
import type { Stamp } from '../border/run.js'
import type { SettleComponents } from './components.js'

type Line = SettlementStatementBody['lines'][number]

export class SettleRecords {
  constructor (private readonly c: SettleComponents) {}

  private get me (): string { return this.c.identity.peerId }

  nameOf (peer: string): string { return this.c.neighbours.get(peer)?.name ?? peer }

  refuse (reason: Refusal, message: string): ProtocolRefusal {
    this.c.metrics.rejected.inc({ kind: 'settlement-statement', reason })
    this.c.log.warn({ reason }, `statement rejected: ${message}`)
    return new ProtocolRefusal(reason, `${reason}: ${message}`)
  }

  /** Decode and check a statement for our border with `peer`, signed at least by `signers`. */
  check (bytes: Uint8Array, peer: string, signers: string[]): SettlementStatement {
    const d = decodeDocument(bytes, 'settlement-statement')
    if (!d.ok) throw this.refuse(d.error.code, d.error.message)
    const doc = d.value
    const [a, b] = sortedPair(this.me, peer)
    if (doc.body.border[0] !== a || doc.body.border[1] !== b) throw this.refuse('wrong-parties', 'statement is not for our border')
    const { start, end } = doc.body.period
    const len = this.c.config.intervalMs * this.c.config.periodIntervals
    if (end - start !== len || start % len !== 0) throw this.refuse('period-mismatch', `period ${start}-${end} is not one of ours`)
    const v = verifyDocument(doc, signers)
    if (!v.ok) throw this.refuse(v.error.code, v.error.message)
    return doc
  }

  /** Store the co-signed statement and post its net, in one durable write with the period's state. */
  async storeStatement (peer: string, doc: SettlementStatement, stamp: Stamp): Promise<void> {
    const { store } = this.c
    const border = borderOf(this.me, peer)
    const postings = postingsOf(doc, { of: 'party', self: this.me })
    const batch = store.batch().putPostedStatement({ border, periodStart: doc.body.period.start, id: docId(doc), bytes: encodeDocument(doc) }, postings)
    // DEFECT (simulator only): post the statement to the ledger a second time.
    if (this.c.defects.has('post-twice')) for (const t of postings) batch.post({ ...t, id: `${t.id}:again`, ref: 'again' })
    const open = await store.getDispute('settlement', border, pad(doc.body.period.start))
    if (open !== undefined && open.status === 'open') batch.resolveDispute({ kind: 'settlement', border, key: pad(doc.body.period.start), resolution: { statement: docId(doc) }, time: this.c.clock.now() })
    const r = await stamp(batch).write()
    if (!r.ok) throw new Error(`statement for ${doc.body.period.start} conflicts with the one we hold: ${r.results.join(',')}`)
    if (r.results[0] === 'created') {
      this.c.metrics.statements.inc()
      this.c.log.info({ peer: this.nameOf(peer), period: doc.body.period, net: doc.body.net, currency: doc.body.currency, id: docId(doc) }, 'period settled: statement co-signed')
    }
  }

  /** Record the settlement dispute: both statements' ids and the lines that differ. */
  async recordDispute (peer: string, p: Period, ours: SettlementStatement | undefined, theirs: SettlementStatement, note: string | undefined, stamp: Stamp): Promise<void> {
    const border = borderOf(this.me, peer)
    const key = (l: Line): string => JSON.stringify([l.kind, l.class, l.from, l.to, l.tariffs, l.factors])
    const om = new Map((ours?.body.lines ?? []).map(l => [key(l), l]))
    const tm = new Map(theirs.body.lines.map(l => [key(l), l]))
    const differing: Json[] = [...new Set([...om.keys(), ...tm.keys()])]
      .filter(k => JSON.stringify(om.get(k)) !== JSON.stringify(tm.get(k)))
      .map(k => ({ ours: lineJson(om.get(k)), theirs: lineJson(tm.get(k)) }))
    const detail: Json = { period: { start: p.start, end: p.end }, ours: ours === undefined ? null : docId(ours), theirs: docId(theirs), note: note ?? null, differing }
    const r = await stamp(this.c.store.batch().putDispute({ kind: 'settlement', border, key: pad(p.start), detail, time: this.c.clock.now() })).write()
    if (r.results[0] === 'created') {
      this.c.metrics.disputes.inc({ kind: 'settlement' })
      this.c.log.warn({ peer: this.nameOf(peer), period: p, differing: differing.length, note }, 'settlement disputed')
    }
  }
}

/** A statement line as stored JSON (null when one side has no such line). */
function lineJson (l: Line | undefined): Json {
  if (l === undefined) return null
  return {
    kind: l.kind, class: l.class, from: l.from, to: l.to, volume: l.volume,
    tariffs: { ...l.tariffs }, factors: { ...l.factors }, amount: l.amount, ...(l.note !== undefined ? { note: l.note } : {})
  }
}
