/**
 * The settle protocol (docs/protocol.md): at each period end both sides compute the
 * SettlementStatement from the co-signed attestations and the tariff versions in force, compare,
 * and co-sign on a match; otherwise each records a dispute listing the differing lines. The net is
 * posted to the double-entry ledger in the same durable write that stores the co-signed statement.
 *
 * One exchange: the initiator sends its statement signed by itself. The responder first makes sure
 * both hold the same inputs (answering `need` with the documents the initiator lacks and the ids it
 * lacks itself), computes its own, and on a match adds its signature, stores and answers with the
 * co-signed statement, which the initiator checks and stores.
 */
import {
  cosign, decodeDocument, docId, encodeDocument, sign, verifyDocument,
  type SettlementStatement, type SettlementStatementBody, type UsageAttestation
} from '@splitedge/wire'
import { borderOf, toMinorUnits, type StoreBatch } from '@splitedge/store'
import { isModelError } from '@splitedge/model'
import { handle, request } from '@splitedge/node'
import { MAX_FRAME_BYTES, PROTOCOLS, SettleRequest, SettleResponse, decodeFrame, encodeFrame } from '@splitedge/node'
import type { AgentContext } from '../context.js'
import { sortedPair } from '../context.js'
import { intervalsOf, type Period } from '../clock/intervals.js'
import { assemblePeriodFees, assembleStatement, computeStatement, MissingTariff } from './assemble.js'
import { ProtocolRefusal, pad, type BorderService } from '../border/service.js'
import type { TariffService } from '../tariff/service.js'
import type { TariffInForce, TariffView } from '../tariff/view.js'

export type SettleOutcome = 'settled' | 'disputed' | 'not-ready' | 'retry' | 'declined' | 'nothing' | 'error'

export class SettleService {
  constructor (
    private readonly ctx: AgentContext,
    private readonly border: BorderService,
    private readonly tariffs: TariffService,
    private readonly view: TariffView
  ) {}

  async start (): Promise<void> {
    await this.ctx.net.handle(PROTOCOLS.settle, async (bytes, peer) => await this.serve(bytes, peer), {
      maxRequestBytes: MAX_FRAME_BYTES.settle,
      allow: (peer) => this.ctx.neighbours.has(peer),
      timeoutMs: 30_000
    })
  }

  periodLength (): number { return this.ctx.config.intervalMs * this.ctx.config.periodIntervals }

  /** Is every interval of the period with `peer` attested, disputed or skipped, and the period over? */
  async ready (peer: string, p: Period): Promise<{ ok: true } | { ok: false, why: 'before-start' | 'open' | 'pending' }> {
    const since = await this.border.since(peer)
    if (p.end <= since) return { ok: false, why: 'before-start' }
    if (p.end + this.ctx.config.graceMs > this.ctx.now()) return { ok: false, why: 'open' }
    const upTo = await this.border.scheduledUpTo(peer)
    const lastStart = p.end - this.ctx.config.intervalMs
    if (upTo === undefined || upTo < lastStart) return { ok: false, why: 'pending' }
    for (const s of intervalsOf(p, this.ctx.config.intervalMs)) {
      if (s >= since && !(await this.border.isFinal(peer, s))) return { ok: false, why: 'pending' }
    }
    return { ok: true }
  }

  /**
   * Is a usage dispute about an interval of the period still open? A revision may still attest the
   * interval, and a statement is immutable, so a period without attested intervals waits for it.
   */
  async usageDisputeOpen (peer: string, p: Period): Promise<boolean> {
    const open = await this.ctx.store.listDisputes(borderOf(this.ctx.identity.peerId, peer), 'open')
    return open.some(d => d.kind === 'usage' && /^[0-9]+$/.test(d.key) && Number(d.key) >= p.start && Number(d.key) < p.end)
  }

  private async attestationsOf (peer: string, p: Period): Promise<Array<{ id: string, bytes: Uint8Array, doc: UsageAttestation }>> {
    const held = await this.ctx.store.listAttestations(borderOf(this.ctx.identity.peerId, peer), p.start, p.end)
    // DEFECT (simulator only): settle without the period's last attestation.
    const recs = this.ctx.defects.has('settle-partial') && held.length > 1 ? held.slice(0, -1) : held
    return recs.map(r => {
      const d = decodeDocument(r.bytes, 'usage-attestation')
      if (!d.ok) throw new Error(`stored attestation ${r.id} does not decode`)
      return { id: r.id, bytes: r.bytes, doc: d.value }
    })
  }

