// Disputes per border: usage (an interval) or settlement (a period), open or resolved, with the
// earlier states of a dispute that was reopened or re-detailed.

import { decodeJson, encodeJson, type Json } from './codec.js'
import type { Engine, Step } from './engine.js'
import { check } from './errors.js'
import { border as checkBorder, join, pad, part, under } from './keys.js'
import type { DisputeInput, DisputeRecord, DisputeResult, ResolveInput, ResolveResult, UpdateDisputeResult } from './types.js'

function disputeKey (kind: string, border: string, key: string): string {
  check(kind === 'usage' || kind === 'settlement', 'invalid-argument', `dispute kind must be usage or settlement, got ${kind}`)
  return join(checkBorder(border), kind, part(key, 'dispute key'))
}

/** A stored dispute state (its history left out) as the JSON it was stored as. */
function stateOf (d: DisputeRecord): Json {
  const out: { [key: string]: Json } = {}
  for (const [k, v] of Object.entries(d)) if (k !== 'history' && v !== undefined) out[k] = v
  return out
}

const opened = (d: DisputeInput, history?: Json[]): DisputeRecord => ({
  kind: d.kind, border: d.border, key: d.key, detail: d.detail, status: 'open', opened: d.time, ...(history !== undefined ? { history } : {})
})

export class Disputes {
  constructor (private readonly engine: Engine) {}

  private get subs (): Engine['subs'] { return this.engine.subs }

  /** Records an open dispute; 'exists' if this kind+border+key is already recorded (first detail kept). */
  async putDispute (d: DisputeInput): Promise<DisputeResult> { return await this.engine.one(this.stepDispute(d)) }

  async resolveDispute (r: ResolveInput): Promise<ResolveResult> { return await this.engine.one(this.stepResolve(r)) }

  async getDispute (kind: DisputeInput['kind'], border: string, key: string): Promise<DisputeRecord | undefined> {
    this.engine.assertOpen()
    const v = await this.subs.disputes.get(disputeKey(kind, border, key))
    return v === undefined ? undefined : decodeJson<DisputeRecord>(v)
  }

  /** Disputes of one border (or all), optionally only open or only resolved ones. */
  async listDisputes (border?: string, status?: DisputeRecord['status']): Promise<DisputeRecord[]> {
    this.engine.assertOpen()
    const range = border === undefined ? {} : under(checkBorder(border))
    const out: DisputeRecord[] = []
    for await (const v of this.subs.disputes.values(range)) {
      const d = decodeJson<DisputeRecord>(v)
      if (status === undefined || d.status === status) out.push(d)
    }
    return out
  }

  /**
   * Records a dispute, or brings a recorded one up to date: reopens a resolved one, or replaces an
   * open one's detail (e.g. new differences after a revised report). The previous state is kept in
   * the record's history. The same open detail again answers 'exists' and writes nothing.
   */
  async updateDispute (d: DisputeInput): Promise<UpdateDisputeResult> { return await this.engine.one(this.stepUpdateDispute(d)) }

  stepDispute (d: DisputeInput): Step<DisputeResult> {
    const key = disputeKey(d.kind, d.border, d.key)
    pad(d.time, 'time')
    const value = encodeJson(opened(d))
    const { disputes } = this.subs
    return async (tx) => {
      if ((await tx.get(disputes, key)) !== undefined) return 'exists'
      await tx.put(disputes, key, value, true)
      return 'created'
    }
  }

  stepUpdateDispute (d: DisputeInput): Step<UpdateDisputeResult> {
    const key = disputeKey(d.kind, d.border, d.key)
    pad(d.time, 'time')
    const { disputes } = this.subs
    return async (tx) => {
      const prev = await tx.get(disputes, key)
      if (prev === undefined) {
        await tx.put(disputes, key, encodeJson(opened(d)), true)
        return 'created'
      }
      const old = decodeJson<DisputeRecord>(prev)
      if (old.status === 'open' && JSON.stringify(old.detail) === JSON.stringify(d.detail)) return 'exists'
      await tx.put(disputes, key, encodeJson(opened(d, [...(old.history ?? []), stateOf(old)])))
      return 'updated'
    }
  }

  stepResolve (r: ResolveInput): Step<ResolveResult> {
    const key = disputeKey(r.kind, r.border, r.key)
    pad(r.time, 'time')
    const { disputes } = this.subs
    return async (tx) => {
      const prev = await tx.get(disputes, key)
      if (prev === undefined) return 'not-found'
      const d = decodeJson<DisputeRecord>(prev)
      if (d.status === 'resolved') return 'already-resolved'
      await tx.put(disputes, key, encodeJson({ ...d, status: 'resolved', resolution: r.resolution, resolved: r.time }))
      return 'resolved'
    }
  }
}
