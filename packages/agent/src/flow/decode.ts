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

/** One flow record, with the fields the collector attributes and counts. -1 means absent. */
export interface FlowRecord {
  /** The exporter's address (as given to `decode`). */
  exporter: string
  domain: number
  octets: number
  packets: number
  /** DiffServ code point 0..63, or -1. */
  dscp: number
  /** Source and destination addresses (4 or 16 bytes), read from `buf` at `srcAt`/`dstAt`. */
  readonly src: Uint8Array | undefined
  readonly dst: Uint8Array | undefined
  /** Where the addresses are, without copying them: `buf` from `srcAt`, `srcLen` bytes (0: absent). */
  buf: Uint8Array
  srcAt: number
  srcLen: number
  dstAt: number
  dstLen: number
  inIf: number
  outIf: number
  /** bgpPrevAdjacentAsNumber: the AS the flow came from; -1 when absent. */
  prevAs: number
  /** bgpNextAdjacentAsNumber: the AS the flow goes to; -1 when absent. */
  nextAs: number
  /** Flow start and end, ms since the epoch (start <= end). */
  startMs: number
  endMs: number
  /** Sampling rate announced for this record (record fields, else the domain's options), 1 when none. */
  samplingRate: number
}

/** A flow record over the bytes it was read from (addresses are views made on demand). */
class Flow implements FlowRecord {
  exporter = ''
  domain = 0
  octets = 0
  packets = 0
  dscp = -1
  buf: Uint8Array = EMPTY
  srcAt = 0
  srcLen = 0
  dstAt = 0
  dstLen = 0
  inIf = -1
  outIf = -1
  prevAs = -1
  nextAs = -1
  startMs = 0
  endMs = 0
  samplingRate = 1
  get src (): Uint8Array | undefined { return this.srcLen === 0 ? undefined : this.buf.subarray(this.srcAt, this.srcAt + this.srcLen) }
  get dst (): Uint8Array | undefined { return this.dstLen === 0 ? undefined : this.buf.subarray(this.dstAt, this.dstAt + this.dstLen) }
}

const EMPTY = new Uint8Array(0)

/** Called with each flow record as it is decoded; the record object is reused: copy what you keep. */
export type RecordSink = (rec: FlowRecord) => void

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

/** Sequence state of one scope, kept across restarts by the collector. */
export interface SequenceState {
  version: number
  /** Last sequence number seen. */
  seq: number
  /** Data records in that packet: all of them (-1: unknown, some sets were held), and flow records only (IPFIX). */
  all: number
  flows: number
  /** How this exporter counts (IPFIX): 'rfc' (records before this message) or 'post' (including it). */
  style: 'rfc' | 'post' | undefined
}

export const IE = {
  octetDeltaCount: 1,
  packetDeltaCount: 2,
  ipClassOfService: 5,
  sourceIPv4Address: 8,
  ingressInterface: 10,
  destinationIPv4Address: 12,
  egressInterface: 14,
  flowEndSysUpTime: 21,
  flowStartSysUpTime: 22,
  postOctetDeltaCount: 23,
  postPacketDeltaCount: 24,
  sourceIPv6Address: 27,
  destinationIPv6Address: 28,
  samplingInterval: 34,
  samplerRandomInterval: 50,
  bgpNextAdjacentAsNumber: 128,
  bgpPrevAdjacentAsNumber: 129,
  flowStartSeconds: 150,
  flowEndSeconds: 151,
  flowStartMilliseconds: 152,
  flowEndMilliseconds: 153,
  flowStartMicroseconds: 154,
  flowEndMicroseconds: 155,
  flowStartNanoseconds: 156,
  flowEndNanoseconds: 157,
  systemInitTimeMilliseconds: 160,
  ipDiffServCodePoint: 195,
  samplingPacketInterval: 305,
  samplingPacketSpace: 306,
  samplingSize: 309,
  samplingPopulation: 310
} as const

const VARLEN = 65535
/** Seconds from 1900-01-01 (NTP era 0) to 1970-01-01. */
const NTP_UNIX = 2_208_988_800
const TWO32 = 4_294_967_296

/** What a field is for, by position in a compiled template. */
const enum K {
  Skip = 0, Octets, Packets, PostOctets, PostPackets, Tos, Dscp, Src4, Dst4, Src6, Dst6, InIf, OutIf, NextAs, PrevAs,
  EndUp, StartUp, StartS, EndS, StartMs, EndMs, StartNtp, EndNtp,
  SamplingInterval, PacketInterval, PacketSpace, SamplingSize, SamplingPopulation, InitMs
}

