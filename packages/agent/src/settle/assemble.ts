/**
 * From a period's co-signed attestations and the tariff versions in force for each interval, the
 * model's StatementInput. Both sides run exactly this on the same documents, so they compute the
 * same statement byte for byte.
 *
 * - Segments: consecutive intervals under the same pair of tariff versions share a segment.
 * - Each attestation is one interval of its segment, with its own SLA values: the model judges
 *   `window: interval` criteria interval by interval and `window: period` criteria on the period's
 *   worst value, the better direction coming from the criterion's bands.
 * - Period fees are owed for the period regardless of volume or disputed intervals.
 */
import { computeStatement, type Measured, type StatementInput, type Statement } from '@splitedge/model'
import type { UsageAttestation } from '@splitedge/wire'
import type { TariffInForce } from '../tariff/view.js'

export interface Assembled { input: StatementInput, attestations: string[] }

export type TariffLookup = (issuer: string, intervalStart: number) => Promise<TariffInForce | undefined>

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

export { computeStatement, type Statement }
