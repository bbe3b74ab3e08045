/**
 * Acceptance rules beyond the signature (docs/protocol.md). Pure: the receiver's state and
 * the current time are arguments, and each refusal is a result code a validator can log and count.
 */
import { docId } from './canonical.js'
import type { Quote, Tariff, UsageAttestation } from './documents.js'

export type RuleCode =
  /** Tariff sequence not above the last accepted from its issuer. */
  | 'stale-sequence'
  /** The very version already accepted (same id): ignore rather than punish. */
  | 'duplicate'
  /** `previous` is not the id of the last accepted version. */
  | 'previous-mismatch'
  /** Effective time less than the notice period after publication. */
  | 'inside-notice'
  /** A publication or issue time later than now plus the allowed clock skew. */
  | 'future-published'
  /** A usage interval that has not ended yet (beyond the allowed clock skew). */
  | 'future-interval'
  /** An attestation or statement not between exactly this border's two agents. */
  | 'wrong-parties'
  /** A tariff whose issuer is not the issuer of the topic it arrived on. */
  | 'wrong-issuer'
  /** A quote past its expiry. */
  | 'expired'

export type Verdict = { readonly ok: true } | { readonly ok: false, readonly reason: RuleCode, readonly message: string }

const ACCEPT: Verdict = Object.freeze({ ok: true })
const refuse = (reason: RuleCode, message: string): Verdict => ({ ok: false, reason, message })

/** Default clock-skew allowance between agents: 30 s. */
export const DEFAULT_SKEW_MS = 30_000

/** What a receiver remembers of an issuer's last accepted tariff. */
export interface AcceptedTariff {
  readonly seq: number
  /** Its document id (`docId`). */
  readonly id: string
  /** Its notice period: a successor may not shorten the notice it owes. */
  readonly noticeMs?: number
}

/**
 * May `next` succeed `last` (undefined: nothing accepted from this issuer yet)?
 * The notice applied is the longer of the new version's and the last accepted one's, so an
 * issuer cannot escape its notice period by announcing a shorter one.
 */
export function checkTariffSuccession (
  last: AcceptedTariff | undefined, next: Tariff, now: number, skewMs: number = DEFAULT_SKEW_MS
): Verdict {
  const b = next.body
  if (last !== undefined) {
    if (b.seq === last.seq && docId(next) === last.id) return refuse('duplicate', `tariff ${b.seq} already accepted`)
    if (b.seq <= last.seq) return refuse('stale-sequence', `sequence ${b.seq} is not above ${last.seq}`)
    if (b.previous !== last.id) return refuse('previous-mismatch', `previous ${String(b.previous)} is not the last accepted ${last.id}`)
  }
  if (b.published > now + skewMs) return refuse('future-published', `published ${b.published} is after now ${now} + skew ${skewMs}`)
  const notice = Math.max(b.noticeMs, last?.noticeMs ?? 0)
  if (b.effective < b.published + notice) {
    return refuse('inside-notice', `effective ${b.effective} is inside the notice period of ${notice} ms after ${b.published}`)
  }
  return ACCEPT
}

/** A tariff on topic `/splitedge/tariff/1/<issuer>` must be that issuer's. */
export function checkTopicIssuer (tariff: Tariff, topicIssuer: string): Verdict {
  return tariff.body.issuer === topicIssuer
    ? ACCEPT
    : refuse('wrong-issuer', `tariff of ${tariff.body.issuer} on the topic of ${topicIssuer}`)
}

/** A report's interval must have ended (give or take `skewMs`) by `now`. */
export function checkReportTime (interval: { start: number, length: number }, now: number, skewMs: number = DEFAULT_SKEW_MS): Verdict {
  const end = interval.start + interval.length
  return end <= now + skewMs
    ? ACCEPT
    : refuse('future-interval', `interval ends at ${end}, after now ${now} + skew ${skewMs}`)
}

/**
 * An attestation (or statement) for `border` must name exactly that border's two agents and be
 * signed by exactly them. `border` may be given in either order.
 */
export function checkAttestationParties (
  att: Pick<UsageAttestation, 'body' | 'sigs'>, border: readonly [string, string]
): Verdict {
  const want = [...border].sort()
  const got = att.body.border
  if (got[0] !== want[0] || got[1] !== want[1]) {
    return refuse('wrong-parties', `border ${got.join('/')} is not ${want.join('/')}`)
  }
  const signers = att.sigs.map(s => s.signer).sort()
  if (signers.length !== 2 || signers[0] !== want[0] || signers[1] !== want[1]) {
    return refuse('wrong-parties', `signed by ${signers.join(', ') || 'nobody'}, not by both of ${want.join('/')}`)
  }
  return ACCEPT
}

/** A quote may be acted on only before it expires. */
export function checkQuoteValid (quote: Quote, now: number, skewMs: number = DEFAULT_SKEW_MS): Verdict {
  if (quote.body.issued > now + skewMs) return refuse('future-published', `issued ${quote.body.issued} is after now ${now} + skew ${skewMs}`)
  return now < quote.body.expires ? ACCEPT : refuse('expired', `quote expired at ${quote.body.expires}`)
}
