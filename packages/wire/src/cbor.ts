/**
 * Fast paths for the canonical DAG-CBOR of documents: an encoder and a strict decoder for the
 * values documents are made of (maps with text keys, arrays, text, byte strings, safe integers,
 * true, false, null). Both give up (return undefined) on anything else, and the caller then takes
 * the general path (@ipld/dag-cbor, cborg), so every byte and every refusal stays what it was:
 *
 * - `fastEncode(v)` is byte for byte `dagCbor.encode(v)` whenever it returns bytes;
 * - `fastDecode(bytes)` returns a value only when the bytes are one complete item in canonical
 *   form (shortest heads, definite lengths, map keys strictly in DAG-CBOR order, valid UTF-8), i.e.
 *   exactly `dagCbor.encode` of that value, so the re-encoding check it replaces would pass.
 *
 * The property tests in test/cbor.spec.ts hold both to the general path on random values and bytes.
 */

const MAX_DEPTH = 64
const utf8 = new TextEncoder()
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

class Out {
  buf = new Uint8Array(4096)
  pos = 0
  /** Values read by `copyMap`: a stack, one stretch per map being copied, `top` long. */
  values: unknown[] = []
  top = 0

  room (n: number): void {
    if (this.pos + n <= this.buf.length) return
    let size = this.buf.length * 2
    while (size < this.pos + n) size *= 2
    const next = new Uint8Array(size)
    next.set(this.buf.subarray(0, this.pos))
    this.buf = next
  }

  head (major: number, n: number): void {
    this.room(9)
    const b = this.buf
    const m = major << 5
    if (n < 24) {
      b[this.pos++] = m | n
    } else if (n < 0x100) {
      b[this.pos++] = m | 24
      b[this.pos++] = n
    } else if (n < 0x10000) {
      b[this.pos++] = m | 25
      b[this.pos++] = n >>> 8
      b[this.pos++] = n & 0xff
    } else if (n < 0x100000000) {
      b[this.pos++] = m | 26
      b[this.pos++] = n >>> 24
      b[this.pos++] = (n >>> 16) & 0xff
      b[this.pos++] = (n >>> 8) & 0xff
      b[this.pos++] = n & 0xff
    } else {
      const hi = Math.floor(n / 0x100000000)
      const lo = n >>> 0
      b[this.pos++] = m | 27
      for (const x of [hi >>> 24, (hi >>> 16) & 0xff, (hi >>> 8) & 0xff, hi & 0xff, lo >>> 24, (lo >>> 16) & 0xff, (lo >>> 8) & 0xff, lo & 0xff]) b[this.pos++] = x
    }
  }

  /** A text string; false if it holds a surrogate (left to the general path). */
  text (s: string): boolean {
    return this.asciiText(s) || this.wideText(s)
  }

  /** An ASCII text string; false (nothing written) for any other. */
  asciiText (s: string): boolean {
    const n = s.length
    this.room(9 + n)
    const start = this.pos
    this.head(3, n)
    const b = this.buf
    let p = this.pos
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i)
      if (c >= 0x80) { this.pos = start; return false }
      b[p++] = c
    }
    this.pos = p
    return true
  }

  private wideText (s: string): boolean {
    if (/[\ud800-\udfff]/.test(s)) return false
    const bytes = utf8.encode(s)
    this.head(3, bytes.length)
    this.bytes(bytes)
    return true
  }

  bytes (v: Uint8Array): void {
    this.room(v.length)
    this.buf.set(v, this.pos)
    this.pos += v.length
  }
}

/** DAG-CBOR map key order for ASCII keys: shorter first, then bytewise. */
const keyOrder = (a: string, b: string): number => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0)

function encodeValue (out: Out, v: unknown, depth: number): boolean {
  switch (typeof v) {
    case 'string': return out.text(v)
    case 'boolean': out.room(1); out.buf[out.pos++] = v ? 0xf5 : 0xf4; return true
    case 'number':
      if (!Number.isSafeInteger(v) || Object.is(v, -0)) return false
      if (v >= 0) out.head(0, v)
      else out.head(1, -1 - v)
      return true
    case 'object':
      if (v === null) { out.room(1); out.buf[out.pos++] = 0xf6; return true }
      if (depth >= MAX_DEPTH) return false
      if (v instanceof Uint8Array) {
        if (Object.getPrototypeOf(v) !== Uint8Array.prototype && !Buffer.isBuffer(v)) return false
        out.head(2, v.length)
        out.bytes(v)
        return true
      }
      if (Array.isArray(v)) {
        out.head(4, v.length)
        for (const x of v) if (!encodeValue(out, x, depth + 1)) return false
        return true
      }
      return encodeMap(out, v, depth)
    default: return false
  }
}

