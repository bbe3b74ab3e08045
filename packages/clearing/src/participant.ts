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
import {
  cosign, decodeDocument, docId, encodeDocument, sign, verifyDocument,
  type ClearingStatement, type Consent, type ConsentBody, type Receipt, type ReceiptBody
} from '@splitedge/wire'
import { borderOf, toMinorUnits } from '@splitedge/store'
import { ZERO, add, cmp, dec, format, formatRounded, sub, type Dec } from '@splitedge/model'
import { type AgentContext, type TariffView } from '@splitedge/agent'
import { decodeFrame, encodeFrame, net } from '@splitedge/node'
import { checkCoverage, type ClaimCode } from './claims.js'
import { localCharge, marginOn, percentOf, type MarginPolicy } from './pricing.js'
import { CLEARING_PROTOCOLS, MAX_CLEARING_FRAME_BYTES, SettleAnswerFrame, SettleOfferFrame, type EvidenceItem } from './frames.js'

/** What a participant needs of an agent: `Agent` has these public fields. */
export interface AgentHandle { ctx: AgentContext, view: TariffView }

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

export type SettleRefusal = ClaimCode | 'malformed' | 'not-ours' | 'bad-signature' | 'no-evidence' | 'wrong-charge' | 'wrong-margin' | 'wrong-net' | 'already-settled' | 'no-tariff'

class Refused extends Error { constructor (readonly code: SettleRefusal, message: string) { super(message) } }

const SEQ_KEY = 'clearing:receipt-seq'
const SETTLED_KEY = (clearer: string, receipt: string, side: string): string => `clearing:settled:${clearer}:${receipt}:${side}`

export class ClearingParticipant {
  private seq: number | undefined
  private queue: Promise<unknown> = Promise.resolve()
  private readonly random: (n: number) => Uint8Array

