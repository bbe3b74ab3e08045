/**
 * Receipts presented for clearing (paper section 9.2), judged without I/O. A customer presents
 * her operator's signed Receipt with the evidence that the remote end pays: the remote operator's
 * signed Consent covering the receipt, or a dispute under "sender liable, local payment customary"
 * (a receiver refusing to pay for traffic sent to her; the sender's operator is debited). The
 * caller supplies what the check needs: the tariff in force, the consent volume already used.
 */
import type { Refusals } from '@splitedge/wire'
import { ZERO, add, cmp, dec, format, type Dec } from '@splitedge/model'
import { decodeDocument, docId, err, ok, verifyDocument, type Consent, type Receipt, type Result } from '@splitedge/wire'
import { localCharge, marginOn, percentOf, type MarginPolicy, type PricedTariff, type Role } from './pricing.js'

export type Evidence =
  | { kind: 'consent', consent: Consent }
  /** The local end is the receiver and disputes paying for what it was sent: the sender is liable. */
  | { kind: 'dispute', reason: string }

export interface Claim {
  receipt: Receipt
  /** The presenting customer's role in the flow: `src` is the sender, `dst` the receiver. */
  role: Role
  /** PeerId of the remote end's operator, who is to pay. */
  remote: string
  evidence: Evidence
}

export type ClaimCode = Refusals<
  | 'forged-receipt' | 'forged-consent' | 'not-served' | 'same-operator' | 'no-tariff' | 'unknown-class'
  | 'uncovered' | 'outside-window' | 'over-volume' | 'dispute-not-allowed' | 'future-interval' | 'replayed'
  | 'zero-charge' | 'bad-share' | 'currency-mismatch'
>

export interface ClaimRejection { code: ClaimCode, message: string }
const refuse = (code: ClaimCode, message: string): { ok: false, error: ClaimRejection } => err({ code, message })

/** What clearing a receipt moves. Amounts are decimal text at the tariff's decimals. */
export interface Clearing {
  receipt: string
  local: string
  remote: string
  role: Role
  class: string
  volume: string
  /** The local end's full charge at its operator's tariff. */
  localCharge: string
  /** Percent of it the remote end pays. */
  share: string
  /** What the remote operator pays the local one through the clearer. */
  charge: string
  /** The clearer's margin, paid by the remote operator on top. */
  margin: string
  currency: string
  decimals: number
  tariff: string
  /** Id of the consent relied on, or null for a dispute. */
  consent: string | null
}

/** Signature checks alone: is the receipt its operator's, and the consent the remote operator's? */
export function checkSignatures (claim: Claim): Result<true, ClaimRejection> {
  const r = verifyDocument(claim.receipt)
  if (!r.ok) return refuse('forged-receipt', `receipt: ${r.error.message}`)
  if (claim.evidence.kind === 'consent') {
    const c = verifyDocument(claim.evidence.consent)
    if (!c.ok) return refuse('forged-consent', `consent: ${c.error.message}`)
  }
  return ok(true)
}

/** Does `consent` (by `remote`'s operator) cover `receipt`, given volume already cleared under it? */
export function checkCoverage (receipt: Receipt, consent: Consent, remote: string, used: Dec): Result<true, ClaimRejection> {
  const r = receipt.body
  const c = consent.body
  if (c.operator !== remote) return refuse('uncovered', `the consent is ${c.operator}'s, not the remote operator ${remote}'s`)
  if (c.src !== r.src || c.dst !== r.dst) return refuse('uncovered', `the consent covers ${c.src} -> ${c.dst}, the receipt is for ${r.src} -> ${r.dst}`)
  if (c.class !== r.class) return refuse('uncovered', `the consent covers class ${c.class}, the receipt is for ${r.class}`)
  const end = r.interval.start + r.interval.length
  if (r.interval.start < c.window.start || end > c.window.end) {
    return refuse('outside-window', `receipt interval ${r.interval.start}-${end} is outside the consent window ${c.window.start}-${c.window.end}`)
  }
  const after = add(used, dec(r.volume))
  if (cmp(after, dec(c.maxVolume)) > 0) {
    return refuse('over-volume', `the consent covers ${c.maxVolume}; ${format(used)} already cleared, this receipt adds ${r.volume}`)
  }
  return ok(true)
}