/**
 * The own enumerable keys of `record` in DAG-CBOR order for ASCII keys: a short list (what
 * documents are made of) is sorted in place by insertion, which costs one pass when it is
 * already in order; a long one by the built-in sort.
 */
function canonicalKeys (record: object): string[] {
  const keys = Object.keys(record)
  const n = keys.length
  if (n > 24) return keys.sort(keyOrder)
  for (let i = 1; i < n; i++) {
    const k = keys[i] as string
    let j = i - 1
    while (j >= 0 && keyOrder(keys[j] as string, k) > 0) {
      keys[j + 1] = keys[j] as string
      j--
    }
    keys[j + 1] = k
  }
  return keys
}

function encodeMap (out: Out, v: object, depth: number): boolean {
  const proto = Object.getPrototypeOf(v)
  if (proto !== Object.prototype && proto !== null) return false
  const record = v as Record<string, unknown>
  const keys = canonicalKeys(record)
  out.head(5, keys.length)
  for (const k of keys) {
    // The order above is DAG-CBOR's only for ASCII keys: any other key goes the general way.
    if (!out.asciiText(k) || !encodeValue(out, record[k], depth + 1)) return false
  }
  return true
}

const shared = new Out()
let busy = false

/**
 * `dagCbor.encode(v)`, byte for byte, for values made of plain objects with ASCII keys, arrays,
 * strings, byte strings, safe integers, booleans and null, after `prefix`; undefined for any other
 * value (the caller then uses the general encoder, which also refuses what DAG-CBOR cannot hold).
 */
export function fastEncode (v: unknown, prefix?: Uint8Array): Uint8Array | undefined {
  // One shared buffer; a getter that encodes while we encode gets its own.
  const out = busy ? new Out() : shared
  const mine = out === shared
  busy = true
  try {
    out.pos = 0
    if (prefix !== undefined) out.bytes(prefix)
    return encodeValue(out, v, 0) ? out.buf.slice(0, out.pos) : undefined
  } finally {
    if (mine) {
      busy = false
      if (out.buf.length > 1 << 20) out.buf = new Uint8Array(4096)
    }
  }
}

// ---- copying and encoding at once ----------------------------------------------------------

/** What `copyValue` returns when it gives up. */
const NO_COPY: unique symbol = Symbol('no copy')

function copyValue (out: Out, v: unknown, depth: number): unknown {
  if (typeof v === 'object' && v !== null) {
    if (depth >= MAX_DEPTH) return NO_COPY
    // Byte strings are kept as they are (as plainCopy keeps them).
    if (v instanceof Uint8Array) return encodeValue(out, v, depth) ? v : NO_COPY
    if (Array.isArray(v)) return copyArray(out, v, depth)
    return copyMap(out, v, depth)
  }
  return typeof v !== 'undefined' && encodeValue(out, v, depth) ? v : NO_COPY
}

function copyArray (out: Out, v: unknown[], depth: number): unknown {
  if (Object.getPrototypeOf(v) !== Array.prototype) return NO_COPY
  const n = v.length
  out.head(4, n)
  const a = new Array<unknown>(n)
  for (let i = 0; i < n; i++) {
    const x = copyValue(out, v[i], depth + 1)
    if (x === NO_COPY) return NO_COPY
    a[i] = x
  }
  return Object.freeze(a)
}

function copyMap (out: Out, v: object, depth: number): unknown {
  const proto = Object.getPrototypeOf(v)
  if (proto !== Object.prototype && proto !== null) return NO_COPY
  const record = v as Record<string, unknown>
  const keys = canonicalKeys(record)
  const n = keys.length
  // Each property is read once, onto the value stack: the copy and the bytes are of the same value.
  const values = out.values
  const base = out.top
  out.top = base + n
  let defined = 0
  for (let i = 0; i < n; i++) {
    const x = record[keys[i] as string]
    values[base + i] = x
    if (x !== undefined) defined++
  }
  out.head(5, defined)
  const o: Record<string, unknown> = {}
  for (let i = 0; i < n; i++) {
    const k = keys[i] as string
    const x = values[base + i]
    if (x === undefined) continue
    if (k === '__proto__' || !out.asciiText(k)) return NO_COPY
    const c = copyValue(out, x, depth + 1)
    if (c === NO_COPY) return NO_COPY
    o[k] = c
  }
  out.top = base
  return Object.freeze(o)
}

