// The tariff book: every tariff version by issuer and seq, and by id.

import { decodeEnvelope, decodeJson, encodeEnvelope, encodeJson } from './codec.js'
import { check } from './errors.js'
import { checkBytes } from './docs-common.js'
import type { Engine, Step } from './engine.js'
import { join, pad, part, under } from './keys.js'
import type { PutResult, TariffRecord } from './types.js'

/** A tariff version without its document: issuer, seq, id and effective time. */
export type TariffMeta = Omit<TariffRecord, 'bytes'>

// Issuers whose versions are kept in memory: an agent follows its neighbours and a clearer the
// networks it quotes; past this many the index starts over rather than grow without bound.
const MAX_INDEXED_ISSUERS = 200_000

export class TariffBook {
  /**
   * Each issuer's versions by seq, read once from the store and forgotten when a batch that adds
   * one of its versions commits: every border-interval asks which version is in force, several
   * times, and a store scan each time was a large part of an agent's work.
   */
  private readonly versions = new Map<string, readonly TariffMeta[]>()
  /** Bumped by every commit that adds a version: a scan that overlapped one is not kept. */
  private generation = 0

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
    for (const m of await this.versionsOf(issuer)) out.push(await this.record(m) as TariffRecord)
    return out
  }

  /** The issuer's highest seq. */
  async latestTariff (issuer: string): Promise<TariffRecord | undefined> {
    return await this.record(await this.latestTariffMeta(issuer))
  }

  /** The highest seq whose effective time is <= time: the version that applies to an interval starting at `time`. */
  async tariffInForce (issuer: string, time: number): Promise<TariffRecord | undefined> {
    return await this.record(await this.tariffMetaInForce(issuer, time))
  }

  /** latestTariff without the document (no read beyond the issuer's index). */
  async latestTariffMeta (issuer: string): Promise<TariffMeta | undefined> {
    const all = await this.versionsOf(issuer)
    return all[all.length - 1]
  }

  /** tariffInForce without the document. */
  async tariffMetaInForce (issuer: string, time: number): Promise<TariffMeta | undefined> {
    pad(time, 'time')
    const all = await this.versionsOf(issuer)
    for (let i = all.length - 1; i >= 0; i--) {
      const m = all[i] as TariffMeta
      if (m.effective <= time) return m
    }
    return undefined
  }

  private async record (m: TariffMeta | undefined): Promise<TariffRecord | undefined> {
    if (m === undefined) return undefined
    const t = await this.getTariff(m.id)
    check(t !== undefined, 'corrupt', 'tariff index points at a missing document')
    return t
  }

  /** The issuer's versions ordered by seq, from memory when held. */
  private async versionsOf (issuer: string): Promise<readonly TariffMeta[]> {
    this.engine.assertOpen()
    const held = this.versions.get(issuer)
    if (held !== undefined) return held
    const generation = this.generation
    const out: TariffMeta[] = []
    for await (const v of this.subs.tariffs.values(under(part(issuer, 'issuer')))) out.push(Object.freeze(decodeJson<TariffMeta>(v)))
    Object.freeze(out)
    // A version committed while we read may be missing from what we read: not kept then.
    if (generation === this.generation) {
      if (this.versions.size >= MAX_INDEXED_ISSUERS) this.versions.clear()
      this.versions.set(issuer, out)
    }
    return out
  }

  /** A version of `issuer` was committed: its list is read again next time. */
  private added (issuer: string): void {
    this.generation++
    this.versions.delete(issuer)
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
      tx.onCommit.push(() => this.added(t.issuer))
      return 'created'
    }
  }
}