  /**
   * Our statement for the period, signed by us, or undefined when there is nothing to settle. A
   * period without attested intervals settles on its period fees alone, under the tariffs in force
   * at its last interval; nothing when no fee is owed.
   */
  async compute (peer: string, p: Period): Promise<SettlementStatement | undefined> {
    const me = this.ctx.identity.peerId
    const parties = sortedPair(me, peer)
    const atts = await this.attestationsOf(peer, p)
    const lookup = async (issuer: string, t: number): Promise<TariffInForce | undefined> => await this.view.inForce(issuer, t)
    const input = atts.length > 0
      ? await assembleStatement(parties, this.ctx.config.periodIntervals, atts, lookup)
      : await assemblePeriodFees(parties, p.end - this.ctx.config.intervalMs, lookup)
    if (input === undefined) return undefined
    const st = computeStatement(input)
    if (atts.length === 0 && st.lines.length === 0) return undefined
    const body: SettlementStatementBody = {
      border: parties,
      period: { start: p.start, end: p.end },
      currency: st.currency,
      decimals: st.decimals,
      attestations: atts.map(a => a.id),
      lines: st.lines.map(l => ({ kind: l.kind, class: l.class, from: l.from, to: l.to, volume: l.volume, tariffs: l.tariffs, factors: l.factors, amount: l.amount, ...(l.note !== undefined ? { note: l.note } : {}) })),
      net: st.net
    }
    const signed = sign(this.ctx.identity, 'settlement-statement', body)
    if (!signed.ok) throw new Error(`cannot sign statement: ${signed.error.message}`)
    return signed.value
  }

  /** Ledger postings of a co-signed statement, added to `batch`. Transfer id = statement id. */
  private post (batch: StoreBatch, doc: SettlementStatement, peer: string): void {
    const me = this.ctx.identity.peerId
    const id = docId(doc)
    const net = doc.body.net // what border[0] pays border[1]
    const iPay = doc.body.border[0] === me ? !net.startsWith('-') : net.startsWith('-')
    const amount = toMinorUnits(net.replace(/^-/, ''), doc.body.decimals)
    if (amount === 0n) return
    const account = `neighbour:${peer}`
    batch.post({
      id,
      debit: iPay ? 'interconnect:expense' : account,
      credit: iPay ? account : 'interconnect:revenue',
      amount,
      currency: doc.body.currency,
      decimals: doc.body.decimals,
      ref: `statement ${id} period ${doc.body.period.start}-${doc.body.period.end}`,
      time: doc.body.period.end
    })
    // DEFECT (simulator only): post the statement to the ledger a second time.
    if (this.ctx.defects.has('post-twice')) batch.post({ id: `${id}:again`, debit: iPay ? 'interconnect:expense' : account, credit: iPay ? account : 'interconnect:revenue', amount, currency: doc.body.currency, decimals: doc.body.decimals, ref: 'again', time: doc.body.period.end })
  }

  private async storeStatement (peer: string, doc: SettlementStatement): Promise<void> {
    const border = borderOf(this.ctx.identity.peerId, peer)
    const batch = this.ctx.store.batch()
      .putStatement({ border, periodStart: doc.body.period.start, id: docId(doc), bytes: encodeDocument(doc) })
    this.post(batch, doc, peer)
    const open = await this.ctx.store.getDispute('settlement', border, pad(doc.body.period.start))
    if (open !== undefined && open.status === 'open') batch.resolveDispute({ kind: 'settlement', border, key: pad(doc.body.period.start), resolution: { statement: docId(doc) }, time: this.ctx.now() })
    const r = await batch.write()
    if (!r.ok) throw new Error(`statement for ${doc.body.period.start} conflicts with the one we hold: ${r.results.join(',')}`)
    if (r.results[0] === 'created') {
      this.ctx.metrics.statements.inc()
      this.ctx.log.info({ peer: this.border.nameOf(peer), period: doc.body.period, net: doc.body.net, currency: doc.body.currency, id: docId(doc) }, 'period settled: statement co-signed')
    }
  }

  private refuse (reason: string, message: string): ProtocolRefusal {
    this.ctx.metrics.rejected.inc({ kind: 'settlement-statement', reason })
    this.ctx.log.warn({ reason }, `statement rejected: ${message}`)
    return new ProtocolRefusal(reason, `${reason}: ${message}`)
  }

