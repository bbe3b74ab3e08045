/**
 * Pure rules that turn a decoded flow record into border counters: which neighbour and direction
 * it crossed (interfaces, prefixes, adjacent AS), which tariff class its DSCP maps to, and which
 * intervals its volume falls in (by end time, or pro-rata by duration). No I/O, no clock.
 */
import type { FlowRecord } from './decode.js'

export type Direction = 'in' | 'out'
export type TimeMode = 'pro-rata' | 'end'

export interface Prefix { bytes: Uint8Array, len: number }

export interface BorderRule {
  /** The neighbour's PeerId. */
  peer: string
  interfaces: Array<{ exporter: string, ifIndex: number }>
  prefixes: Prefix[]
  asn: number[]
}

/** An IPv4 or IPv6 address as 4 or 16 bytes; undefined when it is not one. */
export function parseAddress (text: string): Uint8Array | undefined {
  const s = text.trim()
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(s)) {
    const parts = s.split('.').map(Number)
    if (parts.some(p => p > 255)) return undefined
    return Uint8Array.from(parts)
  }
  if (!s.includes(':') || !/^[0-9A-Fa-f:.]+$/.test(s)) return undefined
  let head = s
  let tail4: number[] = []
  const lastColon = s.lastIndexOf(':')
  if (s.slice(lastColon + 1).includes('.')) {
    const v4 = parseAddress(s.slice(lastColon + 1))
    if (v4 === undefined || v4.length !== 4) return undefined
    tail4 = [(v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!]
    head = s.slice(0, lastColon + 1)
    if (head.endsWith(':') && !head.endsWith('::')) head = head.slice(0, -1)
  }
  const halves = head.split('::')
  if (halves.length > 2) return undefined
  const groups = (h: string): number[] | undefined => {
    if (h === '') return []
    const out: number[] = []
    for (const g of h.split(':')) {
      if (!/^[0-9A-Fa-f]{1,4}$/.test(g)) return undefined
      out.push(parseInt(g, 16))
    }
    return out
  }
  const a = groups(halves[0] ?? '')
  const b = halves.length === 2 ? groups(halves[1] ?? '') : []
  if (a === undefined || b === undefined) return undefined
  const given = a.length + b.length + tail4.length
  let all: number[]
  if (halves.length === 2) {
    if (given > 7) return undefined
    all = [...a, ...new Array<number>(8 - given).fill(0), ...b, ...tail4]
  } else {
    if (given !== 8) return undefined
    all = [...a, ...tail4]
  }
  const out = new Uint8Array(16)
  all.forEach((g, i) => { out[2 * i] = g >> 8; out[2 * i + 1] = g & 255 })
  return out
}

/** `198.51.100.0/24` or `2001:db8::/32`; undefined when malformed. Host bits are ignored. */
export function parsePrefix (text: string): Prefix | undefined {
  const slash = text.indexOf('/')
  if (slash < 0) return undefined
  const bytes = parseAddress(text.slice(0, slash))
  const lenText = text.slice(slash + 1)
  if (bytes === undefined || !/^\d{1,3}$/.test(lenText)) return undefined
  const len = Number(lenText)
  if (len > bytes.length * 8) return undefined
  return { bytes, len }
}

export function inPrefix (addr: Uint8Array, p: Prefix): boolean { return inPrefixAt(addr, 0, addr.length, p) }

/** The address of `len` bytes at `buf[at]` is in `p`. */
export function inPrefixAt (buf: Uint8Array, at: number, len: number, p: Prefix): boolean {
  const b = p.bytes
  if (len !== b.length) return false
  const full = p.len >> 3
  for (let i = 0; i < full; i++) if (buf[at + i] !== b[i]) return false
  const rest = p.len & 7
  if (rest === 0) return true
  const mask = (0xff << (8 - rest)) & 0xff
  return ((buf[at + full] as number) & mask) === ((b[full] as number) & mask)
}

/** A canonical text for an exporter address (IPv4-mapped IPv6 as IPv4), for allow-lists and labels. */
export function exporterKey (address: string): string {
  const a = address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address
  const b = parseAddress(a)
  if (b === undefined) return a
  if (b.length === 4) return b.join('.')
  const groups: string[] = []
  for (let i = 0; i < 16; i += 2) groups.push(((b[i]! << 8) | b[i + 1]!).toString(16))
  return groups.join(':')
}

/** Border and class attribution for one agent's configuration. */
export class Attributor {
  /** exporter -> ifIndex -> neighbours, for ingress (in) and egress (out) interfaces. */
  private readonly ingress = new Map<string, Map<number, string[]>>()
  private readonly egress = new Map<string, Map<number, string[]>>()
  private readonly prefixRules: Array<{ peer: string, prefixes: Prefix[] }> = []
  private readonly byAs = new Map<number, string[]>()
  private readonly classByDscp: Array<string | undefined>
  private readonly fallback: string | undefined