/**
 * A deep copy of `v` made of frozen plain objects and arrays, without its undefined-valued
 * properties (an absent optional), and the canonical DAG-CBOR bytes of that copy after `prefix`,
 * in one walk: what `plainCopy(v, true)` then `fastEncode(copy, prefix)` give (the copy's keys in
 * canonical order), or undefined where either would not (objects that are not plain, keys that
 * are not ASCII, numbers that are not safe integers...), for the caller to take that way instead.
 */
export function copyEncode (v: unknown, prefix: Uint8Array): { value: unknown, bytes: Uint8Array } | undefined {
  const out = busy ? new Out() : shared
  const mine = out === shared
  busy = true
  try {
    out.pos = 0
    out.top = 0
    out.bytes(prefix)
    const value = copyValue(out, v, 0)
    return value === NO_COPY ? undefined : { value, bytes: out.buf.slice(0, out.pos) }
  } finally {
    // Let go of the caller's values (the stack only ever holds one call's).
    out.values.length = 0
    if (mine) {
      busy = false
      if (out.buf.length > 1 << 20) out.buf = new Uint8Array(4096)
    }
  }
}

// ---- decoding -------------------------------------------------------------------------------

class GiveUp extends Error {}
const giveUp = new GiveUp()

class In {
  pos = 0
  bodyStart = -1
  bodyEnd = -1
  constructor (readonly b: Uint8Array) {}

  /** The argument of a head with additional info `info`, refusing non-shortest forms and > 2^53 - 1. */
  arg (info: number): number {
    const b = this.b
    if (info < 24) return info
    let n: number
    let min: number
    if (info === 24) { this.need(1); n = b[this.pos] as number; this.pos += 1; min = 24 } else if (info === 25) { this.need(2); n = ((b[this.pos] as number) << 8) | (b[this.pos + 1] as number); this.pos += 2; min = 0x100 } else if (info === 26) {
      this.need(4)
      n = (((b[this.pos] as number) << 24) >>> 0) + ((b[this.pos + 1] as number) << 16) + ((b[this.pos + 2] as number) << 8) + (b[this.pos + 3] as number)
      this.pos += 4
      min = 0x10000
    } else if (info === 27) {
      this.need(8)
      let hi = 0
      let lo = 0
      for (let i = 0; i < 4; i++) hi = hi * 256 + (b[this.pos + i] as number)
      for (let i = 4; i < 8; i++) lo = lo * 256 + (b[this.pos + i] as number)
      this.pos += 8
      if (hi >= 0x200000) throw giveUp
      n = hi * 0x100000000 + lo
      min = 0x100000000
    } else throw giveUp
    if (n < min) throw giveUp
    return n
  }

  need (n: number): void { if (this.pos + n > this.b.length) throw giveUp }

  /** A text string of `n` bytes: strict UTF-8; short ASCII ones come from the string cache. */
  text (n: number): string {
    this.need(n)
    const start = this.pos
    this.pos = start + n
    return n <= MAX_INTERNED ? interned(this.b, start, n) : strictUtf8.decode(this.b.subarray(start, start + n))
  }
}

// Decoded ASCII strings of up to MAX_INTERNED bytes, by a hash of their length and a few of their
// bytes: documents repeat their field names and PeerIds, and a string found here costs no
// allocation and is already the one V8 uses as a property key. A slot holds the last ASCII string
// that hashed to it, so the cache stays bounded whatever it is fed; a miss just decodes.
const MAX_INTERNED = 64
const INTERNED_SLOTS = 4096
const internedStrings: string[] = new Array<string>(INTERNED_SLOTS).fill('')

