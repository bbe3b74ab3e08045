/**
 * A small in-memory abstract-level database for the simulator: keys as strings in one sorted
 * array, values as bytes. memory-level stores every key as its own byte array in a persistent
 * red-black tree; with 75,000 simulated agents the key arrays, tree nodes and buffer pool slabs
 * they retained were most of the memory per agent. Same semantics as memory-level for what the
 * store uses (get, getMany, has, put, del, batch, clear, ordered ranges forward and reverse with
 * limits): an iterator reads a snapshot of its range taken when it is created, as memory-level's
 * implicit snapshots do.
 */
import { AbstractIterator, AbstractKeyIterator, AbstractLevel, AbstractValueIterator } from 'abstract-level'

type Entry = [string, Uint8Array]
interface Range { gt?: string, gte?: string, lt?: string, lte?: string, reverse?: boolean }
interface BatchOp { type: 'put' | 'del', key: string, value?: Uint8Array }

/** A put of a utf8 key and a byte value, or a del of a utf8 key, with no sublevel or other encoding. */
function plainOp (op: unknown): boolean {
  const o = op as { type: string, key: unknown, value?: unknown, sublevel?: unknown, keyEncoding?: unknown, valueEncoding?: unknown }
  if (typeof o.key !== 'string' || o.sublevel !== undefined || (o.keyEncoding !== undefined && o.keyEncoding !== 'utf8')) return false
  if (o.type === 'del') return true
  return o.type === 'put' && o.value instanceof Uint8Array && (o.valueEncoding === undefined || o.valueEncoding === 'view')
}

/** A value that is a view into a larger buffer (a frame, a pool slab) is copied, so it holds only itself. */
const own = (v: Uint8Array): Uint8Array => v.byteOffset === 0 && v.byteLength === v.buffer.byteLength ? v : v.slice()

export class SimLevel extends AbstractLevel<string | Uint8Array, string, Uint8Array> {
  private readonly keyList: string[] = []
  private readonly byKey = new Map<string, Uint8Array>()

  constructor () {
    super({ encodings: { utf8: true, view: true }, seek: false, permanence: false, createIfMissing: false, errorIfExists: false, has: true }, { keyEncoding: 'utf8', valueEncoding: 'view' })
    // abstract-level clones, checks and re-encodes every operation of a batch, and that was a large
    // part of a simulation's time. The store's operations are already utf8 keys and byte values: a
    // batch of only those goes straight to _batch (the same writes; a subclass's faults included).
    const general = AbstractLevel.prototype.batch
    Object.defineProperty(this, 'batch', {
      value: (...args: unknown[]): unknown => {
        const ops = args[0]
        if (Array.isArray(ops) && this.status === 'open' && ops.every(plainOp)) return this._batch(ops as BatchOp[])
        return Reflect.apply(general, this, args)
      }
    })
  }

  /** Keys and values held (the store's sublevel prefixes included). */
  get size (): number { return this.keyList.length }

  /** The first index whose key is >= key (or > key when `after`). */
  private search (key: string, after = false): number {
    const list = this.keyList
    let lo = 0
    let hi = list.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      const k = list[mid] as string
      if (k < key || (after && k === key)) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  private set (key: string, value: Uint8Array): void {
    if (!this.byKey.has(key)) this.keyList.splice(this.search(key), 0, key)
    this.byKey.set(key, own(value))
  }

  private remove (key: string): void {
    if (!this.byKey.delete(key)) return
    this.keyList.splice(this.search(key), 1)
  }

  /** The entries of a range, in the order asked, copied now. */
  range (o: Range & { limit?: number }): Entry[] {
    const lo = o.gte !== undefined ? this.search(o.gte) : o.gt !== undefined ? this.search(o.gt, true) : 0
    const hi = o.lte !== undefined ? this.search(o.lte, true) : o.lt !== undefined ? this.search(o.lt) : this.keyList.length
    const keys = this.keyList.slice(lo, Math.max(lo, hi))
    if (o.reverse === true) keys.reverse()
    if (o.limit !== undefined && o.limit >= 0 && keys.length > o.limit) keys.length = o.limit
    return keys.map(k => [k, this.byKey.get(k) as Uint8Array])
  }

  async _get (key: string): Promise<Uint8Array | undefined> { return this.byKey.get(key) }
  async _getMany (keys: string[]): Promise<Array<Uint8Array | undefined>> { return keys.map(k => this.byKey.get(k)) }
  async _has (key: string): Promise<boolean> { return this.byKey.has(key) }
  async _hasMany (keys: string[]): Promise<boolean[]> { return keys.map(k => this.byKey.has(k)) }
  async _put (key: string, value: Uint8Array): Promise<void> { this.set(key, value) }
  async _del (key: string): Promise<void> { this.remove(key) }

  async _batch (ops: BatchOp[]): Promise<void> {
    for (const op of ops) {
      if (op.type === 'put') this.set(op.key, op.value as Uint8Array)
      else this.remove(op.key)
    }
  }

  async _clear (o: Range & { limit?: number }): Promise<void> {
    for (const [k] of this.range(o)) this.remove(k)
  }

  _iterator (o: Range): SimEntryIterator { return new SimEntryIterator(this, o) }
  _keys (o: Range): SimKeyIterator { return new SimKeyIterator(this, o) }
  _values (o: Range): SimValueIterator { return new SimValueIterator(this, o) }
}

/** The three iterator kinds share this: a snapshot of the range and a cursor (the base class applies the limit). */
class Cursor {
  private i = 0
  private readonly entries: Entry[]
  constructor (db: SimLevel, o: Range & { limit?: number }) { this.entries = db.range(o) }
  take (size: number): Entry[] {
    const out = this.entries.slice(this.i, this.i + size)
    this.i += out.length
    return out
  }
}

class SimEntryIterator extends AbstractIterator<SimLevel, string, Uint8Array> {
  private readonly cursor: Cursor
  constructor (db: SimLevel, o: Range) { super(db, o); this.cursor = new Cursor(db, o) }
  async _next (): Promise<Entry | undefined> { return this.cursor.take(1)[0] }
  async _nextv (size: number): Promise<Entry[]> { return this.cursor.take(size) }
  async _all (): Promise<Entry[]> { return this.cursor.take(this.limit - this.count) }
}

class SimKeyIterator extends AbstractKeyIterator<SimLevel, string> {
  private readonly cursor: Cursor
  constructor (db: SimLevel, o: Range) { super(db, o); this.cursor = new Cursor(db, o) }
  async _next (): Promise<string | undefined> { return this.cursor.take(1)[0]?.[0] }
  async _nextv (size: number): Promise<string[]> { return this.cursor.take(size).map(e => e[0]) }
  async _all (): Promise<string[]> { return this.cursor.take(this.limit - this.count).map(e => e[0]) }
}

class SimValueIterator extends AbstractValueIterator<SimLevel, string, Uint8Array> {
  private readonly cursor: Cursor
  constructor (db: SimLevel, o: Range) { super(db, o); this.cursor = new Cursor(db, o) }
  async _next (): Promise<Uint8Array | undefined> { return this.cursor.take(1)[0]?.[1] }
  async _nextv (size: number): Promise<Uint8Array[]> { return this.cursor.take(size).map(e => e[1]) }
  async _all (): Promise<Uint8Array[]> { return this.cursor.take(this.limit - this.count).map(e => e[1]) }
}
