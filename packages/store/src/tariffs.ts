// The tariff book: every tariff version by issuer and seq, and by id.

import { decodeEnvelope, decodeJson, encodeEnvelope, encodeJson } from './codec.js'
import { check } from './errors.js'
import { checkBytes } from './docs-common.js'
import type { Engine, Step } from './engine.js'
import { join, pad, part, under } from './keys.js'
import type { PutResult, TariffRecord } from './types.js'

type TariffMeta = Omit<TariffRecord, 'bytes'>

export class TariffBook {
  constructor (private readonly engine: Engine) {}

  private get subs (): Engine['subs'] { return this.engine.subs }

  /** 'exists' for the same id; 'conflict' when issuer+seq already holds another id (or the id another slot). */
  async putTariff (t: TariffRecord): Promise<PutResult> { return await this.engine.one(this.stepTariff(t)) }

  async getTariff (id: string): Promise<TariffRecord | undefined> {
    this.engine.assertOpen()
    const v = await this.subs.tariffDocs.get(part(id, 'tariff id'))
    if (v === undefined) return undefined
    const { meta, bytes } = decodeEnvelope<TariffMeta>(v)
    return { ...meta, bytes }
  }

  /** The issuer's versions ordered by seq. */
  async tariffsOf (issuer: string): Promise<TariffRecord[]> {
    const out: TariffRecord[] = []
    for await (const v of this.subs.tariffs.values(under(part(issuer, 'issuer')))) {
      const t = await this.getTariff(decodeJson<TariffMeta>(v).id)
      check(t !== undefined, 'corrupt', 'tariff index points at a missing document')
      out.push(t)
    }
    return out
  }

  /** The issuer's highest seq. */
  async latestTariff (issuer: string): Promise<TariffRecord | undefined> {
    return await this.findTariff(issuer, () => true)
  }

  /** The highest seq whose effective time is <= time: the version that applies to an interval starting at `time`. */
  async tariffInForce (issuer: string, time: number): Promise<TariffRecord | undefined> {
    pad(time, 'time')
    return await this.findTariff(issuer, m => m.effective <= time)
  }

  private async findTariff (issuer: string, accept: (m: TariffMeta) => boolean): Promise<TariffRecord | undefined> {
    this.engine.assertOpen()
    for await (const v of this.subs.tariffs.values({ ...under(part(issuer, 'issuer')), reverse: true })) {
      const m = decodeJson<TariffMeta>(v)
      if (accept(m)) return await this.getTariff(m.id)
    }
    return undefined
  }

  stepTariff (t: TariffRecord): Step<PutResult> {
    const meta: TariffMeta = { issuer: part(t.issuer, 'issuer'), seq: t.seq, id: part(t.id, 'tariff id'), effective: t.effective }
    const slot = join(t.issuer, pad(t.seq, 'seq'))
    pad(t.effective, 'effective')
    checkBytes(t.bytes)
    const { tariffs, tariffDocs } = this.subs
    return async (tx) => {
      const byId = await tx.get(tariffDocs, t.id)
      if (byId !== undefined) {
        const m = decodeEnvelope<TariffMeta>(byId).meta
        return m.issuer === t.issuer && m.seq === t.seq ? 'exists' : 'conflict'
      }
      if ((await tx.get(tariffs, slot)) !== undefined) return 'conflict'
      await tx.put(tariffDocs, t.id, encodeEnvelope(meta, t.bytes), true)
      await tx.put(tariffs, slot, encodeJson(meta), true)
      return 'created'
    }
  }
}
