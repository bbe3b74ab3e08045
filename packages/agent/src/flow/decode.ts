/**
 * A pure decoder for IPFIX (RFC 7011) and NetFlow v9 (RFC 3954) export packets. No I/O and no clock:
 * the caller gives each packet with the exporter it came from and the time it arrived, and gets
 * back the flow records it carried plus what happened on the way (templates learnt, records lost
 * by sequence gap, malformed input). Anything it cannot read is counted and skipped; it never
 * throws on input.
 *
 * State is kept per (exporter, observation domain): templates and options templates, the
 * sequence number, the announced sampling rate and, for IPFIX, the exporter's system init time
 * (needed to place flowStart/EndSysUpTime). A data set whose template has not arrived yet is held
 * (a copy, bounded in count) and decoded when the template comes, or dropped and counted once
 * `holdMs` has passed. Templates expire `templateLifetimeMs` after they were last announced
 * (RFC 3954 section 9; the same rule serves IPFIX over UDP, RFC 7011 section 8.4).
 *
 * Only the fields the collector needs are extracted; every other field, enterprise-specific and
 * variable-length ones included, is skipped by its length.
 */
import { IE, readUint, type Template } from './format.js'
import { decodeRecords, Fields, Flow, type FlowRecord, type RecordOut, type RecordSink, type SetOrigin } from './records.js'
import { nextSequence, type SequenceState } from './sequence.js'
import { ipfixTemplates, v9Options, v9Templates, type TemplateSink } from './templates.js'

export { IE, type FlowRecord, type RecordSink, type SequenceState }

export interface DecoderOptions {
  /** How long a data set waits for its template before it is dropped (default 5000 ms). */
  holdMs?: number
  /** At most this many held sets per exporter (default 256); more are dropped at once. */
  maxHeld?: number
  /** A template not re-announced for this long is forgotten (default 30 min). */
  templateLifetimeMs?: number
}

/** What decoding one packet produced. */
export interface DecodeResult {
  version: number
  domain: number
  /** Flow records, including those of held sets decoded now that their template arrived (empty when a sink took them). */
  records: FlowRecord[]
  /** Number of flow records decoded. */
  flows: number
  /** Template and options-template records received (withdrawals included). */
  templates: number
  /** Data records lost by sequence gap before this packet: records for IPFIX, packets for v9. */
  lost: number
  lostUnit: 'records' | 'packets'
  /** Data sets held for a template not seen yet. */
  held: number
  /** Data records dropped: sets whose template never came (held too long or too many). */
  dropped: number
  /** Set when the packet (or part of it) could not be read; what was read before stands. */
  malformed: string | undefined
  /** True when this packet was the first from a scope whose sequence state was restored. */
  restored: boolean
}

interface Held { templateId: number, bytes: Uint8Array, exportSec: number, uptime: number, at: number, version: number }

interface Domain {
  exporter: string
  id: number
  templates: Map<number, Template>
  seq: SequenceState | undefined
  restored: boolean
  samplingRate: number
  initMs: number | undefined
  held: Held[]
}

/** A packet's header: what its data sets are decoded with. */
interface Header extends SetOrigin { nowMs: number }

export class FlowDecoder {
  private readonly domains = new Map<string, Domain>()
  private readonly holdMs: number
  private readonly maxHeld: number
  private readonly lifetimeMs: number
  private readonly out: RecordOut = { sink: undefined, scratch: new Flow(), fields: new Fields(), records: [] }

  constructor (opts: DecoderOptions = {}, private readonly restoredSequences: Map<string, SequenceState> = new Map()) {
    this.holdMs = opts.holdMs ?? 5000
    this.maxHeld = opts.maxHeld ?? 256
    this.lifetimeMs = opts.templateLifetimeMs ?? 1_800_000
  }

  /**
   * The scope of templates and sequence numbers: the exporter, its transport session (for UDP,
   * the source port; RFC 7011 section 8.4) and the observation domain.
   */
  static scope (exporter: string, session: string, domain: number): string { return `${exporter}|${session}|${domain}` }

