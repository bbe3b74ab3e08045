/**
 * From a period's co-signed attestations and the tariff versions in force for each interval, the
 * model's StatementInput. Both sides run exactly this on the same documents, so they compute the
 * same statement byte for byte.
 *
 * - Segments: consecutive intervals under the same pair of tariff versions share a segment.
 * - Each attestation is one interval of its segment, with its own SLA values: the model judges
 *   `window: interval` criteria interval by interval and `window: period` criteria on the period's
 *   worst value, the better direction coming from the criterion's bands.
 * - Period fees are owed for the period regardless of volume or disputed intervals; a period without
 *   any attested interval settles on its period-fee lines alone (`assemblePeriodFees`).
 */
import { computeStatement, resolvePeriodFee, type Measured, type StatementInput, type Statement } from '@splitedge/model'
import type { UsageAttestation } from '@splitedge/wire'
import type { PricingTariff } from '@splitedge/model'

export interface Assembled { input: StatementInput, attestations: string[] }

/** A tariff version in force: its id (named in the statement's lines) and its pricing. */
export interface PricedVersion { id: string, pricing: PricingTariff }

export type TariffLookup = (issuer: string, intervalStart: number) => Promise<PricedVersion | undefined>

export class MissingTariff extends Error {
  constructor (readonly issuer: string, readonly intervalStart: number) {
    super(`no tariff of ${issuer} in force at ${intervalStart}`)
    this.name = 'MissingTariff'
  }
}

/** `_intervalsInPeriod` is kept for callers; period fees no longer depend on it. */
export async function assembleStatement (
  parties: [string, string], _intervalsInPeriod: number, atts: Array<{ id: string, doc: UsageAttestation }>, lookup: TariffLookup
): Promise<StatementInput> {
  const sorted = [...atts].sort((x, y) => x.doc.body.interval.start - y.doc.body.interval.start)
  const segments: StatementInput['segments'] = []
  let lastKey = ''
  for (const { doc } of sorted) {
    const start = doc.body.interval.start
    const [ta, tb] = await Promise.all(parties.map(async p => await lookup(p, start)))
    if (ta === undefined) throw new MissingTariff(parties[0], start)
    if (tb === undefined) throw new MissingTariff(parties[1], start)
    const key = `${ta.id}|${tb.id}`
    if (key !== lastKey) {
      segments.push({ tariffs: { [parties[0]]: { ref: ta.id, pricing: ta.pricing }, [parties[1]]: { ref: tb.id, pricing: tb.pricing } }, intervals: [] })
      lastKey = key
    }
    const measured: Measured = {}
    for (const m of doc.body.metrics) ((measured[m.subject] ??= {})[m.class] ??= {})[m.metric] = m.value
    const usage = doc.body.lines.map(l => ({ class: l.class, from: l.from, to: l.to, volume: l.volume, ...(l.messages !== undefined ? { messages: String(l.messages) } : {}) }))
    segments[segments.length - 1]!.intervals!.push({ usage, measured })
  }
  return { parties, segments, measured: {}, periodFees: true }
}

/**
 * A period with no attested interval (every interval disputed, declined or without traffic) still
 * owes its period fees: a statement of one segment without usage, under both tariffs in force at
 * the period's last interval (`at`). Undefined when either tariff is not in force then, or neither
 * declares a period fee toward the other party; a fee whose terms waive it when idle
 * (`whenIdle: false`) is left out by the model.
 */
export async function assemblePeriodFees (parties: [string, string], at: number, lookup: TariffLookup): Promise<StatementInput | undefined> {
  const [ta, tb] = await Promise.all(parties.map(async p => await lookup(p, at)))
  // Without both tariffs in force nothing was priced in the period (its intervals were declined).
  if (ta === undefined || tb === undefined) return undefined
  if (resolvePeriodFee(ta.pricing, parties[1]) === undefined && resolvePeriodFee(tb.pricing, parties[0]) === undefined) return undefined
  const tariffs = { [parties[0]]: { ref: ta.id, pricing: ta.pricing }, [parties[1]]: { ref: tb.id, pricing: tb.pricing } }
  return { parties, segments: [{ tariffs, intervals: [] }], measured: {}, periodFees: true }
}

export { computeStatement, type Statement }
