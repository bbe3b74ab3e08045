// Group commit's view of the store: while the engine prepares one write of a group, the writes of
// the group prepared before it are not on disk yet, but that write must see them, by point reads
// and by key ranges alike (read-your-writes within the group). Every record kind is wrapped in a
// GroupSub: inside a group (an AsyncLocalStorage context that the engine sets around each write's
// steps and checks) its reads merge the group's pending writes over the database; anywhere else
// (every read of the store's API) they go straight to the database, which holds only synced data.

import { AsyncLocalStorage } from 'node:async_hooks'
import type { Subs } from './subs.js'
import type { KeyRange, Sub, Tx } from './tx.js'

/** The writes of the group prepared so far, for the code running inside the group. */
const context = new AsyncLocalStorage<Tx>()

/** Runs `f` (a write's steps and checks) seeing `group`'s pending writes as if they were written. */
export async function inGroup<T> (group: Tx, f: () => Promise<T>): Promise<T> {
  return await context.run(group, f)
}

type Pending = ReadonlyMap<string, Uint8Array | null>

const UTF8 = new TextEncoder()

/** LevelDB's order of utf8 keys: the order of their UTF-8 bytes (not of JavaScript's UTF-16). */
function compareKeys (a: string, b: string): number {
  if (a === b) return 0
  return Buffer.compare(UTF8.encode(a), UTF8.encode(b))
}

function inRange (key: string, r: KeyRange): boolean {
  if (r.gt !== undefined && compareKeys(key, r.gt) <= 0) return false
  if (r.gte !== undefined && compareKeys(key, r.gte) < 0) return false
  if (r.lt !== undefined && compareKeys(key, r.lt) >= 0) return false
  if (r.lte !== undefined && compareKeys(key, r.lte) > 0) return false
  return true
}

/** A record kind seen through the pending writes of the group being prepared, if any. */
export class GroupSub implements Sub {
  readonly prefix: string
  constructor (readonly base: Sub) {
    this.prefix = base.prefix
  }

  /** The pending writes of the current group to this kind, when there are any. */
  private pending (): Pending | undefined {
    const m = context.getStore()?.written(this)
    return m !== undefined && m.size > 0 ? m : undefined
  }

  async get (key: string): Promise<Uint8Array | undefined> {
    const m = this.pending()
    const v = m?.get(key)
    if (v !== undefined) return v ?? undefined
    return await this.base.get(key)
  }

  async getMany (keys: string[]): Promise<Array<Uint8Array | undefined>> {
    const m = this.pending()
    if (m === undefined) return await this.base.getMany(keys)
    const missing = keys.filter(k => !m.has(k))
    const read = missing.length > 0 ? await this.base.getMany(missing) : []
    const got = new Map(missing.map((k, i) => [k, read[i]]))
    return keys.map(k => {
      const v = m.get(k)
      return v !== undefined ? (v ?? undefined) : got.get(k)
    })
  }

  keys (r?: KeyRange): AsyncIterable<string> {
    const m = this.pending()
    return m === undefined ? this.base.keys(r) : mapped(merge(this.base, m, r ?? {}), ([k]) => k)
  }

  values (r?: KeyRange): AsyncIterable<Uint8Array> {
    const m = this.pending()
    return m === undefined ? this.base.values(r) : mapped(merge(this.base, m, r ?? {}), ([, v]) => v)
  }

  iterator (r?: KeyRange): AsyncIterable<[string, Uint8Array]> {
    const m = this.pending()
    return m === undefined ? this.base.iterator(r) : merge(this.base, m, r ?? {})
  }
}

async function * mapped<T, U> (it: AsyncIterable<T>, f: (t: T) => U): AsyncIterable<U> {
  for await (const t of it) yield f(t)
}

/** The entries of `base` in range `r`, with the pending writes `m` put over them (null: deleted). */
async function * merge (base: Sub, m: Pending, r: KeyRange): AsyncIterable<[string, Uint8Array]> {
  const reverse = r.reverse === true
  const order = (a: string, b: string): number => reverse ? compareKeys(b, a) : compareKeys(a, b)
  const own = [...m].filter(([k]) => inRange(k, r)).sort(([a], [b]) => order(a, b))
  const limit = r.limit === undefined || r.limit < 0 ? Infinity : r.limit
  // Pending writes replace or hide at most own.length of the base's entries.
  const range: KeyRange = Number.isFinite(limit) ? { ...r, limit: limit + own.length } : r
  let n = 0
  let i = 0
  for await (const [k, v] of base.iterator(range)) {
    if (n >= limit) return
    for (let e = own[i]; e !== undefined && order(e[0], k) < 0; e = own[++i]) {
      if (e[1] !== null) { yield [e[0], e[1]]; if (++n >= limit) return }
    }
    const e = own[i]
    if (e !== undefined && e[0] === k) {
      i++
      if (e[1] === null) continue
      yield [k, e[1]]
    } else {
      yield [k, v]
    }
    if (++n >= limit) return
  }
  for (let e = own[i]; e !== undefined && n < limit; e = own[++i]) {
    if (e[1] !== null) { yield [e[0], e[1]]; n++ }
  }
}

/** Every record kind of `subs` wrapped in a GroupSub (the store's write path on disk, engine.ts). */
export function groupSubs (subs: Subs): Subs {
  const out: Partial<Record<keyof Subs, Sub>> = {}
  for (const k of Object.keys(subs) as Array<keyof Subs>) out[k] = new GroupSub(subs[k])
  return out as Subs
}
