/**
 * Data records: one data set's records decoded with their template into flow records (the fields
 * the collector attributes and counts), or, for options records, into the domain's sampling rate
 * and the exporter's system init time.
 */
import { IE, ntpMs, readUint, signed32, VARLEN, type Template } from './format.js'

/** What a field is for, by position in a compiled template (not exported: its members are inlined). */
const enum K {
  Skip = 0, Octets, Packets, PostOctets, PostPackets, Tos, Dscp, Src4, Dst4, Src6, Dst6, InIf, OutIf, NextAs, PrevAs,
  EndUp, StartUp, StartS, EndS, StartMs, EndMs, StartNtp, EndNtp,
  SamplingInterval, PacketInterval, PacketSpace, SamplingSize, SamplingPopulation, InitMs
}

export function kindOf (ie: number, enterprise: number, length: number): number {
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

/** The kind of a field that is skipped by its length. */
export const SKIP: number = K.Skip

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

const EMPTY = new Uint8Array(0)

/** A flow record over the bytes it was read from (addresses are views made on demand). */
export class Flow implements FlowRecord {
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

/** Called with each flow record as it is decoded; the record object is reused: copy what you keep. */
export type RecordSink = (rec: FlowRecord) => void

/** The fields of one record that a flow record does not carry (-1: absent), reused from record to record. */
export class Fields {
  startUp = -1; endUp = -1
  sInterval = -1; pInterval = -1; pSpace = -1; sSize = -1; sPop = -1; initMs = -1
}

/** The per-domain state options records set. */
export interface DomainOptions { samplingRate: number, initMs: number | undefined }

/** Where a data set came from: its packet's header fields. */
export interface SetOrigin { exporter: string, domainId: number, exportSec: number, uptime: number, version: number }

/** Where decoded records go: a sink (with a reused record), else the result's list. */
export interface RecordOut { sink: RecordSink | undefined, scratch: Flow, fields: Fields, records: FlowRecord[] }

/**
 * One record's fields from `off` into `r` (octets and packets -1 when absent: the delta counters,
 * else the post-delta ones) and `f`: the offset after the record, or -1 when it overruns `end`.
 */
function readRecord (p: Uint8Array, off: number, end: number, t: Template, r: Flow, f: Fields): number {
  // Locals while reading (the hot path), copied to `r` and `f` once the record is read.
  let octets = -1; let packets = -1; let postOctets = -1; let postPackets = -1; let dscp = -1
  let srcAt = 0; let srcLen = 0; let dstAt = 0; let dstLen = 0
  let inIf = -1; let outIf = -1; let nextAs = -1; let prevAs = -1
  let startUp = -1; let endUp = -1; let startMs = -1; let endMs = -1
  let sInterval = -1; let pInterval = -1; let pSpace = -1; let sSize = -1; let sPop = -1; let initMs = -1
  const { kinds, lengths } = t
  const count = kinds.length
  for (let i = 0; i < count; i++) {
    let len = lengths[i] as number
    if (len === VARLEN) {
      if (off >= end) return -1
      len = p[off] as number
      off++
      if (len === 255) {
        if (off + 2 > end) return -1
        len = readUint(p, off, 2)
        off += 2
      }
    }
    if (off + len > end) return -1
    const k = kinds[i] as K
    if (k !== K.Skip && len > 0 && len <= 8) {
      // One read for every kind that is an integer (one call site: the JIT inlines it).
      const v = readUint(p, off, len)
      switch (k) {
        case K.Octets: octets = v; break
        case K.Packets: packets = v; break
        case K.PostOctets: postOctets = v; break
        case K.PostPackets: postPackets = v; break
        case K.Tos: dscp = (p[off] as number) >> 2; break
        case K.Dscp: dscp = (p[off] as number) & 63; break
        case K.Src4: srcAt = off; srcLen = 4; break
        case K.Dst4: dstAt = off; dstLen = 4; break
        case K.InIf: inIf = v; break
        case K.OutIf: outIf = v; break
        case K.NextAs: nextAs = v; break
        case K.PrevAs: prevAs = v; break
        case K.StartUp: startUp = v; break
        case K.EndUp: endUp = v; break
        case K.StartS: startMs = v * 1000; break
        case K.EndS: endMs = v * 1000; break
        case K.StartMs: startMs = v; break
        case K.EndMs: endMs = v; break
        case K.StartNtp: startMs = ntpMs(p, off); break
        case K.EndNtp: endMs = ntpMs(p, off); break
        case K.SamplingInterval: sInterval = v; break
        case K.PacketInterval: pInterval = v; break
        case K.PacketSpace: pSpace = v; break
        case K.SamplingSize: sSize = v; break
        case K.SamplingPopulation: sPop = v; break
        case K.InitMs: initMs = v; break
      }
    } else if ((k === K.Src6 || k === K.Dst6) && len === 16) {
      if (k === K.Src6) { srcAt = off; srcLen = 16 } else { dstAt = off; dstLen = 16 }
    }
    off += len
  }
  r.octets = octets < 0 ? postOctets : octets; r.packets = packets < 0 ? postPackets : packets; r.dscp = dscp
  r.buf = p; r.srcAt = srcAt; r.srcLen = srcLen; r.dstAt = dstAt; r.dstLen = dstLen
  r.inIf = inIf; r.outIf = outIf; r.nextAs = nextAs; r.prevAs = prevAs; r.startMs = startMs; r.endMs = endMs
  f.startUp = startUp; f.endUp = endUp
  f.sInterval = sInterval; f.pInterval = pInterval; f.pSpace = pSpace; f.sSize = sSize; f.sPop = sPop; f.initMs = initMs
  return off
}

/** The sampling a record announces in its own fields, or -1. */
function samplingOf (f: Fields): number {
  if (f.pInterval > 0 && f.pSpace >= 0) return Math.round((f.pInterval + f.pSpace) / f.pInterval)
  if (f.sSize > 0 && f.sPop > 0) return Math.round(f.sPop / f.sSize)
  if (f.sInterval > 0) return f.sInterval
  return -1
}

/** Sets the flow's start and end: absolute fields first, else sysUpTime against the exporter's clock. */
function placeInTime (r: Flow, f: Fields, s: SetOrigin, initMs: number | undefined): void {
  if (s.version === 9) {
    const base = s.exportSec * 1000
    if (r.startMs < 0 && f.startUp >= 0) r.startMs = base + signed32(f.startUp - s.uptime)
    if (r.endMs < 0 && f.endUp >= 0) r.endMs = base + signed32(f.endUp - s.uptime)
  } else if (initMs !== undefined) {
    if (r.startMs < 0 && f.startUp >= 0) r.startMs = initMs + f.startUp
    if (r.endMs < 0 && f.endUp >= 0) r.endMs = initMs + f.endUp
  }
  if (r.endMs < 0) r.endMs = r.startMs >= 0 ? r.startMs : s.exportSec * 1000
  if (r.startMs < 0 || r.startMs > r.endMs) r.startMs = r.endMs
}

/**
 * Decodes the records of one data set (`off` to `end`) with template `t`. Returns the number of
 * records in it and, when a record overruns the set, why (what was decoded before stands).
 */
export function decodeRecords (p: Uint8Array, off: number, end: number, t: Template, d: DomainOptions, s: SetOrigin, out: RecordOut): { records: number, flows: number, malformed?: string } {
  let n = 0
  let flows = 0
  const { sink, fields: f } = out
  while (end - off >= t.minLength) {
    if (t.fixedLength > 0 && end - off < t.fixedLength) break
    const r = sink !== undefined ? out.scratch : new Flow()
    const next = readRecord(p, off, end, t, r, f)
    if (next < 0) return { records: n, flows, malformed: `record of template ${t.id} overruns its set` }
    off = next
    n++
    // The sampling a record announces: its own fields, else the domain's options.
    const rate = samplingOf(f)
    if (t.options) {
      if (rate >= 1) d.samplingRate = rate
      if (f.initMs >= 0) d.initMs = f.initMs
      continue
    }
    if (r.octets < 0 && r.packets < 0) continue // not a flow record (no counters): nothing to count
    if (r.octets < 0) r.octets = 0
    if (r.packets < 0) r.packets = 0
    placeInTime(r, f, s, d.initMs)
    r.exporter = s.exporter
    r.domain = s.domainId
    r.samplingRate = rate >= 1 ? rate : d.samplingRate
    flows++
    if (sink !== undefined) sink(r)
    else out.records.push(r)
  }
  return { records: n, flows }
}