  /** Sequence states of every scope seen, to persist (see `restoredSequences`). */
  sequences (): Map<string, SequenceState> {
    const out = new Map<string, SequenceState>()
    for (const [k, d] of this.domains) if (d.seq !== undefined) out.set(k, { ...d.seq })
    return out
  }

  /** Number of data sets held for a template, over all exporters. */
  heldCount (): number {
    let n = 0
    for (const d of this.domains.values()) n += d.held.length
    return n
  }

  private domain (exporter: string, session: string, id: number): Domain {
    const key = FlowDecoder.scope(exporter, session, id)
    let d = this.domains.get(key)
    if (d === undefined) {
      const seq = this.restoredSequences.get(key)
      d = { exporter, id, templates: new Map(), seq, restored: seq !== undefined, samplingRate: 1, initMs: undefined, held: [] }
      this.restoredSequences.delete(key)
      this.domains.set(key, d)
    }
    return d
  }

  /**
   * Drop held sets older than `holdMs` and templates past their lifetime. Returns the data sets
   * dropped per exporter (records are unknown without a template: each set counts as one).
   */
  expire (nowMs: number): Map<string, number> {
    const out = new Map<string, number>()
    for (const d of this.domains.values()) {
      const keep = d.held.filter(h => nowMs - h.at < this.holdMs)
      if (keep.length !== d.held.length) {
        out.set(d.exporter, (out.get(d.exporter) ?? 0) + d.held.length - keep.length)
        d.held = keep
      }
      for (const [id, t] of d.templates) if (nowMs - t.announced >= this.lifetimeMs) d.templates.delete(id)
    }
    return out
  }

  /**
   * Decode one export packet from `exporter` (its address: records carry it) over transport
   * session `session` (e.g. the source port), received at `nowMs`.
   */
  decode (packet: Uint8Array, exporter: string, nowMs: number, session = '', sink?: RecordSink): DecodeResult {
    const res: DecodeResult = { version: 0, domain: 0, records: [], flows: 0, templates: 0, lost: 0, lostUnit: 'records', held: 0, dropped: 0, malformed: undefined, restored: false }
    this.out.sink = sink
    this.out.records = res.records
    try {
      if (packet.length < 2) { res.malformed = 'shorter than a header'; return res }
      const version = readUint(packet, 0, 2)
      res.version = version
      if (version === 10) this.ipfix(packet, exporter, session, nowMs, res)
      else if (version === 9) this.v9(packet, exporter, session, nowMs, res)
      else res.malformed = `unknown version ${version}`
      return res
    } finally {
      this.out.sink = undefined
      this.out.records = []
    }
  }

  private ipfix (p: Uint8Array, exporter: string, session: string, nowMs: number, res: DecodeResult): void {
    if (p.length < 16) { res.malformed = 'IPFIX header truncated'; return }
    const length = readUint(p, 2, 2)
    if (length < 16 || length > p.length) { res.malformed = `IPFIX length ${length} does not match the datagram (${p.length} bytes)`; return }
    const h: Header = { exporter, domainId: readUint(p, 12, 4), exportSec: readUint(p, 4, 4), uptime: 0, version: 10, nowMs }
    res.domain = h.domainId
    const d = this.domain(exporter, session, h.domainId)
    let all = 0
    let flows = 0
    let off = 16
    while (off < length) {
      if (off + 4 > length) { res.malformed = 'set header truncated'; break }
      const setId = readUint(p, off, 2)
      const setLen = readUint(p, off + 2, 2)
      if (setLen < 4 || off + setLen > length) { res.malformed = `set ${setId} length ${setLen} overruns the message`; break }
      const end = off + setLen
      if (setId === 2 || setId === 3) {
        const m = ipfixTemplates(p, off + 4, end, setId === 3, nowMs, this.templateSink(d, res))
        if (m !== undefined) { res.malformed = m; break }
      } else if (setId >= 256) {
        const before = res.flows
        all += this.dataSet(p, off + 4, end, setId, d, h, res)
        flows += res.flows - before
      } // 0, 1 and 4..255 are not IPFIX data: skipped by length
      off = end
    }
    // Records in held sets cannot be counted yet: the next message's gap cannot be judged.
    this.sequence(d, 10, readUint(p, 8, 4), res.held > 0 ? -1 : all, flows, res)
  }