function kindOf (ie: number, enterprise: number, length: number): K {
  if (enterprise !== 0) return K.Skip
  switch (ie) {
    case IE.octetDeltaCount: return K.Octets
    case IE.packetDeltaCount: return K.Packets
    case IE.postOctetDeltaCount: return K.PostOctets
    case IE.postPacketDeltaCount: return K.PostPackets
    case IE.ipClassOfService: return length === 1 ? K.Tos : K.Skip
    case IE.ipDiffServCodePoint: return length === 1 ? K.Dscp : K.Skip
    case IE.sourceIPv4Address: return length === 4 ? K.Src4 : K.Skip
    case IE.destinationIPv4Address: return length === 4 ? K.Dst4 : K.Skip
    case IE.sourceIPv6Address: return length === 16 ? K.Src6 : K.Skip
    case IE.destinationIPv6Address: return length === 16 ? K.Dst6 : K.Skip
    case IE.ingressInterface: return K.InIf
    case IE.egressInterface: return K.OutIf
    case IE.bgpNextAdjacentAsNumber: return K.NextAs
    case IE.bgpPrevAdjacentAsNumber: return K.PrevAs
    case IE.flowEndSysUpTime: return length === 4 ? K.EndUp : K.Skip
    case IE.flowStartSysUpTime: return length === 4 ? K.StartUp : K.Skip
    case IE.flowStartSeconds: return K.StartS
    case IE.flowEndSeconds: return K.EndS
    case IE.flowStartMilliseconds: return K.StartMs
    case IE.flowEndMilliseconds: return K.EndMs
    case IE.flowStartMicroseconds: case IE.flowStartNanoseconds: return length === 8 ? K.StartNtp : K.Skip
    case IE.flowEndMicroseconds: case IE.flowEndNanoseconds: return length === 8 ? K.EndNtp : K.Skip
    case IE.samplingInterval: case IE.samplerRandomInterval: return K.SamplingInterval
    case IE.samplingPacketInterval: return K.PacketInterval
    case IE.samplingPacketSpace: return K.PacketSpace
    case IE.samplingSize: return K.SamplingSize
    case IE.samplingPopulation: return K.SamplingPopulation
    case IE.systemInitTimeMilliseconds: return K.InitMs
    default: return K.Skip
  }
}

/** A template compiled for decoding: each field's kind and length (VARLEN for variable). */
interface Template {
  id: number
  options: boolean
  kinds: Uint8Array
  lengths: Uint16Array
  /** Length of a record without variable-length fields counted (each at least 1 byte). */
  minLength: number
  /** Fixed record length, or -1 when a field is variable-length. */
  fixedLength: number
  /** Whether records carry a flow (addresses or counters): options records never do. */
  announced: number
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

/** Read an unsigned big-endian integer of 1..8 bytes as a number (exact up to 2^53). */
function readUint (b: Uint8Array, o: number, len: number): number {
  switch (len) {
    case 1: return b[o] as number
    case 2: return ((b[o] as number) << 8) | (b[o + 1] as number)
    case 4: return (((b[o] as number) << 24) >>> 0) + (((b[o + 1] as number) << 16) | ((b[o + 2] as number) << 8) | (b[o + 3] as number))
    default: {
      let v = 0
      for (let i = 0; i < len; i++) v = v * 256 + (b[o + i] as number)
      return v
    }
  }
}

export class FlowDecoder {
  private readonly domains = new Map<string, Domain>()
  private readonly holdMs: number
  private readonly maxHeld: number
  private readonly lifetimeMs: number
  private sink: RecordSink | undefined
  private readonly scratch = new Flow()

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
    this.sink = sink
    try {
      return this.decodeInto(packet, exporter, nowMs, session)
    } finally {
      this.sink = undefined
    }
  }

  private decodeInto (packet: Uint8Array, exporter: string, nowMs: number, session: string): DecodeResult {
    const res: DecodeResult = { version: 0, domain: 0, records: [], flows: 0, templates: 0, lost: 0, lostUnit: 'records', held: 0, dropped: 0, malformed: undefined, restored: false }
    if (packet.length < 2) { res.malformed = 'shorter than a header'; return res }
    const version = readUint(packet, 0, 2)
    res.version = version
    if (version === 10) this.ipfix(packet, exporter, session, nowMs, res)
    else if (version === 9) this.v9(packet, exporter, session, nowMs, res)
    else res.malformed = `unknown version ${version}`
    return res
  }

