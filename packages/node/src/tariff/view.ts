/** Decoded, cached read access to the tariff book. */
import { decodeDocument, tariffToPricing, type TariffBody } from '@splitedge/wire'
import type { PricingTariff } from '@splitedge/model'
import type { Store } from '@splitedge/store'

export interface TariffInForce { id: string, issuer: string, seq: number, body: TariffBody, pricing: PricingTariff }

export class TariffView {
  private readonly cache = new Map<string, TariffInForce>()
  constructor (private readonly store: Store) {}

  async byId (id: string): Promise<TariffInForce | undefined> {
    const hit = this.cache.get(id)
    if (hit !== undefined) return hit
    const rec = await this.store.getTariff(id)
    if (rec === undefined) return undefined
    const d = decodeDocument(rec.bytes, 'tariff')
    if (!d.ok) throw new Error(`stored tariff ${id} does not decode: ${d.error.message}`)
    const t = { id, issuer: rec.issuer, seq: rec.seq, body: d.value.body, pricing: tariffToPricing(d.value) }
    if (this.cache.size > 10_000) this.cache.clear()
    this.cache.set(id, t)
    return t
  }

  /** The version of `issuer`'s tariff that applies to an interval starting at `time`. */
  async inForce (issuer: string, time: number): Promise<TariffInForce | undefined> {
    const rec = await this.store.tariffMetaInForce(issuer, time)
    return rec === undefined ? undefined : await this.byId(rec.id)
  }

  async latest (issuer: string): Promise<TariffInForce | undefined> {
    const rec = await this.store.latestTariffMeta(issuer)
    return rec === undefined ? undefined : await this.byId(rec.id)
  }
}
