/**
 * The operator's side of clearing, attached to a running agent through its public fields (node,
 * store, identity): it signs Receipts for its customers' flows and Consents for customers who
 * agree to pay a remote end's charge, and answers a clearer's batch settlement by checking every
 * line against the evidence (its own signatures, its own tariff) before co-signing. The co-signed
 * statement and its ledger postings are written in one durable batch; a receipt is settled once.
 *
 * Operator ledger accounts: `clearer:<PeerId>` (debit: the clearer owes us), and
 * `customer:<address>` for the customers whose charges the clearer pays or collects.
 */
import { randomBytes } from 'node:crypto'
import type { Logger } from 'pino'
import {
  cosign, decodeDocument, docId, encodeDocument, sign, verifyDocument,
  type ClearingLine, type ClearingStatement, type Consent, type ConsentBody, type Identity, type Receipt, type ReceiptBody
} from '@splitedge/wire'
import type { Refusals } from '@splitedge/wire'
import { borderOf, clearingKeys, clearingRecords, postingsOf, type ClearingRecords, type Store } from '@splitedge/store'
import { ZERO, add, cmp, dec, format, formatRounded, sub, type Dec } from '@splitedge/model'
import { decodeFrame, encodeFrame, type NetPort, type TariffView } from '@splitedge/node'
import { checkCoverage, type ClaimCode } from './claims.js'
import { localCharge, marginOn, percentOf, type MarginPolicy } from './pricing.js'
import { CLEARING_PROTOCOLS, MAX_CLEARING_FRAME_BYTES, SettleAnswerFrame, SettleOfferFrame, type EvidenceItem } from './frames.js'

/** What a participant needs of an agent's parts: an `Agent`'s `ctx` is one. */
export interface ParticipantContext {
  identity: Identity
  store: Store
  net: NetPort
  log: Pick<Logger, 'info' | 'warn'>
  metrics: { rejected: { inc: (labels: { kind: string, reason: string }) => void }, statements: { inc: () => void } }
}

/** What a participant needs of an agent: `Agent` has these public fields. */
export interface AgentHandle { ctx: ParticipantContext, view: Pick<TariffView, 'byId' | 'inForce'> }

export interface ParticipantOptions {
  /** PeerIds of the clearers this operator settles with. */
  clearers: string[]
  /**
   * The margin policy the operator agreed with each clearer, to check `pays` lines (default:
   * accept the clearer's margin as stated; the operator still checks the charge itself).
   */
  margins?: Record<string, MarginPolicy>
  random?: (n: number) => Uint8Array
}

export type SettleRefusal = ClaimCode | Refusals<'malformed' | 'not-ours' | 'bad-signature' | 'no-evidence' | 'wrong-charge' | 'wrong-margin' | 'wrong-net' | 'already-settled' | 'no-tariff'>

class Refused extends Error { constructor (readonly code: SettleRefusal, message: string) { super(message) } }

/** A money movement a co-signed statement posts in the operator's ledger. */
interface Posting { debit: string, credit: string, amount: string }
const CUSTOMER = 'customer:'

/** One line's documents, decoded and checked for signatures. */
interface LineDocs { at: string, receipt: Receipt, consent: Consent | undefined, e: EvidenceItem }

export class ClearingParticipant {
  private seq: number | undefined
  private queue: Promise<unknown> = Promise.resolve()
  private readonly random: (n: number) => Uint8Array
  private readonly records: ClearingRecords

  private constructor (private readonly agent: AgentHandle, private readonly opts: ParticipantOptions) {
    this.random = opts.random ?? ((n) => randomBytes(n))
    this.records = clearingRecords(agent.ctx.store)
  }

  /** Start answering clearing settlements from `opts.clearers` on the agent's node. */
  static async attach (agent: AgentHandle, opts: ParticipantOptions): Promise<ClearingParticipant> {
    const p = new ClearingParticipant(agent, opts)
    await agent.ctx.net.handle(CLEARING_PROTOCOLS.settle, async (bytes, peer) => await p.serve(bytes, peer), {
      maxRequestBytes: MAX_CLEARING_FRAME_BYTES.settle,
      allow: (peer) => opts.clearers.includes(peer),
      timeoutMs: 30_000
    })
    return p
  }

  async detach (): Promise<void> { await this.agent.ctx.net.unhandle(CLEARING_PROTOCOLS.settle) }

  private get ctx (): ParticipantContext { return this.agent.ctx }
  get peerId (): string { return this.ctx.identity.peerId }

  /** Sign a receipt for a customer's flow; sequence numbers are kept in the store. */
  async issueReceipt (r: Omit<ReceiptBody, 'operator' | 'seq'>): Promise<Receipt> {
    const run = this.queue.then(async () => {
      this.seq ??= await this.records.counter('receipt-seq')
      const seq = this.seq + 1
      const signed = sign(this.ctx.identity, 'receipt', { operator: this.peerId, seq, ...r })
      if (!signed.ok) throw new Error(`receipt: ${signed.error.message}`)
      const w = await this.ctx.store.batch().put(this.records.counters, clearingKeys.counter('receipt-seq'), seq).write()
      if (!w.ok) throw new Error(`receipt sequence ${seq} not stored: ${w.results.join(',')}`)
      this.seq = seq
      return signed.value
    })
    this.queue = run.catch(() => {})
    return await run
  }

