/**
 * An IPFIX (RFC 7011) and NetFlow v9 (RFC 3954) encoder written for the tests and the benchmark:
 * templates, options templates, withdrawals, data sets with fixed, reduced-size, variable-length
 * and enterprise-specific fields, and the padding rules. It is the decoder's independent mirror.
 */

export interface FieldSpec { ie: number, length: number, enterprise?: number }
export interface TemplateSpec { id: number, fields: FieldSpec[], scopeCount?: number }
/** A field value: an unsigned integer, or raw bytes (addresses, strings, variable-length values). */
export type FieldValue = number | bigint | Uint8Array

export type SetSpec =
  | { kind: 'templates', templates: TemplateSpec[] }
  | { kind: 'options-templates', templates: TemplateSpec[] }
  | { kind: 'withdraw', ids: number[], options?: boolean }
  | { kind: 'data', templateId: number, template: TemplateSpec, records: FieldValue[][], pad?: number }
  | { kind: 'raw', setId: number, bytes: Uint8Array }

export const VARLEN = 65535

class Writer {
  private buf = new Uint8Array(256)
  length = 0
  private grow (n: number): void {
    if (this.length + n <= this.buf.length) return
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n))
    next.set(this.buf.subarray(0, this.length))
    this.buf = next
  }

  u8 (v: number): void { this.grow(1); this.buf[this.length++] = v & 255 }
  u16 (v: number): void { this.u8(v >>> 8); this.u8(v) }
  u32 (v: number): void { this.u16(Math.floor(v / 65536) & 0xffff); this.u16(v & 0xffff) }
  uint (v: number | bigint, len: number): void {
    let x = BigInt(v)
    const bytes = new Array<number>(len)
    for (let i = len - 1; i >= 0; i--) { bytes[i] = Number(x & 255n); x >>= 8n }
    for (const b of bytes) this.u8(b)
  }

  bytes (b: Uint8Array): void { this.grow(b.length); this.buf.set(b, this.length); this.length += b.length }
  set16 (at: number, v: number): void { this.buf[at] = (v >>> 8) & 255; this.buf[at + 1] = v & 255 }
  done (): Uint8Array { return this.buf.slice(0, this.length) }
}

function writeValue (w: Writer, f: FieldSpec, v: FieldValue): void {
  if (f.length === VARLEN) {
    const b = v instanceof Uint8Array ? v : new Uint8Array(0)
    if (b.length < 255) w.u8(b.length)
    else { w.u8(255); w.u16(b.length) }
    w.bytes(b)
    return
  }
  if (v instanceof Uint8Array) {
    const b = new Uint8Array(f.length)
    b.set(v.subarray(0, f.length))
    w.bytes(b)
  } else {
    w.uint(v, f.length)
  }
}

function ipfixSet (w: Writer, s: SetSpec): void {
  const start = w.length
  const setId = s.kind === 'templates' ? 2 : s.kind === 'options-templates' ? 3 : s.kind === 'withdraw' ? (s.options === true ? 3 : 2) : s.kind === 'data' ? s.templateId : s.setId
  w.u16(setId)
  w.u16(0)
  if (s.kind === 'templates' || s.kind === 'options-templates') {
    for (const t of s.templates) {
      w.u16(t.id)
      w.u16(t.fields.length)
      if (s.kind === 'options-templates') w.u16(t.scopeCount ?? 1)
      for (const f of t.fields) {
        const ent = f.enterprise !== undefined && f.enterprise !== 0
        w.u16((f.ie & 0x7fff) | (ent ? 0x8000 : 0))
        w.u16(f.length)
        if (ent) w.u32(f.enterprise as number)
      }
    }
  } else if (s.kind === 'withdraw') {
    for (const id of s.ids) { w.u16(id); w.u16(0) }
  } else if (s.kind === 'data') {
    for (const r of s.records) s.template.fields.forEach((f, i) => { writeValue(w, f, r[i] ?? 0) })
    for (let i = 0; i < (s.pad ?? 0); i++) w.u8(0)
  } else {
    w.bytes(s.bytes)
  }
  w.set16(start + 2, w.length - start)
}

/** An IPFIX message. */
export function encodeIpfix (m: { exportTime: number, sequence: number, domain: number, sets: SetSpec[] }): Uint8Array {
  const w = new Writer()
  w.u16(10)
  w.u16(0)
  w.u32(m.exportTime)
  w.u32(m.sequence >>> 0)
  w.u32(m.domain)
  for (const s of m.sets) ipfixSet(w, s)
  w.set16(2, w.length)
  return w.done()
}

