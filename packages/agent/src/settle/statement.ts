/**
 * What a period's statement is made from, and whether it can be made yet: the period is over here
 * and every interval of it final (attested, disputed or skipped), the co-signed attestations, and
 * our statement computed from them and the tariff versions in force, signed by us.
 */
import { decodeDocument, sign, type SettlementStatement, type SettlementStatementBody, type UsageAttestation } from '@splitedge/wire'
import { borderOf } from '@splitedge/store'
import { sortedPair } from '../context.js'
import type { Period } from '../clock/intervals.js'
import { assemblePeriodFees, assembleStatement, computeStatement, type PricedVersion } from './assemble.js'
import type { SettleComponents } from './components.js'

export type Readiness = { ok: true } | { ok: false, why: 'before-start' | 'open' | 'pending' }

export interface HeldAttestation { id: string, bytes: Uint8Array, doc: UsageAttestation }

export class Statements {
  constructor (private readonly c: SettleComponents) {}

  private get me (): string { return this.c.identity.peerId }

  periodLength (): number { return this.c.config.intervalMs * this.c.config.periodIntervals }

  /** Is every interval of the period with `peer` attested, disputed or skipped, and the period over? */
  async ready (peer: string, p: Period): Promise<Readiness> {
    const { border, config } = this.c
    const since = await border.since(peer)
    if (p.end <= since) return { ok: false, why: 'before-start' }
    if (p.end + config.graceMs > this.c.clock.now()) return { ok: false, why: 'open' }
    const upTo = await border.scheduledUpTo(peer)
    if (upTo === undefined || upTo < p.end - config.intervalMs) return { ok: false, why: 'pending' }
    const pending = await border.pending(peer)
    if (pending.some(i => i.start >= Math.max(p.start, since) && i.start < p.end)) return { ok: false, why: 'pending' }
    return { ok: true }
  }

  /**
   * Is a usage dispute about an interval of the period still open? A revision may still attest the
   * interval, and a statement is immutable, so a period without attested intervals waits for it.
   */
  async usageDisputeOpen (peer: string, p: Period): Promise<boolean> {
    const open = await this.c.store.listDisputes(borderOf(this.me, peer), 'open')
    return open.some(d => d.kind === 'usage' && /^[0-9]+$/.test(d.key) && Number(d.key) >= p.start && Number(d.key) < p.end)
  }

  async attestationsOf (peer: string, p: Period): Promise<HeldAttestation[]> {
    const held = await this.c.store.listAttestations(borderOf(this.me, peer), p.start, p.end)
    // DEFECT (simulator only): settle without the period's last attestation.
    const recs = this.c.defects.has('settle-partial') && held.length > 1 ? held.slice(0, -1) : held
    return recs.map(r => {
      const d = decodeDocument(r.bytes, 'usage-attestation')
      if (!d.ok) throw new Error(`stored attestation ${r.id} does not decode`)
      return { id: r.id, bytes: r.bytes, doc: d.value }
    })
  }

  /**
   * Our statement for the period, signed by us, or undefined when there is nothing to settle. A
   * period without attested intervals settles on its period fees alone, under the tariffs in force
   * at its last interval; nothing when no fee is owed. MissingTariff when a version is not held.
   */
  async compute (peer: string, p: Period): Promise<SettlementStatement | undefined> {
    const body = await this.computeBody(peer, p)
    if (body === undefined) return undefined
    const signed = sign(this.c.identity, 'settlement-statement', body)
    if (!signed.ok) throw new Error(`cannot sign statement: ${signed.error.message}`)
    return signed.value
  }

  /** `compute` unsigned: what a responder compares with the initiator's statement before signing anything. */
  async computeBody (peer: string, p: Period): Promise<SettlementStatementBody | undefined> {
    const parties = sortedPair(this.me, peer)
    const atts = await this.attestationsOf(peer, p)
    const lookup = async (issuer: string, t: number): Promise<PricedVersion | undefined> => await this.c.view.inForce(issuer, t)
    const input = atts.length > 0
      ? await assembleStatement(parties, this.c.config.periodIntervals, atts, lookup)
      : await assemblePeriodFees(parties, p.end - this.c.config.intervalMs, lookup)
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
    return body
  }
}