function slotOf (b: Uint8Array, start: number, n: number): number {
  if (n === 0) return 0
  const end = start + n
  let h = Math.imul(n ^ (b[start] as number), 0x01000193) ^ (b[end - 1] as number)
  h = Math.imul(h ^ (b[start + (n >>> 1)] as number), 0x01000193) ^ (b[start + (n >>> 2)] as number)
  h = Math.imul(h ^ (b[end - 1 - (n >>> 2)] as number), 0x01000193)
  return (h ^ (h >>> 16)) & (INTERNED_SLOTS - 1)
}

function interned (b: Uint8Array, start: number, n: number): string {
  const slot = slotOf(b, start, n)
  const s = internedStrings[slot] as string
  if (s.length === n) {
    // Cached strings are ASCII: equal code units mean equal bytes.
    let i = 0
    while (i < n && s.charCodeAt(i) === b[start + i]) i++
    if (i === n) return s
  }
  const end = start + n
  const fresh = strictUtf8.decode(b.subarray(start, end))
  for (let i = start; i < end; i++) if ((b[i] as number) >= 0x80) return fresh
  internedStrings[slot] = fresh
  return fresh
}

function decodeValue (r: In, depth: number): unknown {
  r.need(1)
  const first = r.b[r.pos++] as number
  const major = first >>> 5
  const info = first & 0x1f
  switch (major) {
    case 0: return r.arg(info)
    case 1: {
      // -1 - n must be a safe integer, or the general encoder would write it another way.
      const n = r.arg(info)
      if (n >= Number.MAX_SAFE_INTEGER) throw giveUp
      return -1 - n
    }
    case 2: { const n = r.arg(info); r.need(n); r.pos += n; return new Uint8Array(r.b.buffer, r.b.byteOffset + r.pos - n, n) }
    case 3: return r.text(r.arg(info))
    case 4: {
      if (depth >= MAX_DEPTH) throw giveUp
      const n = r.arg(info)
      // Each item takes at least one byte: a longer count cannot be complete.
      if (n > r.b.length - r.pos) throw giveUp
      const a = new Array<unknown>(n)
      for (let i = 0; i < n; i++) a[i] = decodeValue(r, depth + 1)
      return Object.freeze(a)
    }
    case 5: return decodeMap(r, r.arg(info), depth)
    case 7:
      if (first === 0xf4) return false
      if (first === 0xf5) return true
      if (first === 0xf6) return null
      throw giveUp
    default: throw giveUp
  }
}

function decodeMap (r: In, n: number, depth: number): object {
  if (depth >= MAX_DEPTH || n * 2 > r.b.length - r.pos) throw giveUp
  const o: Record<string, unknown> = {}
  let prevStart = -1
  let prevLen = -1
  for (let i = 0; i < n; i++) {
    r.need(1)
    const h = r.b[r.pos++] as number
    if (h >>> 5 !== 3) throw giveUp
    const len = r.arg(h & 0x1f)
    const start = r.pos
    const key = r.text(len)
    if (prevLen >= 0 && !(len > prevLen || (len === prevLen && compareBytes(r.b, prevStart, start, len) < 0))) throw giveUp
    if (key === '__proto__') throw giveUp
    prevStart = start
    prevLen = len
    const at = r.pos
    o[key] = decodeValue(r, depth + 1)
    if (depth === 0 && key === 'body') { r.bodyStart = at; r.bodyEnd = r.pos }
  }
  return Object.freeze(o)
}

function compareBytes (b: Uint8Array, x: number, y: number, n: number): number {
  for (let i = 0; i < n; i++) {
    const d = (b[x + i] as number) - (b[y + i] as number)
    if (d !== 0) return d
  }
  return 0
}

/**
 * The value of `bytes` when they are one complete canonical DAG-CBOR item of the subset above
 * (frozen objects and arrays; byte strings are views into `bytes`), with the byte range of the
 * top-level map's `body` value if it has one; undefined otherwise (the general path decides).
 */
export function fastDecode (bytes: Uint8Array): { value: unknown, body?: Uint8Array } | undefined {
  const r = new In(bytes)
  try {
    const value = decodeValue(r, 0)
    if (r.pos !== bytes.length) return undefined
    return r.bodyStart < 0 ? { value } : { value, body: bytes.subarray(r.bodyStart, r.bodyEnd) }
  } catch (e) {
    if (e === giveUp || e instanceof TypeError || e instanceof RangeError) return undefined
    throw e
  }
}
