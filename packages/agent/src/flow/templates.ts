/**
 * Template sets: IPFIX templates and options templates (RFC 7011 section 3.4), NetFlow v9
 * templates and options templates (RFC 3954 sections 5.2, 6.1), compiled for record decoding.
 * Each function reads one set's records and says what it learnt; it returns why the set could not
 * be read (what was read before stands), or undefined.
 */
import { compile, readUint, VARLEN, type Template } from './format.js'
import { kindOf, SKIP } from './records.js'

/** What a template set does: announce (or re-announce) a template, or withdraw some. */
export interface TemplateSink {
  learn: (t: Template) => void
  /** IPFIX: withdraw template `id`, or every template (id 2) or options template (id 3). */
  withdraw: (id: number) => void
}

/** One IPFIX template record's fields from `off`: the offset after them, or why they cannot be read. */
function ipfixFields (p: Uint8Array, off: number, end: number, id: number, kinds: Uint8Array, lengths: Uint16Array): number | string {
  for (let i = 0; i < kinds.length; i++) {
    if (off + 4 > end) return `template ${id} truncated`
    let ie = readUint(p, off, 2)
    const len = readUint(p, off + 2, 2)
    off += 4
    let pen = 0
    if ((ie & 0x8000) !== 0) {
      if (off + 4 > end) return `template ${id} truncated`
      pen = readUint(p, off, 4)
      off += 4
      ie &= 0x7fff
    }
    kinds[i] = kindOf(ie, pen, len)
    lengths[i] = len
  }
  return off
}

/** An IPFIX template set (or options template set, with `options`) from `off` to `end`. */
export function ipfixTemplates (p: Uint8Array, off: number, end: number, options: boolean, nowMs: number, sink: TemplateSink): string | undefined {
  while (off + 4 <= end) {
    const id = readUint(p, off, 2)
    const count = readUint(p, off + 2, 2)
    off += 4
    if (id === 0 && count === 0) break // padding
    if (count === 0) {
      // Withdrawal: one template, or all (options) templates when the id is the set id.
      sink.withdraw(id)
      continue
    }
    if (id < 256) return `template id ${id} is reserved`
    if (options) {
      if (off + 2 > end) return 'options template header truncated'
      const scopes = readUint(p, off, 2)
      off += 2
      if (scopes === 0 || scopes > count) return `options template ${id} has ${scopes} scope fields of ${count}`
    }
    const kinds = new Uint8Array(count)
    const lengths = new Uint16Array(count)
    const read = ipfixFields(p, off, end, id, kinds, lengths)
    if (typeof read === 'string') return read
    off = read
    const t = compile(id, options, kinds, lengths, nowMs)
    if (t === undefined) return `template ${id} has a record length of 0`
    sink.learn(t)
  }
  return undefined
}

/** A NetFlow v9 template flowset from `off` to `end`. */
export function v9Templates (p: Uint8Array, off: number, end: number, nowMs: number, sink: TemplateSink): string | undefined {
  while (off + 4 <= end) {
    const id = readUint(p, off, 2)
    const count = readUint(p, off + 2, 2)
    off += 4
    if (id === 0 && count === 0) break // padding
    if (id < 256) return `template id ${id} is reserved`
    if (count === 0) return `template ${id} has no fields`
    if (off + 4 * count > end) return `template ${id} truncated`
    const kinds = new Uint8Array(count)
    const lengths = new Uint16Array(count)
    for (let i = 0; i < count; i++) {
      const len = readUint(p, off + 2, 2)
      kinds[i] = kindOf(readUint(p, off, 2), 0, len)
      lengths[i] = len
      off += 4
    }
    const t = compile(id, false, kinds, lengths, nowMs)
    if (t === undefined) return `template ${id} has a record length of 0`
    sink.learn(t)
  }
  return undefined
}

/** A NetFlow v9 options template flowset from `off` to `end`. */
export function v9Options (p: Uint8Array, off: number, end: number, nowMs: number, sink: TemplateSink): string | undefined {
  while (off + 6 <= end) {
    const id = readUint(p, off, 2)
    const scopeLen = readUint(p, off + 2, 2)
    const optLen = readUint(p, off + 4, 2)
    off += 6
    if (id === 0 && scopeLen === 0 && optLen === 0) break // padding
    if (id < 256) return `options template id ${id} is reserved`
    if (scopeLen % 4 !== 0 || optLen % 4 !== 0 || off + scopeLen + optLen > end) return `options template ${id} lengths are inconsistent`
    const count = (scopeLen + optLen) / 4
    const kinds = new Uint8Array(count)
    const lengths = new Uint16Array(count)
    for (let i = 0; i < count; i++) {
      const type = readUint(p, off, 2)
      const len = readUint(p, off + 2, 2)
      // v9 scope field types (1..5) are not information elements: never read them as fields.
      kinds[i] = i < scopeLen / 4 ? SKIP : kindOf(type, 0, len)
      lengths[i] = len === VARLEN ? 0 : len // v9 has no variable-length fields
      off += 4
    }
    const t = compile(id, true, kinds, lengths, nowMs)
    if (t === undefined) return `options template ${id} has a record length of 0`
    sink.learn(t)
    // Records follow templates 4-byte aligned within the flowset: skip padding if any.
  }
  return undefined
}
