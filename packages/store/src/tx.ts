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

  /** `under`: the writes of a group commit prepared before this one, seen as if already written. */
  constructor (private readonly under?: Tx) {}

  async get (sub: Sub, key: string): Promise<Uint8Array | undefined> {
    const local = this.peek(sub, key)
    if (local !== undefined) return local ?? undefined
    return await sub.get(key)
  }

  /** This transaction's own value of a key (null: deleted here), or undefined if it has none. */
  private peek (sub: Sub, key: string): Uint8Array | null | undefined {
    const local = this.overlay.get(sub)?.get(key)
    return local !== undefined ? local : this.under?.peek(sub, key)
  }

  /** Take in the writes of `tx`, prepared on top of this one, so that they commit together. */
  absorb (tx: Tx): void {
    for (const [sub, m] of tx.overlay) for (const [k, v] of m) this.local(sub).set(k, v)
    for (const op of tx.ops) this.ops.push(op)
    this.keyDelta += tx.keyDelta
    this.bytes += tx.bytes
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
