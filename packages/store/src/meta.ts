// The store's owner and the untyped meta keys. The owner (the PeerId whose signed records the
// store holds) is a typed area; meta keys are being replaced by typed areas, and migrateMeta
// moves a namespace of them into its area.

import { Type, type TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import type { Area, AreaRegistry, AreaStep } from './area.js'
import { decodeJson, encodeJson, type Json } from './codec.js'
import type { Engine, Step } from './engine.js'
import { check, StoreError } from './errors.js'
import { part } from './keys.js'

/** The identity a data directory belongs to. */
export const OWNER = { name: 'store-owner', schema: Type.Object({ peerId: Type.String({ minLength: 1 }) }, { additionalProperties: false }) }
const OWNER_KEY = ['identity']
/** Where older stores kept the owner: a meta key holding the PeerId. */
const LEGACY_OWNER_KEY = 'owner'

/** Meta keys moved per synced batch by migrateMeta. */
const MIGRATE_CHUNK = 512
/** Above every key that starts with a given prefix. */
const TOP = '\u{10ffff}'

/** What migrateMeta did: records moved into the area, and keys under the prefix left as they were. */
export interface Migrated { moved: number, kept: number }

/** The step `make` builds, or undefined when its arguments are refused (a key part it cannot hold). */
function stepOrUndefined (make: () => AreaStep): AreaStep | undefined {
  try {
    return make()
  } catch (err) {
    if (err instanceof StoreError && err.code === 'invalid-argument') return undefined
    throw err
  }
}

export class MetaBook {
  constructor (private readonly engine: Engine, private readonly areas: AreaRegistry) {}

  private get subs (): Engine['subs'] { return this.engine.subs }

  /**
   * Bind the store to the identity that signs with it: the first call records `peerId`; later
   * calls with another PeerId throw StoreError('owner'), so a new key never takes over old records.
   * An owner recorded by an older store (a meta key) is moved to its area on the first call.
   */
  async claimOwner (peerId: string): Promise<'claimed' | 'same'> {
    const area = this.areas.area(OWNER)
    const claim = area.stepPut(OWNER_KEY, { peerId })
    const { meta } = this.subs
    let held: string | undefined
    const result = await this.engine.one(async (tx) => {
      const current = (await area.read(tx, OWNER_KEY))?.peerId
      const raw = current === undefined ? await tx.get(meta, LEGACY_OWNER_KEY) : undefined
      const legacy = raw === undefined ? undefined : decodeJson<Json>(raw)
      held = current ?? (legacy === undefined ? undefined : typeof legacy === 'string' ? legacy : String(legacy))
      if (held !== undefined && held !== peerId) return 'conflict'
      if (current === undefined) await claim(tx)
      if (legacy !== undefined) await tx.del(meta, LEGACY_OWNER_KEY)
      return 'done'
    })
    check(result === 'done', 'owner', `this data directory belongs to ${String(held)}, not to ${peerId}: it holds that identity's signed records`)
    return held === peerId ? 'same' : 'claimed'
  }

  async getMeta (key: string): Promise<Json | undefined> {
    this.engine.assertOpen()
    const v = await this.subs.meta.get(part(key, 'meta key'))
    return v === undefined ? undefined : decodeJson<Json>(v)
  }

  async putMeta (key: string, value: Json): Promise<void> { await this.engine.one(this.stepPutMeta(key, value)) }

  stepPutMeta (key: string, value: Json): Step<'done'> {
    const k = part(key, 'meta key')
    const v = encodeJson(value)
    const { meta } = this.subs
    return async (tx) => { await tx.put(meta, k, v); return 'done' }
  }

  /**
   * Moves the meta keys that start with `prefix` into `area`: `keyOf` gives a meta key's key in
   * the area (undefined: not one of its records). A record is moved (written to the area and its
   * meta key deleted, together) only if it fits the area's schema; the others stay as they were.
   * Runs in synced batches of a few hundred keys; running it again moves nothing.
   */
  async migrateMeta<S extends TSchema> (area: Area<S>, prefix: string, keyOf: (metaKey: string) => string[] | undefined): Promise<Migrated> {
    const done: Migrated = { moved: 0, kept: 0 }
    let after: string | undefined
    for (;;) {
      let last: string | undefined
      await this.engine.commit([async (tx) => {
        last = undefined
        const range = { ...(after === undefined ? { gte: prefix } : { gt: after }), lt: prefix + TOP, limit: MIGRATE_CHUNK }
        for await (const [k, v] of this.subs.meta.iterator(range)) {
          last = k
          const parts = keyOf(k)
          const value: unknown = decodeJson<unknown>(v)
          const put = parts === undefined || !Value.Check(area.spec.schema, value) ? undefined : stepOrUndefined(() => area.stepPut(parts, value))
          if (put === undefined) { done.kept++; continue }
          await put(tx)
          await tx.del(this.subs.meta, k)
          done.moved++
        }
        return 'done'
      }])
      if (last === undefined) return done
      after = last
    }
  }
}
