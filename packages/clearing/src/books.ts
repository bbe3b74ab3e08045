/**
 * The clearer's books read back: each operator's statement lines for a period from the ledger,
 * the statement signed from them, the co-signed statements held, a customer's evidence of
 * settlement, and the audit that ties them together.
 */
import { ZERO, add, dec, formatRounded, sub, type Dec } from '@splitedge/model'
import { borderOf, toMinorUnits, type ClearedRecord } from '@splitedge/store'
import {
  decodeDocument, encodeBody, sign,
  type ClearingLine, type ClearingStatement, type ClearingStatementBody
} from '@splitedge/wire'
import { opAccount, type ClearerParts } from './components.js'
import type { EvidenceItem } from './frames.js'

export type Evidence =
  | { status: 'settled', statement: ClearingStatement, bytes: Uint8Array, line: ClearingLine }
  | { status: 'cleared', record: ClearedRecord }
  | { status: 'unknown' }

export interface HeldStatement { operator: string, id: string, doc: ClearingStatement, bytes: Uint8Array }

export type ClearingBooksParts = Pick<ClearerParts, 'identity' | 'store' | 'records'>

const unb64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'))
const equalBytes = (x: Uint8Array, y: Uint8Array): boolean => Buffer.compare(x, y) === 0

export class ClearingBooks {
  constructor (private readonly init: { periodMs: number }, private readonly c: ClearingBooksParts) {}

  private get me (): string { return this.c.identity.peerId }

  /** The lines of `operator`'s statement for the period starting at `start`, from the ledger. */
  async linesFor (operator: string, start: number): Promise<{ lines: ClearingLine[], evidence: EvidenceItem[], records: ClearedRecord[] }> {
    const end = start + this.init.periodMs
    const lines: ClearingLine[] = []
    const evidence: EvidenceItem[] = []
    const records: ClearedRecord[] = []
    for (const e of await this.c.store.entries(opAccount(operator))) {
      if (!e.ref.startsWith('clear ') || e.time < start || e.time >= end) continue
      const r = await this.c.records.receipt(e.id)
      if (r === undefined) throw new Error(`ledger entry ${e.id} has no clearing record`)
      const pays = r.remote === operator
      lines.push({ receipt: r.receipt, side: pays ? 'pays' : 'paid', class: r.class, volume: r.volume, charge: r.charge, margin: pays ? r.margin : '0', tariff: r.tariff })
      evidence.push({ receipt: unb64(r.receiptDoc), role: r.role, remote: r.remote, ...(r.consentDoc !== null ? { consent: unb64(r.consentDoc) } : {}) })
      records.push(r)
    }
    return { lines, evidence, records }
  }

  /** Build and sign (as the clearer) the statement for `operator` and the period at `start`. */
  async statementFor (operator: string, start: number): Promise<{ doc: ClearingStatement, evidence: EvidenceItem[] } | undefined> {
    const { lines, evidence, records } = await this.linesFor(operator, start)
    const first = records[0]
    if (first === undefined) return undefined
    let total: Dec = ZERO
    for (const l of lines) total = l.side === 'pays' ? add(total, add(dec(l.charge), dec(l.margin))) : sub(total, dec(l.charge))
    const body: ClearingStatementBody = {
      clearer: this.me,
      operator,
      period: { start, end: start + this.init.periodMs },
      currency: first.currency,
      decimals: first.decimals,
      lines,
      net: formatRounded(total, first.decimals)
    }
    const signed = sign(this.c.identity, 'clearing-statement', body)
    if (!signed.ok) throw new Error(`statement: ${signed.error.message}`)
    return { doc: signed.value, evidence }
  }

  /** Co-signed clearing statements we hold, decoded. */
  async statements (): Promise<HeldStatement[]> {
    const out: HeldStatement[] = []
    for (const s of await this.c.store.listStatements()) {
      if (!s.border.includes(this.me)) continue
      const d = decodeDocument(s.bytes, 'clearing-statement')
      if (!d.ok) continue
      out.push({ operator: d.value.body.operator, id: s.id, doc: d.value, bytes: s.bytes })
    }
    return out
  }

  /**
   * Evidence for a customer that a cleared receipt was settled with her local operator (paper
   * section 9.2): the clearing statement that operator co-signed, with the receipt's line.
   */
  async evidence (receiptId: string): Promise<Evidence> {
    const r = await this.c.records.receipt(receiptId)
    if (r === undefined) return { status: 'unknown' }
    const s = await this.c.store.getStatement(borderOf(this.me, r.local), r.periodStart)
    if (s === undefined) return { status: 'cleared', record: r }
    const d = decodeDocument(s.bytes, 'clearing-statement')
    if (!d.ok) throw new Error(`stored statement ${s.id} does not decode`)
    const line = d.value.body.lines.find(l => l.receipt === receiptId && l.side === 'paid')
    if (line === undefined) return { status: 'cleared', record: r }
    return { status: 'settled', statement: d.value, bytes: s.bytes, line }
  }

  /**
   * The books' own audit: the ledger balances to zero, every statement's lines and net are what
   * the ledger holds for that operator and period, and every settled operator account is square.
   */
  async audit (): Promise<{ ok: boolean, problems: string[] }> {
    const { store } = this.c
    const problems = [...(await store.checkLedger()).problems]
    for (const b of await store.balances()) {
      if (b.account === 'bank' || b.account === 'margin' || b.account.startsWith('operator:')) continue
      problems.push(`unexpected account ${b.account}`)
    }
    for (const s of await this.statements()) problems.push(...await this.auditStatement(s))
    return { ok: problems.length === 0, problems }
  }

  private async auditStatement (s: HeldStatement): Promise<string[]> {
    const problems: string[] = []
    const { period, net, decimals } = s.doc.body
    const { lines } = await this.linesFor(s.operator, period.start)
    if (!equalBytes(encodeBody(lines), encodeBody(s.doc.body.lines))) problems.push(`statement ${s.id}: lines differ from the ledger`)
    let total = 0n
    for (const e of await this.c.store.entries(opAccount(s.operator))) {
      if (e.ref.startsWith('settle ') || e.time < period.start || e.time >= period.end) continue
      total += e.debit === opAccount(s.operator) ? e.amount : -e.amount
    }
    if (total !== toMinorUnits(net.replace(/^-/, ''), decimals) * (net.startsWith('-') ? -1n : 1n)) {
      problems.push(`statement ${s.id}: net ${net} but the ledger moved ${total} minor units`)
    }
    return problems
  }
}