function v9Set (w: Writer, s: SetSpec): void {
  const start = w.length
  if (s.kind === 'templates') {
    w.u16(0); w.u16(0)
    for (const t of s.templates) {
      w.u16(t.id); w.u16(t.fields.length)
      for (const f of t.fields) { w.u16(f.ie); w.u16(f.length) }
    }
  } else if (s.kind === 'options-templates') {
    w.u16(1); w.u16(0)
    for (const t of s.templates) {
      const scopes = t.scopeCount ?? 1
      w.u16(t.id); w.u16(scopes * 4); w.u16((t.fields.length - scopes) * 4)
      for (const f of t.fields) { w.u16(f.ie); w.u16(f.length) }
    }
    while ((w.length - start) % 4 !== 0) w.u8(0)
  } else if (s.kind === 'data') {
    w.u16(s.templateId); w.u16(0)
    for (const r of s.records) s.template.fields.forEach((f, i) => { writeValue(w, f, r[i] ?? 0) })
    for (let i = 0; i < (s.pad ?? 0); i++) w.u8(0)
  } else if (s.kind === 'raw') {
    w.u16(s.setId); w.u16(0); w.bytes(s.bytes)
  } else {
    throw new Error('NetFlow v9 has no template withdrawal')
  }
  w.set16(start + 2, w.length - start)
}

/** A NetFlow v9 export packet. `count` defaults to the number of records (templates and data). */
export function encodeV9 (m: { uptime: number, exportSec: number, sequence: number, sourceId: number, sets: SetSpec[], count?: number }): Uint8Array {
  const w = new Writer()
  const count = m.count ?? m.sets.reduce((n, s) => n + (s.kind === 'data' ? s.records.length : s.kind === 'templates' || s.kind === 'options-templates' ? s.templates.length : 0), 0)
  w.u16(9); w.u16(count); w.u32(m.uptime >>> 0); w.u32(m.exportSec); w.u32(m.sequence >>> 0); w.u32(m.sourceId)
  for (const s of m.sets) v9Set(w, s)
  return w.done()
}

/** IPv4 or IPv6 address text to bytes (for tests; no validation). */
export function ip (text: string): Uint8Array {
  if (text.includes('.') && !text.includes(':')) return Uint8Array.from(text.split('.').map(Number))
  const [head = '', tail = ''] = text.split('::')
  const h = head === '' ? [] : head.split(':')
  const t = tail === '' ? [] : tail.split(':')
  const groups = text.includes('::') ? [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t] : h
  const out = new Uint8Array(16)
  groups.forEach((g, i) => { const v = parseInt(g, 16); out[2 * i] = v >> 8; out[2 * i + 1] = v & 255 })
  return out
}

/** The flow fields the collector reads, as a test describes a flow. */
export interface TestFlow {
  src: Uint8Array
  dst: Uint8Array
  octets: number
  packets: number
  dscp: number
  startMs: number
  endMs: number
  inIf?: number
  outIf?: number
  prevAs?: number
  nextAs?: number
}

/** A template carrying TestFlow fields with absolute millisecond times (IPFIX or v9). */
export function flowTemplate (id: number, v6: boolean, extra: FieldSpec[] = []): TemplateSpec {
  return {
    id,
    fields: [
      { ie: v6 ? 27 : 8, length: v6 ? 16 : 4 },
      { ie: v6 ? 28 : 12, length: v6 ? 16 : 4 },
      { ie: 1, length: 8 },
      { ie: 2, length: 4 },
      { ie: 5, length: 1 },
      { ie: 10, length: 4 },
      { ie: 14, length: 4 },
      { ie: 129, length: 4 },
      { ie: 128, length: 4 },
      { ie: 152, length: 8 },
      { ie: 153, length: 8 },
      ...extra
    ]
  }
}

export function flowValues (f: TestFlow, extra: FieldValue[] = []): FieldValue[] {
  return [f.src, f.dst, f.octets, f.packets, f.dscp << 2, f.inIf ?? 0, f.outIf ?? 0, f.prevAs ?? 0, f.nextAs ?? 0, f.startMs, f.endMs, ...extra]
}
