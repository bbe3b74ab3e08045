/**
 * Clearing receipts into the clearer's double-entry ledger, exactly once. A receipt clears in one
 * durable batch keyed by its id: the remote operator is debited (its share of the local charge
 * plus our margin), the local operator credited; the cleared record, the consent's use and, for a
 * period's first receipt of an operator, that period's batch settlement (batch.ts) go in the same
 * batch.
 */
import { ZERO, add, dec, format, type Dec } from '@splitedge/model'
import { clearingKeys, toMinorUnits, type ClearedRecord, type StoreBatch } from '@splitedge/store'
import { docId, encodeDocument } from '@splitedge/wire'
import { openBatch } from './batch.js'
import { assessClaim, checkSignatures, type Claim, type ClaimRejection, type Clearing } from './claims.js'
import { opAccount, type ClearerParts } from './components.js'
import type { MarginPolicy } from './pricing.js'

export type ClearOutcome =
  | { ok: true, status: 'cleared', record: ClearedRecord }
  | { ok: false, error: ClaimRejection }

export interface ReceiptClearingInit {
  margin: MarginPolicy
  periodMs: number
  graceMs: number
  /** Clock skew allowed on a receipt's interval. */
  clockSkewMs: number
}

export type ReceiptClearingParts = Pick<ClearerParts, 'store' | 'records' | 'clock' | 'log' | 'metrics' | 'view' | 'serial' | 'nameOf' | 'serves'>

/** A claim judged clearable, with what its write needs. */
interface Judged { c: Clearing, consentId: string | undefined, used: Dec }

const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64')
const refuse = (code: ClaimRejection['code'], message: string): { ok: false, error: ClaimRejection } => ({ ok: false, error: { code, message } })

export class ReceiptClearing {
  constructor (private readonly init: ReceiptClearingInit, private readonly c: ReceiptClearingParts) {}

  /** Clear a receipt; one presented again, forged, or not covered by its evidence is refused with a reason. */
  async clear (claim: Claim): Promise<ClearOutcome> {
    return await this.c.serial.run(async () => {
      const out = await this.clearOnce(claim)
      if (!out.ok) {
        this.c.metrics.rejected.inc({ kind: 'receipt', reason: out.error.code })
        this.c.log.info({ reason: out.error.code }, `receipt refused: ${out.error.message}`)
      }
      return out
    })
  }

  private async clearOnce (claim: Claim): Promise<ClearOutcome> {
    const now = this.c.clock.now()
    const judged = await this.judge(claim, now)
    if (!judged.ok) return judged
    const { c, consentId, used } = judged.value
    const periodStart = now - (now % this.init.periodMs)
    const record: ClearedRecord = {
      ...c, time: now, periodStart,
      evidence: claim.evidence.kind,
      reason: claim.evidence.kind === 'dispute' ? claim.evidence.reason : null,
      receiptDoc: b64(encodeDocument(claim.receipt)),
      consentDoc: claim.evidence.kind === 'consent' ? b64(encodeDocument(claim.evidence.consent)) : null
    }
    const batch = this.postings(c, now)
    const { records } = this.c
    batch.put(records.receipts, clearingKeys.receipt(c.receipt), record)
    if (consentId !== undefined) batch.put(records.consents, clearingKeys.consent(consentId), { volume: format(add(used, dec(c.volume))) })
    for (const op of [c.remote, c.local]) {
      if ((await records.batch(op, periodStart)) === undefined) batch.put(records.batches, clearingKeys.batch(op, periodStart), openBatch(op, periodStart, this.init.periodMs, this.init.graceMs))
    }
    const w = await batch.write()
    if (!w.ok) return refuse('replayed', `ledger refused the postings: ${w.results.join(',')}`)
    this.c.metrics.accepted.inc({ kind: 'receipt' })
    this.c.log.info({ receipt: c.receipt, local: this.c.nameOf(c.local), remote: this.c.nameOf(c.remote), charge: c.charge, margin: c.margin, currency: c.currency }, 'receipt cleared')
    return { ok: true, status: 'cleared', record }
  }

  /** Every reason to refuse the claim (signatures, a replay, the evidence, the tariff, the currency), or what clearing it moves. */
  private async judge (claim: Claim, now: number): Promise<{ ok: true, value: Judged } | { ok: false, error: ClaimRejection }> {
    const { records, view } = this.c
    const sig = checkSignatures(claim)
    if (!sig.ok) return sig
    const rid = docId(claim.receipt)
    const held = await records.receipt(rid)
    if (held !== undefined) return refuse('replayed', `receipt ${rid} was already cleared at ${held.time}`)
    const consentId = claim.evidence.kind === 'consent' ? docId(claim.evidence.consent) : undefined
    const usedText = consentId === undefined ? undefined : await records.consentUsed(consentId)
    const used = usedText === undefined ? ZERO : dec(usedText)
    const t = await view.inForce(claim.receipt.body.operator, claim.receipt.body.interval.start)
    const verdict = assessClaim(claim, {
      serves: this.c.serves,
      tariff: t === undefined ? undefined : { id: t.id, pricing: t.pricing },
      consentUsed: used,
      margin: this.init.margin,
      now,
      skewMs: this.init.clockSkewMs
    })
    if (!verdict.ok) return verdict
    const c = verdict.value
    // The remote end pays in the local operator's currency; we only clear within one currency.
    const remoteTariff = await view.latest(c.remote)
    if (remoteTariff !== undefined && remoteTariff.pricing.currency !== c.currency) {
      return refuse('currency-mismatch', `${c.remote} prices in ${remoteTariff.pricing.currency}, the receipt's charge is in ${c.currency}`)
    }
    return { ok: true, value: { c, consentId, used } }
  }

  /** The charge and the margin, both debited to the remote operator. */
  private postings (c: Clearing, now: number): StoreBatch {
    const batch = this.c.store.batch()
      .post({ id: c.receipt, debit: opAccount(c.remote), credit: opAccount(c.local), amount: toMinorUnits(c.charge, c.decimals), currency: c.currency, decimals: c.decimals, ref: `clear ${c.receipt}`, time: now })
    const margin = toMinorUnits(c.margin, c.decimals)
    if (margin > 0n) batch.post({ id: `${c.receipt}:margin`, debit: opAccount(c.remote), credit: 'margin', amount: margin, currency: c.currency, decimals: c.decimals, ref: `margin ${c.receipt}`, time: now })
    return batch
  }

  /** Every receipt cleared, in ledger order. */
  async cleared (): Promise<ClearedRecord[]> {
    const out: ClearedRecord[] = []
    for (const e of await this.c.store.entries()) {
      if (!e.ref.startsWith('clear ')) continue
      const r = await this.c.records.receipt(e.id)
      if (r !== undefined) out.push(r)
    }
    return out
  }
}