  private constructor (private readonly agent: AgentHandle, private readonly opts: ParticipantOptions) {
    this.random = opts.random ?? ((n) => randomBytes(n))
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

  private get ctx (): AgentContext { return this.agent.ctx }
  get peerId (): string { return this.ctx.identity.peerId }

  /** Sign a receipt for a customer's flow; sequence numbers are kept in the store. */
  async issueReceipt (r: Omit<ReceiptBody, 'operator' | 'seq'>): Promise<Receipt> {
    const run = this.queue.then(async () => {
      this.seq ??= Number((await this.ctx.store.getMeta(SEQ_KEY)) ?? 0)
      const seq = this.seq + 1
      const signed = sign(this.ctx.identity, 'receipt', { operator: this.peerId, seq, ...r })
      if (!signed.ok) throw new Error(`receipt: ${signed.error.message}`)
      await this.ctx.store.putMeta(SEQ_KEY, seq)
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
    const me = this.peerId
    let offer: SettleOfferFrame
    try { offer = decodeFrame(SettleOfferFrame, bytes) } catch (e) { throw new Refused('malformed', (e as Error).message) }
    const d = decodeDocument(offer.statement, 'clearing-statement')
    if (!d.ok) throw new Refused('malformed', d.error.message)
    const st = d.value
    const b = st.body
    if (b.operator !== me || b.clearer !== clearer) throw new Refused('not-ours', 'statement is not between this operator and the clearer that sent it')
    const v = verifyDocument(st, [clearer])
    if (!v.ok) throw new Refused('bad-signature', v.error.message)
    const border = borderOf(clearer, me)
    const held = await this.ctx.store.getStatement(border, b.period.start)
    if (held !== undefined) {
      // A retry of the statement we co-signed gets the same answer; another one for the period is refused.
      const h = decodeDocument(held.bytes, 'clearing-statement')
      if (h.ok && docId(h.value) === docId(st)) return h.value
      throw new Refused('already-settled', `period ${b.period.start} is already settled by statement ${held.id}`)
    }
    const evidence = new Map<string, EvidenceItem>()
    for (const e of offer.evidence) {
      const r = decodeDocument(e.receipt, 'receipt')
      if (r.ok) evidence.set(docId(r.value), e)
    }
    const used = new Map<string, Dec>()
    let total: Dec = ZERO
    const postings: Array<{ debit: string, credit: string, amount: string }> = []
    for (const [i, l] of b.lines.entries()) {
      const at = `line ${i}`
      const e = evidence.get(l.receipt)
      if (e === undefined) throw new Refused('no-evidence', `${at}: no receipt ${l.receipt}`)
      const rd = decodeDocument(e.receipt, 'receipt')
      if (!rd.ok) throw new Refused('forged-receipt', `${at}: receipt does not decode`)
      const receipt: Receipt = rd.value
      if (!verifyDocument(receipt).ok) throw new Refused('forged-receipt', `${at}: receipt signature does not verify`)
      const r = receipt.body
      if (r.class !== l.class || r.volume !== l.volume) throw new Refused('uncovered', `${at}: class or volume differ from the receipt`)
      if ((await this.ctx.store.getMeta(SETTLED_KEY(clearer, l.receipt, l.side))) !== undefined) throw new Refused('already-settled', `${at}: receipt ${l.receipt} was settled before`)
      let consent: Consent | undefined
      if (e.consent !== undefined) {
        const c = decodeDocument(e.consent, 'consent')
        if (!c.ok || !verifyDocument(c.value).ok) throw new Refused('forged-consent', `${at}: consent does not verify`)
        consent = c.value
      }
      const share = consent === undefined ? dec('100') : dec(consent.body.share)
      const localAddr = e.role === 'sender' ? r.src : r.dst
      const remoteAddr = e.role === 'sender' ? r.dst : r.src
      if (l.side === 'paid') {
        // Our own customer's charge: recompute it from our own tariff version.
        if (r.operator !== me) throw new Refused('not-ours', `${at}: a paid line for a receipt we did not sign`)
        const t = await this.agent.view.byId(l.tariff)
        if (t === undefined || t.issuer !== me) throw new Refused('no-tariff', `${at}: ${l.tariff} is not a tariff of ours`)
        const inForce = await this.agent.view.inForce(me, r.interval.start)
        if (inForce?.id !== t.id) throw new Refused('no-tariff', `${at}: ${l.tariff} was not in force at the receipt's interval`)
        const full = localCharge(t.pricing, r.class, e.role, dec(r.volume))
        if (!full.ok) throw new Refused('wrong-charge', `${at}: ${full.error.message}`)
        const want = percentOf(full.value, share, t.pricing.decimals)
        if (cmp(want, dec(l.charge)) !== 0) throw new Refused('wrong-charge', `${at}: charge ${l.charge}, our tariff gives ${format(want)}`)
        total = sub(total, dec(l.charge))
        postings.push({ debit: `clearer:${clearer}`, credit: `customer:${localAddr}`, amount: l.charge })
      } else {
        // The remote end pays: our customer consented, or was sent traffic whose receiver disputes.
        if (e.remote !== me) throw new Refused('not-ours', `${at}: we are not the paying end`)
        if (consent !== undefined) {
          const prior = used.get(docId(consent)) ?? ZERO
          const cov = checkCoverage(receipt, consent, me, prior)
          if (!cov.ok) throw new Refused(cov.error.code, `${at}: ${cov.error.message}`)
          used.set(docId(consent), add(prior, dec(r.volume)))
        } else if (e.role !== 'receiver') {
          throw new Refused('dispute-not-allowed', `${at}: only a receiver's dispute makes the sender's operator pay`)
        }
        const m = this.opts.margins?.[clearer]
        if (m !== undefined && cmp(marginOn(dec(l.charge), m, b.decimals), dec(l.margin)) !== 0) throw new Refused('wrong-margin', `${at}: margin ${l.margin} is not the agreed one`)
        const amount = add(dec(l.charge), dec(l.margin))
        total = add(total, amount)
        postings.push({ debit: `customer:${remoteAddr}`, credit: `clearer:${clearer}`, amount: format(amount) })
      }
    }
    if (formatRounded(total, b.decimals) !== formatRounded(dec(b.net), b.decimals)) throw new Refused('wrong-net', `net ${b.net}, the lines sum to ${format(total)}`)
    const full = cosign(this.ctx.identity, st)
    if (!full.ok) throw new Refused('bad-signature', full.error.message)
    const id = docId(full.value)
    const batch = this.ctx.store.batch().putStatement({ border, periodStart: b.period.start, id, bytes: encodeDocument(full.value) })
    postings.forEach((p, i) => {
      const amount = toMinorUnits(p.amount, b.decimals)
      if (amount > 0n) batch.post({ id: `${id}:${i}`, debit: p.debit, credit: p.credit, amount, currency: b.currency, decimals: b.decimals, ref: `clearing ${id}`, time: b.period.end })
    })
    for (const l of b.lines) batch.putMeta(SETTLED_KEY(clearer, l.receipt, l.side), id)
    const w = await batch.write()
    if (!w.ok) throw new Refused('already-settled', `cannot store the statement: ${w.results.join(',')}`)
    this.ctx.metrics.statements.inc()
    this.ctx.log.info({ clearer, period: b.period, net: b.net, id }, 'clearing statement co-signed')
    return full.value
  }
}
