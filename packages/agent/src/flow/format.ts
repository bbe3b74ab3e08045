/**
 * The export formats' building blocks shared by template and record decoding (RFC 7011, RFC 3954):
 * the information elements the collector reads, what each field of a compiled template is for, and
 * big-endian integers and timestamps.
 */

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

export const VARLEN = 65535
/** Seconds from 1900-01-01 (NTP era 0) to 1970-01-01. */
const NTP_UNIX = 2_208_988_800
export const TWO32 = 4_294_967_296

/** A template compiled for decoding: each field's kind and length (VARLEN for variable). */
export interface Template {
  id: number
  options: boolean
  kinds: Uint8Array
  lengths: Uint16Array
  /** Length of a record without variable-length fields counted (each at least 1 byte). */
  minLength: number
  /** Fixed record length, or -1 when a field is variable-length. */
  fixedLength: number
  /** When the exporter last announced it (ms): a template not announced again expires. */
  announced: number
}

export function compile (id: number, options: boolean, kinds: Uint8Array, lengths: Uint16Array, nowMs: number): Template | undefined {
  let min = 0
  let fixed = 0
  for (const l of lengths) {
    if (l === VARLEN) { min += 1; fixed = -1 } else { min += l; if (fixed >= 0) fixed += l }
  }
  if (min === 0) return undefined
  return { id, options, kinds, lengths, minLength: min, fixedLength: fixed, announced: nowMs }
}

/** Read an unsigned big-endian integer of 1..8 bytes as a number (exact up to 2^53). */
export function readUint (b: Uint8Array, o: number, len: number): number {
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

export function signed32 (x: number): number {
  const v = ((x % TWO32) + TWO32) % TWO32
  return v >= 0x80000000 ? v - TWO32 : v
}

/** An NTP timestamp (RFC 7011 dateTimeMicro/Nanoseconds) as ms since the Unix epoch. */
export function ntpMs (p: Uint8Array, off: number): number {
  const sec = readUint(p, off, 4)
  const frac = readUint(p, off + 4, 4)
  return (sec - NTP_UNIX) * 1000 + Math.floor(frac * 1000 / TWO32)
}