  constructor (rules: BorderRule[], classes: Record<string, string>) {
    for (const r of rules) {
      for (const i of r.interfaces) {
        for (const table of [this.ingress, this.egress]) {
          const e = exporterKey(i.exporter)
          const byIf = table.get(e) ?? new Map<number, string[]>()
          table.set(e, byIf)
          const list = byIf.get(i.ifIndex) ?? []
          if (!list.includes(r.peer)) list.push(r.peer)
          byIf.set(i.ifIndex, list)
        }
      }
      if (r.prefixes.length > 0) this.prefixRules.push({ peer: r.peer, prefixes: r.prefixes })
      for (const asn of r.asn) {
        const list = this.byAs.get(asn) ?? []
        list.push(r.peer)
        this.byAs.set(asn, list)
      }
    }
    this.fallback = classes['*']
    this.classByDscp = Array.from({ length: 64 }, (_v, d) => classes[String(d)] ?? this.fallback)
  }

  /** The tariff class of a DSCP (-1: unknown, takes the default); undefined when none applies. */
  classOf (dscp: number): string | undefined {
    return dscp >= 0 && dscp < 64 ? this.classByDscp[dscp] : this.fallback
  }

  /**
   * The (neighbour, direction) pairs a record crossed, each at most once: `in` = from the
   * neighbour into us, `out` = from us to it.
   */
  borders (rec: FlowRecord): Array<{ peer: string, dir: Direction }> {
    const n = this.match(rec)
    return Array.from({ length: n }, (_x, i) => ({ peer: this.hitPeer[i] as string, dir: this.hitDir[i] as Direction }))
  }

  /** The matches of the last `match`: neighbour and direction, `count` of them. */
  readonly hitPeer: string[] = []
  readonly hitDir: Direction[] = []

  /** `borders` without allocating: fills hitPeer/hitDir and answers how many. */
  match (rec: FlowRecord): number {
    this.hits = 0
    const add = this.addHit
    if (this.ingress.size > 0) {
      if (rec.inIf >= 0) { const l = this.ingress.get(rec.exporter)?.get(rec.inIf); if (l !== undefined) for (const peer of l) add(peer, 'in') }
      if (rec.outIf >= 0) { const l = this.egress.get(rec.exporter)?.get(rec.outIf); if (l !== undefined) for (const peer of l) add(peer, 'out') }
    }
    const { buf, srcAt, srcLen, dstAt, dstLen } = rec
    for (const r of this.prefixRules) {
      if (srcLen > 0) for (const p of r.prefixes) if (inPrefixAt(buf, srcAt, srcLen, p)) { add(r.peer, 'in'); break }
      if (dstLen > 0) for (const p of r.prefixes) if (inPrefixAt(buf, dstAt, dstLen, p)) { add(r.peer, 'out'); break }
    }
    if (this.byAs.size > 0) {
      if (rec.prevAs > 0) for (const peer of this.byAs.get(rec.prevAs) ?? []) add(peer, 'in')
      if (rec.nextAs > 0) for (const peer of this.byAs.get(rec.nextAs) ?? []) add(peer, 'out')
    }
    return this.hits
  }

  private hits = 0
  /** Add (peer, dir) unless it is there: a flow counts at most once per border and direction. */
  private readonly addHit = (peer: string, dir: Direction): void => {
    for (let i = 0; i < this.hits; i++) if (this.hitPeer[i] === peer && this.hitDir[i] === dir) return
    this.hitPeer[this.hits] = peer
    this.hitDir[this.hits] = dir
    this.hits++
  }
}

/**
 * Split `volume` over the intervals [a, a + intervalMs) that the flow [startMs, endMs] spans.
 * `end`: all of it in the interval holding the end time. `pro-rata`: in proportion to the time
 * spent in each, exactly: the first k intervals together get floor(volume * elapsed_k / duration),
 * where elapsed_k is the time from the start to the end of the k-th interval, and the last interval
 * gets the rest. Parts of 0 are not emitted. A flow of no duration counts at its end time.
 */
export function spread (volume: number, startMs: number, endMs: number, intervalMs: number, mode: TimeMode, emit: (intervalStart: number, part: number) => void): void {
  const last = Math.floor(endMs / intervalMs) * intervalMs
  if (volume <= 0) return
  if (mode === 'end' || endMs <= startMs || startMs >= last) { emit(last, volume); return }
  const duration = endMs - startMs
  const big = volume * duration > Number.MAX_SAFE_INTEGER
  let given = 0
  for (let a = Math.floor(startMs / intervalMs) * intervalMs; a < last; a += intervalMs) {
    const elapsed = a + intervalMs - startMs
    const cum = big ? Number(BigInt(volume) * BigInt(elapsed) / BigInt(duration)) : Math.floor(volume * elapsed / duration)
    if (cum > given) emit(a, cum - given)
    given = cum
  }
  if (volume > given) emit(last, volume - given)
}
