// A write transaction: point reads see the transaction's own earlier writes, and every write
// is collected into one batch that the store commits atomically (or drops, if any step failed).

import type { AbstractBatchOperation, AbstractLevel, AbstractSublevel } from 'abstract-level'
import { utf8Length } from './codec.js'

// The backend's storage format differs (classic-level, memory-level, ...); we only use bytes.
export type AnyLevel = AbstractLevel<any, any, any>
export type Sub = AbstractSublevel<AnyLevel, any, string, Uint8Array>

export class Tx {
  readonly ops: Array<AbstractBatchOperation<AnyLevel, string, Uint8Array>> = []
  /** Net change of the number of keys if this transaction commits. */
  keyDelta = 0
  bytes = 0
  private readonly overlay = new Map<Sub, Map<string, Uint8Array | null>>()
  /** The committed values this transaction read (the store is locked: they stay committed). */
  private readonly read = new Map<Sub, Map<string, Uint8Array | undefined>>()

  async get (sub: Sub, key: string): Promise<Uint8Array | undefined> {
    const local = this.overlay.get(sub)?.get(key)
    if (local !== undefined) return local ?? undefined
    const v = await sub.get(key)
    this.remember(sub).set(key, v)
    return v
  }

  /** The committed values of `keys` (this transaction's own writes not seen), read once. */
  async committed (sub: Sub, keys: string[]): Promise<Array<Uint8Array | undefined>> {
    const known = this.remember(sub)
    const missing = keys.filter(k => !known.has(k))
    if (missing.length > 0) (await sub.getMany(missing)).forEach((v, i) => known.set(missing[i] ?? '', v))
    return keys.map(k => known.get(k))
  }

  private remember (sub: Sub): Map<string, Uint8Array | undefined> {
    let m = this.read.get(sub)
    if (m === undefined) {
      m = new Map()
      this.read.set(sub, m)
    }
    return m
  }

  /** `fresh` skips the existence read when the caller knows the key is new. */
  async put (sub: Sub, key: string, value: Uint8Array, fresh = false): Promise<void> {
    if (fresh || (await this.get(sub, key)) === undefined) this.keyDelta++
    this.local(sub).set(key, value)
    this.ops.push({ type: 'put', sublevel: sub, key, value })
    this.bytes += utf8Length(sub.prefix) + utf8Length(key) + value.length
  }

  async del (sub: Sub, key: string): Promise<void> {
    if ((await this.get(sub, key)) !== undefined) this.keyDelta--
    this.local(sub).set(key, null)
    this.ops.push({ type: 'del', sublevel: sub, key })
  }

  private local (sub: Sub): Map<string, Uint8Array | null> {
    let m = this.overlay.get(sub)
    if (m === undefined) {
      m = new Map()
      this.overlay.set(sub, m)
    }
    return m
  }
}
