/**
 * From a period's co-signed attestations and the tariff versions in force for each interval, the
 * model's StatementInput. Both sides run exactly this on the same documents, so they compute the
 * same statement byte for byte.
 *
 * - Segments: consecutive intervals under the same pair of tariff versions share a segment.
 * - SLA: for each (network, class, metric), the period's value is the worst attested one (the
 *   highest delay or loss, the lowest availability or throughput).
 * - Period fees are charged only for a full period: every interval of the period attested.
 */
import { cmp, dec, computeStatement, type StatementInput, type Statement } from '@splitedge/model'
import type { UsageAttestation } from '@splitedge/wire'
import { higherIsBetter } from '../border/reconcile.js'
import type { TariffInForce } from '../tariff/view.js'

export interface Assembled { input: StatementInput, attestations: string[] }

export type TariffLookup = (issuer: string, intervalStart: number) => Promise<TariffInForce | undefined>

export class MissingTariff extends Error {
  constructor (readonly issuer: string, readonly intervalStart: number) {
    super(`no tariff of ${issuer} in force at ${intervalStart}`)
    this.name = 'MissingTariff'
  }
}

export async function assembleStatement (
  parties: [string, string], intervalsInPeriod: number, atts: Array<{ id: string, doc: UsageAttestation }>, lookup: TariffLookup
): Promise<StatementInput> {
  const sorted = [...atts].sort((x, y) => x.doc.body.interval.start - y.doc.body.interval.start)
  const segments: StatementInput['segments'] = []
  let lastKey = ''
  const measured: StatementInput['measured'] = {}
  for (const { doc } of sorted) {
    const start = doc.body.interval.start
    const [ta, tb] = await Promise.all(parties.map(async p => await lookup(p, start)))
    if (ta === undefined) throw new MissingTariff(parties[0], start)
    if (tb === undefined) throw new MissingTariff(parties[1], start)
    const key = `${ta.id}|${tb.id}`
    if (key !== lastKey) {
      segments.push({ tariffs: { [parties[0]]: { ref: ta.id, pricing: ta.pricing }, [parties[1]]: { ref: tb.id, pricing: tb.pricing } }, usage: [] })
      lastKey = key
    }
    const seg = segments[segments.length - 1] as StatementInput['segments'][number]
    for (const l of doc.body.lines) seg.usage.push({ class: l.class, from: l.from, to: l.to, volume: l.volume, ...(l.messages !== undefined ? { messages: String(l.messages) } : {}) })
    for (const m of doc.body.metrics) {
      const byClass = (measured[m.subject] ??= {})
      const byMetric = (byClass[m.class] ??= {})
      const prev = byMetric[m.metric]
      if (prev === undefined) { byMetric[m.metric] = m.value; continue }
      const c = cmp(dec(m.value), dec(prev))
      if (higherIsBetter(m.metric) ? c < 0 : c > 0) byMetric[m.metric] = m.value
    }
  }
  return { parties, segments, measured, periodFees: sorted.length === intervalsInPeriod }
}

export { computeStatement, type Statement }