  private ipfix (p: Uint8Array, exporter: string, session: string, nowMs: number, res: DecodeResult): void {
    if (p.length < 16) { res.malformed = 'IPFIX header truncated'; return }
    const length = readUint(p, 2, 2)
    if (length < 16 || length > p.length) { res.malformed = `IPFIX length ${length} does not match the datagram (${p.length} bytes)`; return }
    const exportSec = readUint(p, 4, 4)
    const seq = readUint(p, 8, 4)
    const domainId = readUint(p, 12, 4)
    res.domain = domainId
    const d = this.domain(exporter, session, domainId)
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
        const m = this.ipfixTemplates(p, off + 4, end, setId === 3, d, nowMs, res)
        if (m !== undefined) { res.malformed = m; break }
      } else if (setId >= 256) {
        const before = res.flows
        all += this.dataSet(p, off + 4, end, setId, d, exporter, domainId, exportSec, 0, 10, nowMs, res)
        flows += res.flows - before
      } // 0, 1 and 4..255 are not IPFIX data: skipped by length
      off = end
    }
    // Records in held sets cannot be counted yet: the next message's gap cannot be judged.
    this.sequence(d, 10, seq, res.held > 0 ? -1 : all, flows, res)
  }

  private ipfixTemplates (p: Uint8Array, off: number, end: number, options: boolean, d: Domain, nowMs: number, res: DecodeResult): string | undefined {
    while (off + 4 <= end) {
      const id = readUint(p, off, 2)
      const count = readUint(p, off + 2, 2)
      off += 4
      if (id === 0 && count === 0) break // padding
      if (count === 0) {
        // Withdrawal: one template, or all (options) templates when the id is the set id.
        res.templates++
        if (id === 2 || id === 3) {
          for (const [tid, t] of d.templates) if (t.options === (id === 3)) d.templates.delete(tid)
        } else {
          d.templates.delete(id)
        }
        continue
      }
      if (id < 256) return `template id ${id} is reserved`
      let scopes = 0
      if (options) {
        if (off + 2 > end) return 'options template header truncated'
        scopes = readUint(p, off, 2)
        off += 2
        if (scopes === 0 || scopes > count) return `options template ${id} has ${scopes} scope fields of ${count}`
      }
      const kinds = new Uint8Array(count)
      const lengths = new Uint16Array(count)
      for (let i = 0; i < count; i++) {
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
      const t = compile(id, options, kinds, lengths, nowMs)
      if (t === undefined) return `template ${id} has a record length of 0`
      d.templates.set(id, t)
      res.templates++
      this.release(d, id, res)
    }
    return undefined
  }

  private v9 (p: Uint8Array, exporter: string, session: string, nowMs: number, res: DecodeResult): void {
    res.lostUnit = 'packets'
    if (p.length < 20) { res.malformed = 'NetFlow v9 header truncated'; return }
    const uptime = readUint(p, 4, 4)
    const exportSec = readUint(p, 8, 4)
    const seq = readUint(p, 12, 4)
    const domainId = readUint(p, 16, 4)
    res.domain = domainId
    const d = this.domain(exporter, session, domainId)
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
      if (setId === 0) {
        const m = this.v9Templates(p, off + 4, end, d, nowMs, res)
        if (m !== undefined) { res.malformed = m; break }
      } else if (setId === 1) {
        const m = this.v9Options(p, off + 4, end, d, nowMs, res)
        if (m !== undefined) { res.malformed = m; break }
      } else if (setId >= 256) {
        this.dataSet(p, off + 4, end, setId, d, exporter, domainId, exportSec, uptime, 9, nowMs, res)
      }
      off = end
    }
    this.sequence(d, 9, seq, 0, 0, res)
  }

  private v9Templates (p: Uint8Array, off: number, end: number, d: Domain, nowMs: number, res: DecodeResult): string | undefined {
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
      d.templates.set(id, t)
      res.templates++
      this.release(d, id, res)
    }
    return undefined
  }

  private v9Options (p: Uint8Array, off: number, end: number, d: Domain, nowMs: number, res: DecodeResult): string | undefined {
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
        kinds[i] = i < scopeLen / 4 ? K.Skip : kindOf(type, 0, len)
        lengths[i] = len === VARLEN ? 0 : len // v9 has no variable-length fields
        off += 4
      }
      const t = compile(id, true, kinds, lengths, nowMs)
      if (t === undefined) return `options template ${id} has a record length of 0`
      d.templates.set(id, t)
      res.templates++
      this.release(d, id, res)
      // Records follow templates 4-byte aligned within the flowset: skip padding if any.
    }
    return undefined
  }

  /** Decode held sets waiting for template `id`. */
  private release (d: Domain, id: number, res: DecodeResult): void {
    if (d.held.length === 0) return
    const waiting = d.held.filter(h => h.templateId === id)
    if (waiting.length === 0) return
    d.held = d.held.filter(h => h.templateId !== id)
    const t = d.templates.get(id) as Template
    for (const h of waiting) this.records(h.bytes, 0, h.bytes.length, t, d, d.exporter, d.id, h.exportSec, h.uptime, h.version, res)
  }

  /** One data set: decode it, or hold it until its template comes. Returns the records in it. */
  private dataSet (p: Uint8Array, off: number, end: number, setId: number, d: Domain, exporter: string, domainId: number, exportSec: number, uptime: number, version: number, nowMs: number, res: DecodeResult): number {
    const t = d.templates.get(setId)
    if (t === undefined) {
      if (d.held.length >= this.maxHeld) { res.dropped++; return 0 }
      d.held.push({ templateId: setId, bytes: p.slice(off, end), exportSec, uptime, at: nowMs, version })
      res.held++
      return 0
    }
    return this.records(p, off, end, t, d, exporter, domainId, exportSec, uptime, version, res)
  }

  private records (p: Uint8Array, off: number, end: number, t: Template, d: Domain, exporter: string, domainId: number, exportSec: number, uptime: number, version: number, res: DecodeResult): number {
    let n = 0
    const { kinds, lengths } = t
    const count = kinds.length
    while (end - off >= t.minLength) {
      if (t.fixedLength > 0 && end - off < t.fixedLength) break
      let octets = -1; let packets = -1; let postOctets = -1; let postPackets = -1
      let dscp = -1
      let srcAt = 0; let srcLen = 0; let dstAt = 0; let dstLen = 0
      let inIf = -1; let outIf = -1; let nextAs = -1; let prevAs = -1
      let startUp = -1; let endUp = -1; let startMs = -1; let endMs = -1
      let sInterval = -1; let pInterval = -1; let pSpace = -1; let sSize = -1; let sPop = -1; let initMs = -1
      let bad = false
      for (let i = 0; i < count; i++) {
        let len = lengths[i] as number
        if (len === VARLEN) {
          if (off >= end) { bad = true; break }
          len = p[off] as number
          off++
          if (len === 255) {
            if (off + 2 > end) { bad = true; break }
            len = readUint(p, off, 2)
            off += 2
          }
        }
        if (off + len > end) { bad = true; break }
        const k = kinds[i] as K
        if (k !== K.Skip && len > 0 && len <= 8) {
          switch (k) {
            case K.Octets: octets = readUint(p, off, len); break
            case K.Packets: packets = readUint(p, off, len); break
            case K.PostOctets: postOctets = readUint(p, off, len); break
            case K.PostPackets: postPackets = readUint(p, off, len); break
            case K.Tos: dscp = (p[off] as number) >> 2; break
            case K.Dscp: dscp = (p[off] as number) & 63; break
            case K.Src4: srcAt = off; srcLen = 4; break
            case K.Dst4: dstAt = off; dstLen = 4; break
            case K.InIf: inIf = readUint(p, off, len); break
            case K.OutIf: outIf = readUint(p, off, len); break
            case K.NextAs: nextAs = readUint(p, off, len); break
            case K.PrevAs: prevAs = readUint(p, off, len); break
            case K.StartUp: startUp = readUint(p, off, 4); break
            case K.EndUp: endUp = readUint(p, off, 4); break
            case K.StartS: startMs = readUint(p, off, len) * 1000; break
            case K.EndS: endMs = readUint(p, off, len) * 1000; break
            case K.StartMs: startMs = readUint(p, off, len); break
            case K.EndMs: endMs = readUint(p, off, len); break
            case K.StartNtp: startMs = ntpMs(p, off); break
            case K.EndNtp: endMs = ntpMs(p, off); break
            case K.SamplingInterval: sInterval = readUint(p, off, len); break
            case K.PacketInterval: pInterval = readUint(p, off, len); break
            case K.PacketSpace: pSpace = readUint(p, off, len); break
            case K.SamplingSize: sSize = readUint(p, off, len); break
            case K.SamplingPopulation: sPop = readUint(p, off, len); break
            case K.InitMs: initMs = readUint(p, off, len); break
          }
        } else if ((k === K.Src6 || k === K.Dst6) && len === 16) {
          if (k === K.Src6) { srcAt = off; srcLen = 16 } else { dstAt = off; dstLen = 16 }
        }
        off += len
      }
      if (bad) { res.malformed = `record of template ${t.id} overruns its set`; break }
      n++
      // The sampling a record announces: its own fields, else the domain's options.
      let rate = -1
      if (pInterval > 0 && pSpace >= 0) rate = Math.round((pInterval + pSpace) / pInterval)
      else if (sSize > 0 && sPop > 0) rate = Math.round(sPop / sSize)
      else if (sInterval > 0) rate = sInterval
      if (t.options) {
        if (rate >= 1) d.samplingRate = rate
        if (initMs >= 0) d.initMs = initMs
        continue
      }
      if (octets < 0) octets = postOctets
      if (packets < 0) packets = postPackets
      if (octets < 0 && packets < 0) continue // not a flow record (no counters): nothing to count
      // Times: absolute fields first, else sysUpTime against the exporter's clock.
      if (version === 9) {
        const base = exportSec * 1000
        if (startMs < 0 && startUp >= 0) startMs = base + signed32(startUp - uptime)
        if (endMs < 0 && endUp >= 0) endMs = base + signed32(endUp - uptime)
      } else if (d.initMs !== undefined) {
        if (startMs < 0 && startUp >= 0) startMs = d.initMs + startUp
        if (endMs < 0 && endUp >= 0) endMs = d.initMs + endUp
      }
      if (endMs < 0) endMs = startMs >= 0 ? startMs : exportSec * 1000
      if (startMs < 0 || startMs > endMs) startMs = endMs
      const sink = this.sink
      const r = sink !== undefined ? this.scratch : new Flow()
      r.exporter = exporter; r.domain = domainId
      r.octets = octets < 0 ? 0 : octets
      r.packets = packets < 0 ? 0 : packets
      r.dscp = dscp
      r.buf = p; r.srcAt = srcAt; r.srcLen = srcLen; r.dstAt = dstAt; r.dstLen = dstLen
      r.inIf = inIf; r.outIf = outIf; r.prevAs = prevAs; r.nextAs = nextAs
      r.startMs = startMs; r.endMs = endMs
      r.samplingRate = rate >= 1 ? rate : d.samplingRate
      res.flows++
      if (sink !== undefined) sink(r)
      else res.records.push(r)
    }
    return n
  }

  /** Compare the packet's sequence number with the last one of its scope, counting a gap as lost. */
  private sequence (d: Domain, version: number, seq: number, all: number, flows: number, res: DecodeResult): void {
    const prev = d.seq
    if (d.restored) { res.restored = true; d.restored = false }
    if (prev !== undefined && prev.version === version) {
      const diff = (seq - prev.seq + TWO32) % TWO32
      if (diff > 0x7fffffff) {
        // Backwards: reordered or a restarted exporter. No loss can be told; start again from here.
      } else if (version === 9) {
        res.lost = diff === 0 ? 0 : diff - 1
      } else if (prev.all < 0 || all < 0) {
        // This message or the last had sets held for their template: the count is unknown.
        d.seq = { version, seq, all, flows, style: prev.style }
        return
      } else {
        // RFC 7011: the number counts records sent before this message. Some exporters count
        // this message's records too (softflowd); learn which once it shows, count the least loss till then.
        let style = prev.style
        if (style === undefined && diff === prev.all && diff !== flows && diff !== all) style = 'rfc'
        else if (style === undefined && (diff === flows || diff === all) && diff !== prev.all) style = 'post'
        const rfc = diff - prev.all
        const post = diff - Math.min(flows, all)
        const lost = style === 'rfc' ? rfc : style === 'post' ? post : Math.min(rfc, post)
        res.lost = Math.max(0, lost)
        d.seq = { version, seq, all, flows, style }
        return
      }
    }
    d.seq = { version, seq, all, flows, style: prev?.style }
  }
}

function compile (id: number, options: boolean, kinds: Uint8Array, lengths: Uint16Array, nowMs: number): Template | undefined {
  let min = 0
  let fixed = 0
  for (const l of lengths) {
    if (l === VARLEN) { min += 1; fixed = -1 } else { min += l; if (fixed >= 0) fixed += l }
  }
  if (min === 0) return undefined
  return { id, options, kinds, lengths, minLength: min, fixedLength: fixed, announced: nowMs }
}

function signed32 (x: number): number {
  const v = ((x % TWO32) + TWO32) % TWO32
  return v >= 0x80000000 ? v - TWO32 : v
}

/** An NTP timestamp (RFC 7011 dateTimeMicro/Nanoseconds) as ms since the Unix epoch. */
function ntpMs (p: Uint8Array, off: number): number {
  const sec = readUint(p, off, 4)
  const frac = readUint(p, off + 4, 4)
  return (sec - NTP_UNIX) * 1000 + Math.floor(frac * 1000 / TWO32)
}