export interface AssessContext {
  /** Does the clearer clear for this operator? */
  serves: (operator: string) => boolean
  /** The local operator's tariff in force at the receipt's interval start. */
  tariff: PricedTariff | undefined
  /** Volume already cleared under the claim's consent (zero for none). */
  consentUsed: Dec
  margin: MarginPolicy
  now: number
  skewMs: number
}

/** Judge a claim: every reason to refuse it, first one found, or what clearing it moves. */
export function assessClaim (claim: Claim, ctx: AssessContext): Result<Clearing, ClaimRejection> {
  const sig = checkSignatures(claim)
  if (!sig.ok) return sig
  const r = claim.receipt.body
  const local = r.operator
  if (claim.remote === local) return refuse('same-operator', 'the remote operator is the receipt\'s own operator')
  if (!ctx.serves(local)) return refuse('not-served', `this clearer does not clear for ${local}`)
  if (!ctx.serves(claim.remote)) return refuse('not-served', `this clearer does not clear for ${claim.remote}`)
  if (r.interval.start + r.interval.length > ctx.now + ctx.skewMs) return refuse('future-interval', 'the receipt\'s interval has not ended')
  let share = dec('100')
  let consent: string | null = null
  if (claim.evidence.kind === 'consent') {
    const cov = checkCoverage(claim.receipt, claim.evidence.consent, claim.remote, ctx.consentUsed)
    if (!cov.ok) return cov
    share = dec(claim.evidence.consent.body.share)
    if (cmp(share, ZERO) <= 0 || cmp(share, dec('100')) > 0) return refuse('bad-share', `consent share ${claim.evidence.consent.body.share} is not in (0, 100]`)
    consent = docId(claim.evidence.consent)
  } else if (claim.role !== 'receiver') {
    return refuse('dispute-not-allowed', 'only a receiver may dispute paying: a sender is liable for what it sends')
  }
  if (ctx.tariff === undefined) return refuse('no-tariff', `no tariff of ${local} in force at ${r.interval.start}`)
  const p = ctx.tariff.pricing
  const full = localCharge(p, r.class, claim.role, dec(r.volume))
  if (!full.ok) return refuse(full.error.code === 'unknown-class' ? 'unknown-class' : 'no-tariff', full.error.message)
  const charge = percentOf(full.value, share, p.decimals)
  if (cmp(charge, ZERO) <= 0) return refuse('zero-charge', 'the receipt carries no charge to clear')
  return ok({
    receipt: docId(claim.receipt),
    local,
    remote: claim.remote,
    role: claim.role,
    class: r.class,
    volume: r.volume,
    localCharge: format(full.value),
    share: format(share),
    charge: format(charge),
    margin: format(marginOn(charge, ctx.margin, p.decimals)),
    currency: p.currency,
    decimals: p.decimals,
    tariff: ctx.tariff.id,
    consent
  })
}

/** Decode a presented claim's documents into a Claim, or say which is bad. */
export function claimFrom (input: { receipt: Uint8Array, role: Role, remote: string, consent?: Uint8Array, dispute?: string }): Result<Claim, ClaimRejection> {
  const r = decodeDocument(input.receipt, 'receipt')
  if (!r.ok) return refuse('forged-receipt', `receipt: ${r.error.message}`)
  const receipt: Receipt = r.value
  if (input.consent !== undefined) {
    const c = decodeDocument(input.consent, 'consent')
    if (!c.ok) return refuse('forged-consent', `consent: ${c.error.message}`)
    return ok({ receipt, role: input.role, remote: input.remote, evidence: { kind: 'consent', consent: c.value } })
  }
  return ok({ receipt, role: input.role, remote: input.remote, evidence: { kind: 'dispute', reason: input.dispute ?? 'receiver disputes paying' } })
}
