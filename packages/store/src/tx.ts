// A write transaction: point reads see the transaction's own earlier writes, and every write
// is collected into one batch that the store commits atomically (or drops, if any step failed).

import { AbstractSublevel, type AbstractBatchOperation, type AbstractLevel } from 'abstract-level'
import { utf8Length } from './codec.js'

// The backend's storage format differs (classic-level, memory-level, ...); we only use bytes.
export type AnyLevel = AbstractLevel<any, any, any>

export interface KeyRange { gt?: string, gte?: string, lt?: string, lte?: string, reverse?: boolean, limit?: number }

/** One record kind's keys: an abstract-level sublevel, or a PrefixSub of the root (openStore's `prefixed`). */
export interface Sub {
  readonly prefix: string
  get: (key: string) => Promise<Uint8Array | undefined>
  getMany: (keys: string[]) => Promise<Array<Uint8Array | undefined>>
  keys: (range?: KeyRange) => AsyncIterable<string>
  values: (range?: KeyRange) => AsyncIterable<Uint8Array>
  iterator: (range?: KeyRange) => AsyncIterable<[string, Uint8Array]>
  /** For a view of another Sub (a GroupSub, group.ts): the Sub its writes go to. */
  readonly base?: Sub
}

const ENC = { keyEncoding: 'utf8', valueEncoding: 'view' } as const

/**
 * A record kind as the key prefix `!name!` of the root database: the keys a sublevel of that name
 * writes, without a sublevel object (several KB each, per kind and store: memory per agent when a
 * process holds thousands of stores, as the simulator does).
 */
export class PrefixSub implements Sub {
  readonly prefix: string
  private readonly end: string
  constructor (readonly db: AnyLevel, name: string) {
    this.prefix = `!${name}!`
    this.end = `!${name}"`
  }

  async get (key: string): Promise<Uint8Array | undefined> { return await this.db.get(this.prefix + key, ENC) }
  async getMany (keys: string[]): Promise<Array<Uint8Array | undefined>> { return await this.db.getMany(keys.map(k => this.prefix + k), ENC) }

  private range (r: KeyRange = {}): KeyRange & typeof ENC {
    const p = this.prefix
    const out: KeyRange & typeof ENC = { ...ENC }
    if (r.gt !== undefined) out.gt = p + r.gt
    else out.gte = p + (r.gte ?? '')
    if (r.lt !== undefined) out.lt = p + r.lt
    else if (r.lte !== undefined) out.lte = p + r.lte
    else out.lt = this.end
    if (r.reverse !== undefined) out.reverse = r.reverse
    if (r.limit !== undefined) out.limit = r.limit
    return out
  }

  async * keys (r?: KeyRange): AsyncIterable<string> { for await (const k of this.db.keys(this.range(r))) yield (k as string).slice(this.prefix.length) }
  async * values (r?: KeyRange): AsyncIterable<Uint8Array> { for await (const v of this.db.values(this.range(r))) yield v }
  async * iterator (r?: KeyRange): AsyncIterable<[string, Uint8Array]> { for await (const [k, v] of this.db.iterator(this.range(r))) yield [(k as string).slice(this.prefix.length), v] }
}

type Op = AbstractBatchOperation<AnyLevel, string, Uint8Array>
const putOp = (view: Sub, key: string, value: Uint8Array): Op => {
  const sub = view.base ?? view
  return sub instanceof AbstractSublevel ? { type: 'put', sublevel: sub, key, value } : { type: 'put', key: sub.prefix + key, value, ...ENC }
}
const delOp = (view: Sub, key: string): Op => {
  const sub = view.base ?? view
  return sub instanceof AbstractSublevel ? { type: 'del', sublevel: sub, key } : { type: 'del', key: sub.prefix + key, keyEncoding: 'utf8' }
}

export class Tx {
  readonly ops: Op[] = []
  /** Net change of the number of keys if this transaction commits. */
  keyDelta = 0
  bytes = 0
  /** Run once the batch is durable (e.g. forget what an in-memory index held); never on failure. */
  readonly onCommit: Array<() => void> = []
  private readonly overlay = new Map<Sub, Map<string, Uint8Array | null>>()
  /** The committed values this transaction read (the store is locked: they stay committed). */
  private readonly read = new Map<Sub, Map<string, Uint8Array | undefined>>()

  /** `under`: the writes of a group commit prepared before this one, seen as if already written. */
  constructor (private readonly under?: Tx) {}

  async get (sub: Sub, key: string): Promise<Uint8Array | undefined> {
    const local = this.peek(sub, key)
    if (local !== undefined) return local ?? undefined
    const v = await sub.get(key)
    this.remember(sub).set(key, v)
    return v
  }

  /**
   * The committed values of `keys` (this transaction's own writes not seen), read once. In a group
   * commit, the writes of the group prepared before this one count as committed.
   */
  async committed (sub: Sub, keys: string[]): Promise<Array<Uint8Array | undefined>> {
    const known = this.remember(sub)
    for (const k of keys) {
      const v = known.has(k) ? undefined : this.under?.peek(sub, k)
      if (v !== undefined) known.set(k, v ?? undefined)
    }
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

  /** This transaction's own value of a key (null: deleted here), or undefined if it has none. */
  private peek (sub: Sub, key: string): Uint8Array | null | undefined {
    const local = this.overlay.get(sub)?.get(key)
    return local !== undefined ? local : this.under?.peek(sub, key)
  }

  /** This transaction's own writes to `sub` (null: deleted), key by key; not those under it. */
  written (sub: Sub): ReadonlyMap<string, Uint8Array | null> | undefined {
    return this.overlay.get(sub)
  }

  /** Take in the writes of `tx`, prepared on top of this one, so that they commit together. */
  absorb (tx: Tx): void {
    for (const [sub, m] of tx.overlay) for (const [k, v] of m) this.local(sub).set(k, v)
    for (const op of tx.ops) this.ops.push(op)
    this.keyDelta += tx.keyDelta
    this.bytes += tx.bytes
    this.onCommit.push(...tx.onCommit)
  }

  /** `fresh` skips the existence read when the caller knows the key is new. */
  async put (sub: Sub, key: string, value: Uint8Array, fresh = false): Promise<void> {
    if (fresh || (await this.get(sub, key)) === undefined) this.keyDelta++
    this.local(sub).set(key, value)
    this.ops.push(putOp(sub, key, value))
    this.bytes += utf8Length(sub.prefix) + utf8Length(key) + value.length
  }

  async del (sub: Sub, key: string): Promise<void> {
    if ((await this.get(sub, key)) !== undefined) this.keyDelta--
    this.local(sub).set(key, null)
    this.ops.push(delOp(sub, key))
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
