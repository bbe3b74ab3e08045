// Evidence kept against a misbehaving peer, as a typed area.
//
// `equivocation`: an issuer signed two different tariff versions with one sequence number (both
// signed documents are kept, base64). Key: issuer, sequence number (fixed width, so an issuer's
// equivocations list in order). Written by the tariff book (@splitedge/node), read by the
// simulator's `hostile` checker and by operators.
//
// Stores written before this area existed keep the same record under the meta key
// `equivocation:<issuer>:<seq>`; readEquivocation falls back to it.

import { Type, type Static } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import type { Area, AreaSpec } from './area.js'
import { StoreError } from './errors.js'
import { pad } from './keys.js'
import type { Store } from './store.js'

export const EquivocationSchema = Type.Object({
  issuer: Type.String({ minLength: 1 }),
  seq: Type.Integer({ minimum: 0 }),
  /** The version held first and the one that contradicted it: id and base64 of the signed document. */
  documents: Type.Array(Type.Object({ id: Type.String({ minLength: 1 }), bytes: Type.String() }, { additionalProperties: false }), { minItems: 2 })
}, { additionalProperties: false })
export type Equivocation = Static<typeof EquivocationSchema>

export const EQUIVOCATIONS: AreaSpec<typeof EquivocationSchema> = { name: 'equivocation', schema: EquivocationSchema }

/** The equivocation area of `store`. */
export function equivocationArea (store: Store): Area<typeof EquivocationSchema> {
  return store.area(EQUIVOCATIONS)
}

/** The key of `issuer`'s equivocation at `seq`. */
export function equivocationKey (issuer: string, seq: number): string[] {
  return [issuer, pad(seq, 'seq')]
}

/** The evidence that `issuer` signed two versions `seq`, if we kept any. */
export async function readEquivocation (store: Store, issuer: string, seq: number): Promise<Equivocation | undefined> {
  const held = await equivocationArea(store).get(...equivocationKey(issuer, seq))
  if (held !== undefined) return held
  const legacy = await store.getMeta(`equivocation:${issuer}:${seq}`)
  if (legacy === undefined) return undefined
  if (!Value.Check(EquivocationSchema, legacy)) throw new StoreError('corrupt', `meta equivocation:${issuer}:${seq} does not match the equivocation schema`)
  return legacy
}

/** Every equivocation kept, of one issuer or of all, in key order. */
export async function listEquivocations (store: Store, issuer?: string): Promise<Equivocation[]> {
  const records = await equivocationArea(store).list(...(issuer === undefined ? [] : [issuer]))
  return records.map(r => r.value)
}