  /** Sign a customer's consent to pay `share` percent of a remote end's charge for matching traffic. */
  consent (c: Omit<ConsentBody, 'operator' | 'nonce'>): Consent {
    const signed = sign(this.ctx.identity, 'consent', { operator: this.peerId, nonce: Buffer.from(this.random(16)).toString('hex'), ...c })
    if (!signed.ok) throw new Error(`consent: ${signed.error.message}`)
    return signed.value
  }

  /** Co-signed clearing statements this operator holds. */
  async statements (): Promise<Array<{ id: string, doc: ClearingStatement }>> {
    const out = []
    for (const s of await this.ctx.store.listStatements()) {
      const d = decodeDocument(s.bytes, 'clearing-statement')
      if (d.ok && d.value.body.operator === this.peerId) out.push({ id: s.id, doc: d.value })
    }
    return out
  }

  private async serve (bytes: Uint8Array, clearer: string): Promise<Uint8Array> {
    const run = this.queue.then(async () => {
      try {
        return encodeFrame(SettleAnswerFrame, { k: 'statement', doc: encodeDocument(await this.check(bytes, clearer)) })
      } catch (e) {
        if (!(e instanceof Refused)) throw e
        this.ctx.metrics.rejected.inc({ kind: 'clearing-statement', reason: e.code })
        this.ctx.log.warn({ clearer, reason: e.code }, `clearing statement refused: ${e.message}`)
        return encodeFrame(SettleAnswerFrame, { k: 'refused', code: e.code, reason: e.message.slice(0, 500) })
      }
    })
    this.queue = run.catch(() => {})
    return await run
  }

  /** Check an offered statement line by line; store and return it co-signed. */
  private async check (bytes: Uint8Array, clearer: string): Promise<ClearingStatement> {
    const { st, evidence } = this.readOffer(bytes, clearer)
    const border = borderOf(clearer, this.peerId)
    const held = await this.ctx.store.getStatement(border, st.body.period.start)
    if (held !== undefined) {
      // A retry of the statement we co-signed gets the same answer; another one for the period is refused.
      const h = decodeDocument(held.bytes, 'clearing-statement')
      if (h.ok && docId(h.value) === docId(st)) return h.value
      throw new Refused('already-settled', `period ${st.body.period.start} is already settled by statement ${held.id}`)
    }
    const { total, postings } = await this.checkLines(st, evidence, clearer)
    const b = st.body
    if (formatRounded(total, b.decimals) !== formatRounded(dec(b.net), b.decimals)) throw new Refused('wrong-net', `net ${b.net}, the lines sum to ${format(total)}`)
    return await this.keep(st, border, postings, clearer)
  }

  /** The offer's statement, if it is well formed, between us and `clearer`, and signed by it; its evidence by receipt id. */
  private readOffer (bytes: Uint8Array, clearer: string): { st: ClearingStatement, evidence: Map<string, EvidenceItem> } {
    let offer: SettleOfferFrame
    try { offer = decodeFrame(SettleOfferFrame, bytes) } catch (e) { throw new Refused('malformed', (e as Error).message) }
    const d = decodeDocument(offer.statement, 'clearing-statement')
    if (!d.ok) throw new Refused('malformed', d.error.message)
    const st = d.value
    if (st.body.operator !== this.peerId || st.body.clearer !== clearer) throw new Refused('not-ours', 'statement is not between this operator and the clearer that sent it')
    const v = verifyDocument(st, [clearer])
    if (!v.ok) throw new Refused('bad-signature', v.error.message)
    const evidence = new Map<string, EvidenceItem>()
    for (const e of offer.evidence) {
      const r = decodeDocument(e.receipt, 'receipt')
      if (r.ok) evidence.set(docId(r.value), e)
    }
    return { st, evidence }
  }

  /** Every line checked against its evidence: what the statement moves in our ledger, and its net. */
  private async checkLines (st: ClearingStatement, evidence: Map<string, EvidenceItem>, clearer: string): Promise<{ total: Dec, postings: Posting[] }> {
    const used = new Map<string, Dec>()
    let total: Dec = ZERO
    const postings: Posting[] = []
    for (const [i, l] of st.body.lines.entries()) {
      const docs = await this.lineDocs(`line ${i}`, l, evidence, clearer)
      if (l.side === 'paid') {
        const p = await this.checkPaid(docs, l, clearer)
        total = sub(total, dec(l.charge))
        postings.push(p)
      } else {
        const p = this.checkPays(docs, l, clearer, st.body.decimals, used)
        total = add(total, dec(p.amount))
        postings.push(p)
      }
    }
    return { total, postings }
  }

