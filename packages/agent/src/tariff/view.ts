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

  /**
   * Keep in-force lookups in memory (a store scan each cost about six per border-interval),
   * forgetting an issuer's whenever `tariffs` stores a version of it. Only for a view whose store
   * gets tariffs through `tariffs` alone.
   */
  follow (tariffs: { onStored: (listener: (issuer: string) => void) => void }): void {
    this.inForceIds = new Map()
    tariffs.onStored((issuer) => { this.generation++; this.inForceIds?.delete(issuer) })
  }

  private inForceIds: Map<string, Map<number, string | null>> | undefined
  private generation = 0

  /** The version of `issuer`'s tariff that applies to an interval starting at `time`. */
  async inForce (issuer: string, time: number): Promise<TariffInForce | undefined> {
    const held = this.inForceIds?.get(issuer)?.get(time)
    if (held !== undefined) return held === null ? undefined : await this.byId(held)
    const generation = this.generation
    const rec = await this.store.tariffInForce(issuer, time)
    // Not kept if a version was stored meanwhile: the answer may predate it.
    if (this.inForceIds !== undefined && generation === this.generation) {
      if (this.inForceIds.size > 100_000) this.inForceIds.clear()
      let times = this.inForceIds.get(issuer)
      if (times === undefined || times.size > 1024) { times = new Map(); this.inForceIds.set(issuer, times) }
      times.set(time, rec?.id ?? null)
    }
    return rec === undefined ? undefined : await this.byId(rec.id)
  }

  async latest (issuer: string): Promise<TariffInForce | undefined> {
    const rec = await this.store.latestTariff(issuer)
    return rec === undefined ? undefined : await this.byId(rec.id)
  }
}
