/**
 * Sequence numbers (RFC 7011 section 3.1, RFC 3954 section 5.1): what an export packet's number,
 * compared with the last one of its scope, says was lost in between.
 */
import { TWO32 } from './format.js'

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

/**
 * The scope's state after a packet with sequence number `seq` (carrying `all` data records, -1
 * when unknown, and `flows` flow records), and the records (IPFIX) or packets (v9) lost before it.
 */
export function nextSequence (prev: SequenceState | undefined, version: number, seq: number, all: number, flows: number): { state: SequenceState, lost: number } {
  const fresh = { state: { version, seq, all, flows, style: prev?.style }, lost: 0 }
  if (prev === undefined || prev.version !== version) return fresh
  const diff = (seq - prev.seq + TWO32) % TWO32
  // Backwards: reordered or a restarted exporter. No loss can be told; start again from here.
  if (diff > 0x7fffffff) return fresh
  if (version === 9) return { ...fresh, lost: diff === 0 ? 0 : diff - 1 }
  // This message or the last had sets held for their template: the count is unknown.
  if (prev.all < 0 || all < 0) return fresh
  // RFC 7011: the number counts records sent before this message. Some exporters count
  // this message's records too (softflowd); learn which once it shows, count the least loss till then.
  let style = prev.style
  if (style === undefined && diff === prev.all && diff !== flows && diff !== all) style = 'rfc'
  else if (style === undefined && (diff === flows || diff === all) && diff !== prev.all) style = 'post'
  const rfc = diff - prev.all
  const post = diff - Math.min(flows, all)
  const lost = style === 'rfc' ? rfc : style === 'post' ? post : Math.min(rfc, post)
  return { state: { version, seq, all, flows, style }, lost: Math.max(0, lost) }
}
