/** Our own tariff's next version: signed from the last one we hold, or none when nothing changed. */
import { createHash } from 'node:crypto'
import { decodeDocument, docId, encodeDocument, sign, type Identity, type TariffBody } from '@splitedge/wire'
import type { PricingTariff } from '@splitedge/model'
import type { TariffRecord } from '@splitedge/store'

/** A version that cannot be signed: the pricing breaks a wire rule (`path` names the field). */
export class TariffSignError extends Error {
  constructor (readonly path: string | undefined, message: string) { super(message) }
}

export interface PublishResult { id: string, seq: number, status: 'published' | 'unchanged' }

export type NextVersion =
  | { kind: 'unchanged', id: string, seq: number }
  | { kind: 'new', body: TariffBody, id: string, bytes: Uint8Array }

/**
 * The version after `last` for `pricing`. Unchanged pricing and notice (and no `effective` asked
 * for) make none. `effective` defaults to the earliest the notice period allows: the longer of
 * this version's notice and the last one's.
 */
export function nextVersion (identity: Identity, last: TariffRecord | undefined, pricing: PricingTariff, noticeMs: number, effective: number | undefined, now: number): NextVersion {
  let lastBody: TariffBody | undefined
  if (last !== undefined) {
    const d = decodeDocument(last.bytes, 'tariff')
    if (!d.ok) throw new Error(`own tariff ${last.id} in the store does not decode: ${d.error.message}`)
    lastBody = d.value.body
    if (fingerprint(lastBody.pricing) === fingerprint(pricing) && lastBody.noticeMs === noticeMs && effective === undefined) {
      return { kind: 'unchanged', id: last.id, seq: last.seq }
    }
  }
  const notice = Math.max(noticeMs, lastBody?.noticeMs ?? 0)
  const body: TariffBody = {
    issuer: identity.peerId,
    seq: last === undefined ? 1 : last.seq + 1,
    previous: last?.id ?? null,
    published: now,
    effective: effective ?? now + notice,
    noticeMs,
    pricing
  }
  const signed = sign(identity, 'tariff', body)
  if (!signed.ok) throw new TariffSignError(signed.error.path, signed.error.message)
  return { kind: 'new', body, id: docId(signed.value), bytes: encodeDocument(signed.value) }
}

/** Stable digest of pricing content, to tell whether a tariff changed. */
export function fingerprint (p: unknown): string {
  const canon = (v: unknown): unknown => Array.isArray(v)
    ? v.map(canon)
    : v !== null && typeof v === 'object'
      ? Object.fromEntries(Object.keys(v).sort().map(k => [k, canon((v as Record<string, unknown>)[k])]))
      : v
  return createHash('sha256').update(JSON.stringify(canon(p))).digest('hex')
}