  /** Decode and check a statement for our border with `peer`, signed at least by `signers`. */
  private check (bytes: Uint8Array, peer: string, signers: string[]): SettlementStatement {
    const d = decodeDocument(bytes, 'settlement-statement')
    if (!d.ok) throw this.refuse(d.error.code, d.error.message)
    const doc = d.value
    const [a, b] = sortedPair(this.ctx.identity.peerId, peer)
    if (doc.body.border[0] !== a || doc.body.border[1] !== b) throw this.refuse('wrong-parties', 'statement is not for our border')
    const { start, end } = doc.body.period
    const len = this.periodLength()
    if (end - start !== len || start % len !== 0) throw this.refuse('period-mismatch', `period ${start}-${end} is not one of ours`)
    const v = verifyDocument(doc, signers)
    if (!v.ok) throw this.refuse(v.error.code, v.error.message)
    return doc
  }

  private async recordDispute (peer: string, p: Period, ours: SettlementStatement | undefined, theirs: SettlementStatement, note?: string): Promise<void> {
    const border = borderOf(this.ctx.identity.peerId, peer)
    const key = (l: SettlementStatementBody['lines'][number]): string => JSON.stringify([l.kind, l.class, l.from, l.to, l.tariffs, l.factors])
    const om = new Map((ours?.body.lines ?? []).map(l => [key(l), l]))
    const tm = new Map(theirs.body.lines.map(l => [key(l), l]))
    const differing = [...new Set([...om.keys(), ...tm.keys()])]
      .filter(k => JSON.stringify(om.get(k)) !== JSON.stringify(tm.get(k)))
      .map(k => ({ ours: om.get(k) ?? null, theirs: tm.get(k) ?? null }))
    const r = await this.ctx.store.putDispute({
      kind: 'settlement', border, key: pad(p.start),
      detail: { period: p, ours: ours === undefined ? null : docId(ours), theirs: docId(theirs), note: note ?? null, differing } as never,
      time: this.ctx.now()
    })
    if (r === 'created') {
      this.ctx.metrics.disputes.inc({ kind: 'settlement' })
      this.ctx.log.warn({ peer: this.border.nameOf(peer), period: p, differing: differing.length, note }, 'settlement disputed')
    }
  }

  // ---- responder -------------------------------------------------------------------------------

  private async serve (bytes: Uint8Array, peer: string): Promise<Uint8Array> {
    let req: SettleRequest
    try {
      req = decodeFrame(SettleRequest, bytes)
    } catch (err) {
      throw this.refuse('malformed', (err as Error).message)
    }
    const reply = (r: SettleResponse): Uint8Array => encodeFrame(SettleResponse, r)
    const theirs = this.check(req.doc, peer, [peer])
    const p = theirs.body.period
    const border = borderOf(this.ctx.identity.peerId, peer)
    const held = await this.ctx.store.getStatement(border, p.start)
    if (held !== undefined) return reply({ k: 'statement', doc: held.bytes })
    const ready = await this.ready(peer, p)
    if (!ready.ok) {
      if (ready.why === 'before-start') return reply({ k: 'declined', reason: 'period before this agent started settling the border' })
      return reply({ k: 'not-ready', reason: `period ${ready.why} here` })
    }
    // Same inputs first: attestations either side lacks, and tariff versions we lack.
    const ours = await this.attestationsOf(peer, p)
    const theirIds = new Set(theirs.body.attestations)
    const ourIds = new Set(ours.map(a => a.id))
    const missing = theirs.body.attestations.filter(id => !ourIds.has(id))
    const extra = ours.filter(a => !theirIds.has(a.id)).map(a => a.bytes)
    for (const l of theirs.body.lines) {
      for (const [issuer, id] of Object.entries(l.tariffs)) {
        if (issuer === peer && !(await this.tariffs.ensure(peer, id))) return reply({ k: 'not-ready', reason: `cannot fetch tariff ${id}` })
      }
    }
    let mine: SettlementStatement | undefined
    try {
      mine = await this.compute(peer, p)
    } catch (err) {
      if (err instanceof MissingTariff) return reply({ k: 'not-ready', reason: err.message })
      if (isModelError(err)) {
        await this.recordDispute(peer, p, undefined, theirs, `cannot compute: ${(err as Error).message}`)
        throw this.refuse('model', (err as Error).message)
      }
      throw err
    }
    if (mine !== undefined && mine.body.attestations.length === 0 && theirs.body.attestations.length === 0 && await this.usageDisputeOpen(peer, p)) {
      return reply({ k: 'not-ready', reason: 'a usage dispute in the period is still open here' })
    }
    // Our own tariff versions the initiator's statement does not use yet.
    const ourTariffDocs: Uint8Array[] = []
    if (mine !== undefined) {
      const used = new Set(theirs.body.lines.flatMap(l => Object.values(l.tariffs)))
      for (const id of new Set(mine.body.lines.flatMap(l => Object.entries(l.tariffs).filter(([i]) => i === this.ctx.identity.peerId).map(([, t]) => t)))) {
        if (!used.has(id)) {
          const t = await this.ctx.store.getTariff(id)
          if (t !== undefined) ourTariffDocs.push(t.bytes)
        }
      }
    }
    if (missing.length > 0 || extra.length > 0 || ourTariffDocs.length > 0) return reply({ k: 'need', docs: [...extra, ...ourTariffDocs], missing })
    if (mine === undefined) return reply({ k: 'not-ready', reason: 'nothing to settle here (no attestation, no period fee)' })
    if (docId(mine) !== docId(theirs)) {
      await this.recordDispute(peer, p, mine, theirs)
      return reply({ k: 'dispute', doc: encodeDocument(mine) })
    }
    const full = cosign(this.ctx.identity, theirs)
    if (!full.ok) throw new Error(full.error.message)
    await this.storeStatement(peer, full.value)
    return reply({ k: 'statement', doc: encodeDocument(full.value) })
  }

