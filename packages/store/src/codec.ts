// Value encodings. All sublevels store raw bytes so the store counts exactly what it writes.
// JSON values are utf8 JSON; documents are an envelope: u32 length, JSON metadata, document bytes.

import { StoreError } from './errors.js'

/** JSON-representable data (metadata, dispute details, pending work). */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

const enc = new TextEncoder()
const dec = new TextDecoder('utf-8', { fatal: true })

export function encodeJson (value: unknown): Uint8Array {
  return enc.encode(JSON.stringify(value))
}

export function decodeJson<T> (bytes: Uint8Array): T {
  try {
    return JSON.parse(dec.decode(bytes)) as T
  } catch (err) {
    throw new StoreError('corrupt', `stored JSON does not decode: ${(err as Error).message}`)
  }
}

export function encodeEnvelope (meta: unknown, doc: Uint8Array): Uint8Array {
  const head = encodeJson(meta)
  const out = new Uint8Array(4 + head.length + doc.length)
  new DataView(out.buffer).setUint32(0, head.length)
  out.set(head, 4)
  out.set(doc, 4 + head.length)
  return out
}

export function decodeEnvelope<T> (bytes: Uint8Array): { meta: T, bytes: Uint8Array } {
  if (bytes.length < 4) throw new StoreError('corrupt', 'envelope too short')
  const n = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0)
  if (4 + n > bytes.length) throw new StoreError('corrupt', 'envelope header overruns value')
  // Copy into a plain Uint8Array: backends may hand out Buffers over shared pools.
  return { meta: decodeJson<T>(bytes.subarray(4, 4 + n)), bytes: new Uint8Array(bytes.subarray(4 + n)) }
}

export function utf8Length (s: string): number {
  return enc.encode(s).length
}