  /** A line's receipt and consent, decoded and verified; the receipt matches the line and was not settled before. */
  private async lineDocs (at: string, l: ClearingLine, evidence: Map<string, EvidenceItem>, clearer: string): Promise<LineDocs> {
    const e = evidence.get(l.receipt)
    if (e === undefined) throw new Refused('no-evidence', `${at}: no receipt ${l.receipt}`)
    const rd = decodeDocument(e.receipt, 'receipt')
    if (!rd.ok) throw new Refused('forged-receipt', `${at}: receipt does not decode`)
    const receipt: Receipt = rd.value
    if (!verifyDocument(receipt).ok) throw new Refused('forged-receipt', `${at}: receipt signature does not verify`)
    if (receipt.body.class !== l.class || receipt.body.volume !== l.volume) throw new Refused('uncovered', `${at}: class or volume differ from the receipt`)
    if ((await this.records.settledBy(clearer, l.receipt, l.side)) !== undefined) throw new Refused('already-settled', `${at}: receipt ${l.receipt} was settled before`)
    let consent: Consent | undefined
    if (e.consent !== undefined) {
      const c = decodeDocument(e.consent, 'consent')
      if (!c.ok || !verifyDocument(c.value).ok) throw new Refused('forged-consent', `${at}: consent does not verify`)
      consent = c.value
    }
    return { at, receipt, consent, e }
  }

  /** Our own customer's charge: recomputed from our own tariff version in force at the receipt's interval. */
  private async checkPaid ({ at, receipt, consent, e }: LineDocs, l: ClearingLine, clearer: string): Promise<Posting> {
    const me = this.peerId
    const r = receipt.body
    if (r.operator !== me) throw new Refused('not-ours', `${at}: a paid line for a receipt we did not sign`)
    const t = await this.agent.view.byId(l.tariff)
    if (t === undefined || t.issuer !== me) throw new Refused('no-tariff', `${at}: ${l.tariff} is not a tariff of ours`)
    const inForce = await this.agent.view.inForce(me, r.interval.start)
    if (inForce?.id !== t.id) throw new Refused('no-tariff', `${at}: ${l.tariff} was not in force at the receipt's interval`)
    const full = localCharge(t.pricing, r.class, e.role, dec(r.volume))
    if (!full.ok) throw new Refused('wrong-charge', `${at}: ${full.error.message}`)
    const share = consent === undefined ? dec('100') : dec(consent.body.share)
    const want = percentOf(full.value, share, t.pricing.decimals)
    if (cmp(want, dec(l.charge)) !== 0) throw new Refused('wrong-charge', `${at}: charge ${l.charge}, our tariff gives ${format(want)}`)
    return { debit: `clearer:${clearer}`, credit: `customer:${e.role === 'sender' ? r.src : r.dst}`, amount: l.charge }
  }

  /** The remote end pays: our customer consented, or was sent traffic whose receiver disputes. */
  private checkPays ({ at, receipt, consent, e }: LineDocs, l: ClearingLine, clearer: string, decimals: number, used: Map<string, Dec>): Posting {
    const me = this.peerId
    if (e.remote !== me) throw new Refused('not-ours', `${at}: we are not the paying end`)
    if (consent !== undefined) {
      const prior = used.get(docId(consent)) ?? ZERO
      const cov = checkCoverage(receipt, consent, me, prior)
      if (!cov.ok) throw new Refused(cov.error.code, `${at}: ${cov.error.message}`)
      used.set(docId(consent), add(prior, dec(receipt.body.volume)))
    } else if (e.role !== 'receiver') {
      throw new Refused('dispute-not-allowed', `${at}: only a receiver's dispute makes the sender's operator pay`)
    }
    const m = this.opts.margins?.[clearer]
    if (m !== undefined && cmp(marginOn(dec(l.charge), m, decimals), dec(l.margin)) !== 0) throw new Refused('wrong-margin', `${at}: margin ${l.margin} is not the agreed one`)
    const remoteAddr = e.role === 'sender' ? receipt.body.dst : receipt.body.src
    return { debit: `customer:${remoteAddr}`, credit: `clearer:${clearer}`, amount: format(add(dec(l.charge), dec(l.margin))) }
  }

  /** Co-sign the statement and store it with its postings and every line marked settled, in one batch. */
  private async keep (st: ClearingStatement, border: string, postings: Posting[], clearer: string): Promise<ClearingStatement> {
    const b = st.body
    const full = cosign(this.ctx.identity, st)
    if (!full.ok) throw new Refused('bad-signature', full.error.message)
    const id = docId(full.value)
    // The customer of each line: credited when the clearer pays us, debited when we pay it.
    const customers = postings.map(p => (p.credit.startsWith(CUSTOMER) ? p.credit : p.debit).slice(CUSTOMER.length))
    const batch = this.ctx.store.batch().putPostedStatement({ border, periodStart: b.period.start, id, bytes: encodeDocument(full.value) }, postingsOf(full.value, { of: 'operator', customers }))
    for (const l of b.lines) batch.put(this.records.settled, clearingKeys.settled(clearer, l.receipt, l.side), { statement: id })
    const w = await batch.write()
    if (!w.ok) throw new Refused('already-settled', `cannot store the statement: ${w.results.join(',')}`)
    this.ctx.metrics.statements.inc()
    this.ctx.log.info({ clearer, period: b.period, net: b.net, id }, 'clearing statement co-signed')
    return full.value
  }
}
