// Pending work: unfinished exchanges a restarted agent resumes, by kind and key.

import { decodeJson, encodeJson, type Json } from './codec.js'
import type { Engine, Step } from './engine.js'
import { join, part, under } from './keys.js'
import type { PendingRecord } from './types.js'

const pendingKey = (kind: string, key: string): string => join(part(kind, 'pending kind'), part(key, 'pending key'))

export class PendingWork {
  constructor (private readonly engine: Engine) {}

  private get subs (): Engine['subs'] { return this.engine.subs }

  /** Records (or replaces) an unfinished exchange so a restarted agent can resume it. */
  async putPending (kind: string, key: string, value: Json): Promise<void> { await this.engine.one(this.stepPutPending(kind, key, value)) }

  async deletePending (kind: string, key: string): Promise<void> { await this.engine.one(this.stepDeletePending(kind, key)) }

  async getPending (kind: string, key: string): Promise<Json | undefined> {
    this.engine.assertOpen()
    const v = await this.subs.pending.get(pendingKey(kind, key))
    return v === undefined ? undefined : decodeJson<Json>(v)
  }

  /** Unfinished exchanges of one kind, ordered by key. */
  async listPending (kind: string): Promise<PendingRecord[]> {
    this.engine.assertOpen()
    const out: PendingRecord[] = []
    for await (const [k, v] of this.subs.pending.iterator(under(part(kind, 'pending kind')))) {
      out.push({ kind, key: k.slice(kind.length + 1), value: decodeJson<Json>(v) })
    }
    return out
  }

  stepPutPending (kind: string, key: string, value: Json): Step<'done'> {
    const k = pendingKey(kind, key)
    const v = encodeJson(value)
    const { pending } = this.subs
    return async (tx) => { await tx.put(pending, k, v); return 'done' }
  }

  stepDeletePending (kind: string, key: string): Step<'done'> {
    const k = pendingKey(kind, key)
    const { pending } = this.subs
    return async (tx) => { await tx.del(pending, k); return 'done' }
  }
}