  private v9 (p: Uint8Array, exporter: string, session: string, nowMs: number, res: DecodeResult): void {
    res.lostUnit = 'packets'
    if (p.length < 20) { res.malformed = 'NetFlow v9 header truncated'; return }
    const h: Header = { exporter, domainId: readUint(p, 16, 4), exportSec: readUint(p, 8, 4), uptime: readUint(p, 4, 4), version: 9, nowMs }
    res.domain = h.domainId
    const d = this.domain(exporter, session, h.domainId)
    let off = 20
    const length = p.length
    while (off < length) {
      if (off + 4 > length) {
        // Trailing padding shorter than a flowset header is tolerated when it is zeros.
        if (p.subarray(off).every(b => b === 0)) break
        res.malformed = 'flowset header truncated'
        break
      }
      const setId = readUint(p, off, 2)
      const setLen = readUint(p, off + 2, 2)
      if (setLen < 4 || off + setLen > length) { res.malformed = `flowset ${setId} length ${setLen} overruns the packet`; break }
      const end = off + setLen
      if (setId === 0 || setId === 1) {
        const read = setId === 0 ? v9Templates : v9Options
        const m = read(p, off + 4, end, nowMs, this.templateSink(d, res))
        if (m !== undefined) { res.malformed = m; break }
      } else if (setId >= 256) {
        this.dataSet(p, off + 4, end, setId, d, h, res)
      }
      off = end
    }
    this.sequence(d, 9, readUint(p, 12, 4), 0, 0, res)
  }

  /** What a template set does to the domain: templates learnt (held sets decoded) or withdrawn. */
  private templateSink (d: Domain, res: DecodeResult): TemplateSink {
    return {
      learn: (t) => {
        d.templates.set(t.id, t)
        res.templates++
        this.release(d, t, res)
      },
      withdraw: (id) => {
        res.templates++
        if (id === 2 || id === 3) {
          for (const [tid, t] of d.templates) if (t.options === (id === 3)) d.templates.delete(tid)
        } else {
          d.templates.delete(id)
        }
      }
    }
  }

  /** Decode held sets waiting for template `t`. */
  private release (d: Domain, t: Template, res: DecodeResult): void {
    if (d.held.length === 0) return
    const waiting = d.held.filter(h => h.templateId === t.id)
    if (waiting.length === 0) return
    d.held = d.held.filter(h => h.templateId !== t.id)
    for (const h of waiting) {
      const origin: SetOrigin = { exporter: d.exporter, domainId: d.id, exportSec: h.exportSec, uptime: h.uptime, version: h.version }
      this.records(h.bytes, 0, h.bytes.length, t, d, origin, res)
    }
  }

  /** One data set: decode it, or hold it until its template comes. Returns the records in it. */
  private dataSet (p: Uint8Array, off: number, end: number, setId: number, d: Domain, h: Header, res: DecodeResult): number {
    const t = d.templates.get(setId)
    if (t === undefined) {
      if (d.held.length >= this.maxHeld) { res.dropped++; return 0 }
      d.held.push({ templateId: setId, bytes: p.slice(off, end), exportSec: h.exportSec, uptime: h.uptime, at: h.nowMs, version: h.version })
      res.held++
      return 0
    }
    return this.records(p, off, end, t, d, h, res)
  }

  private records (p: Uint8Array, off: number, end: number, t: Template, d: Domain, origin: SetOrigin, res: DecodeResult): number {
    const r = decodeRecords(p, off, end, t, d, origin, this.out)
    res.flows += r.flows
    if (r.malformed !== undefined) res.malformed = r.malformed
    return r.records
  }

  /** Compare the packet's sequence number with the last one of its scope, counting a gap as lost. */
  private sequence (d: Domain, version: number, seq: number, all: number, flows: number, res: DecodeResult): void {
    if (d.restored) { res.restored = true; d.restored = false }
    const next = nextSequence(d.seq, version, seq, all, flows)
    d.seq = next.state
    res.lost = next.lost
  }
}
