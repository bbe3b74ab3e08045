// Typed record areas: a named part of the store whose values have one TypeBox schema, checked
// before every write and after every read, so code that reads an area gets its type without a
// cast and a record that does not fit is refused (invalid-argument) or reported (corrupt).
//
// An area replaces a namespace of the old untyped meta keys: lifecycle state, clearing records,
// evidence, collector state. Keys are parts joined like every other key (keys.ts), so a prefix of
// parts lists in key order.

import type { Static, TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { decodeJson, encodeJson } from './codec.js'
import { check, StoreError } from './errors.js'
import { join, part, under } from './keys.js'
import type { Tx, Sub } from './tx.js'

/** What defines an area: a unique name and the schema of its values. */
export interface AreaSpec<S extends TSchema> {
  /** The area's name, the first part of each of its keys (letters, digits and dashes). */
  name: string
  /** Every value of the area; checked on write and on read. */
  schema: S
}

/** One record of an area: its key parts and its value. */
export interface AreaRecord<V> { key: string[], value: V }

/** The write side of a step: what a StoreBatch runs inside the commit. */
export type AreaStep = (tx: Tx) => Promise<'done'>

/** An area bound to a store's sublevel; made by `store.area(spec)`. */
export class Area<S extends TSchema> {
  private readonly name: string

  constructor (private readonly sub: Sub, readonly spec: AreaSpec<S>, private readonly assertOpen: () => void) {
    check(/^[a-z0-9-]{1,64}$/.test(spec.name), 'invalid-argument', `area name must be letters, digits and dashes, got ${JSON.stringify(spec.name)}`)
    this.name = spec.name
  }

  async get (...key: string[]): Promise<Static<S> | undefined> {
    this.assertOpen()
    const v = await this.sub.get(this.keyOf(key))
    return v === undefined ? undefined : this.decode(v, key)
  }

  /** Every record whose key starts with `prefix` (all of the area without one), in key order. */
  async list (...prefix: string[]): Promise<Array<AreaRecord<Static<S>>>> {
    this.assertOpen()
    const out: Array<AreaRecord<Static<S>>> = []
    const head = this.keyOf(prefix)
    for await (const [k, v] of this.sub.iterator(under(head))) {
      const key = k.slice(this.name.length + 1).split('\x00')
      out.push({ key, value: this.decode(v, key) })
    }
    return out
  }

  /** @internal a step that writes `value` under `key`; the value is checked now, not at commit. */
  stepPut (key: string[], value: Static<S>): AreaStep {
    const k = this.keyOf(key)
    const first = Value.Errors(this.spec.schema, value).First()
    check(first === undefined, 'invalid-argument', `${this.name}: ${first?.path ?? ''} ${first?.message ?? ''}`)
    const bytes = encodeJson(value)
    return async (tx) => { await tx.put(this.sub, k, bytes); return 'done' }
  }

  /** @internal a step that removes the record under `key`, if any. */
  stepDelete (key: string[]): AreaStep {
    const k = this.keyOf(key)
    return async (tx) => { await tx.del(this.sub, k); return 'done' }
  }

  /** @internal the value under `key` as the commit sees it (its own earlier writes included). */
  async read (tx: Tx, key: string[]): Promise<Static<S> | undefined> {
    const v = await tx.get(this.sub, this.keyOf(key))
    return v === undefined ? undefined : this.decode(v, key)
  }

  private keyOf (key: string[]): string {
    return join(this.name, ...key.map((p, i) => part(p, `${this.name} key part ${i}`)))
  }

  private decode (v: Uint8Array, key: string[]): Static<S> {
    const value: unknown = decodeJson<unknown>(v)
    if (!Value.Check(this.spec.schema, value)) throw new StoreError('corrupt', `${this.name} ${key.join('/')}: stored value does not match the area's schema`)
    return value
  }
}

/** The areas of one store: one spec per name. */
export class AreaRegistry {
  private readonly specs = new Map<string, AreaSpec<TSchema>>()

  constructor (private readonly sub: Sub, private readonly assertOpen: () => void) {}

  /**
   * The typed area named `spec.name`. One name has one spec per store: asking for a name again
   * with another schema object is a programming error.
   */
  area<S extends TSchema> (spec: AreaSpec<S>): Area<S> {
    const held = this.specs.get(spec.name)
    check(held === undefined || held === spec, 'invalid-argument', `area ${spec.name} is already defined with another spec`)
    // An Area holds no state of its own: a new one per call is the same area.
    const made = new Area(this.sub, spec, this.assertOpen)
    this.specs.set(spec.name, spec)
    return made
  }
}
