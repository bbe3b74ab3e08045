/** The signed documents the baselines exchange, built exactly as the agent builds them. */
import { syntheticUsage } from '@splitedge/agent'
import { encodeDocument, sign, type Identity, type TariffBody, type UsageReportBody } from '@splitedge/wire'
import { CLASSES, MEAN_VOLUME, NOISE, pricingOf } from './cycle.js'

export class SimError extends Error {
  constructor (readonly code: 'sign' | 'protocol', message: string) { super(message); this.name = 'SimError' }
}

/** Agent i's first tariff, effective at once. */
export function tariffBytes (identity: Identity, i: number, now: number): Uint8Array {
  const body: TariffBody = { issuer: identity.peerId, seq: 1, previous: null, published: now, effective: now, noticeMs: 0, pricing: pricingOf(i) }
  const signed = sign(identity, 'tariff', body)
  if (!signed.ok) throw new SimError('sign', signed.error.message)
  return encodeDocument(signed.value)
}

/** `identity`'s signed report of its border with `peer` for the interval at `start` (synthetic usage, as the agents measure it). */
export function reportBytes (identity: Identity, peer: string, start: number, intervalMs: number, seed: string): Uint8Array {
  const me = identity.peerId
  const border: [string, string] = me < peer ? [me, peer] : [peer, me]
  const lines = syntheticUsage({ seed, classes: [...CLASSES], meanVolume: MEAN_VOLUME, noise: NOISE }, me, peer, start)
  const body: UsageReportBody = { border, reporter: me, interval: { start, length: intervalMs }, lines: lines.map(l => ({ class: l.class, from: l.from, to: l.to, volume: l.volume })), metrics: [] }
  const signed = sign(identity, 'usage-report', body)
  if (!signed.ok) throw new SimError('sign', signed.error.message)
  return encodeDocument(signed.value)
}