  // ---- initiator -------------------------------------------------------------------------------

  async settle (peer: string, p: Period): Promise<SettleOutcome> {
    const { ctx } = this
    const border = borderOf(ctx.identity.peerId, peer)
    if ((await ctx.store.getStatement(border, p.start)) !== undefined) return 'settled'
    const ready = await this.ready(peer, p)
    if (!ready.ok) return ready.why === 'before-start' ? 'declined' : 'not-ready'
    let mine: SettlementStatement | undefined
    try {
      mine = await this.compute(peer, p)
    } catch (err) {
      if (err instanceof MissingTariff) { void this.tariffs.sync(peer); return 'not-ready' }
      throw err
    }
    if (mine === undefined) return 'nothing'
    if (mine.body.attestations.length === 0 && await this.usageDisputeOpen(peer, p)) return 'nothing'
    let res: SettleResponse
    try {
      res = decodeFrame(SettleResponse, await ctx.net.request(peer, PROTOCOLS.settle, encodeFrame(SettleRequest, { k: 'statement', doc: encodeDocument(mine) }), {
        maxResponseBytes: MAX_FRAME_BYTES.settle, timeoutMs: 30_000
      }))
    } catch (err) {
      ctx.metrics.exchanges.inc({ protocol: 'settle', result: 'error' })
      ctx.log.debug({ peer: this.border.nameOf(peer), err: (err as Error).message }, 'settle exchange failed; will retry')
      return 'error'
    }
    ctx.metrics.exchanges.inc({ protocol: 'settle', result: res.k })
    switch (res.k) {
      case 'statement': {
        const full = this.check(res.doc, peer, [ctx.identity.peerId, peer])
        if (full.body.period.start !== p.start) throw this.refuse('period-mismatch', 'answer is for another period')
        await this.storeStatement(peer, full)
        return 'settled'
      }
      case 'need': {
        for (const bytes of res.docs) {
          const t = decodeDocument(bytes)
          if (!t.ok) continue
          if (t.value.type === 'tariff') await this.tariffs.ingest(bytes, peer, 'sync')
          else if (t.value.type === 'usage-attestation') await this.border.acceptAttestation(bytes, peer)
        }
        const byId = new Map((await this.attestationsOf(peer, p)).map(a => [a.id, a]))
        for (const id of res.missing) {
          const a = byId.get(id)
          if (a !== undefined) await this.border.deliver(peer, a.doc.body.interval.start)
        }
        return 'retry'
      }
      case 'dispute': {
        const theirs = this.check(res.doc, peer, [peer])
        await this.recordDispute(peer, p, mine, theirs)
        return 'disputed'
      }
      case 'declined':
        return 'declined'
      default:
        return 'not-ready'
    }
  }
}
