/**
 * Known traffic for the flow collector tests: flows of DSCP-marked IPv4 and IPv6 TCP and UDP
 * packets written as a pcap (Ethernet, libpcap 2.4), and the totals a collector must find, computed
 * here independently of the agent: per neighbour, class, direction and interval, from the packets'
 * own IP lengths and times, with the documented pro-rata rule.
 */
import { seededRng } from '@splitedge/sim'
import { writeFile } from 'node:fs/promises'

export interface Packet { t: number, bytes: Uint8Array }

export interface Flow {
  v6: boolean
  proto: 'tcp' | 'udp'
  src: string
  dst: string
  sport: number
  dport: number
  dscp: number
  /** Times (ms since the epoch, whole ms) and IP payload sizes of its packets. */
  packets: Array<{ t: number, payload: number }>
}

function v4 (text: string): number[] { return text.split('.').map(Number) }

function v6 (text: string): number[] {
  const [head = '', tail = ''] = text.split('::')
  const h = head === '' ? [] : head.split(':')
  const t = tail === '' ? [] : tail.split(':')
  const groups = text.includes('::') ? [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t] : h
  return groups.flatMap(g => { const v = parseInt(g, 16); return [v >> 8, v & 255] })
}

function checksum (b: number[]): number {
  let sum = 0
  for (let i = 0; i < b.length; i += 2) sum += ((b[i] ?? 0) << 8) | (b[i + 1] ?? 0)
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16)
  return ~sum & 0xffff
}

const u16 = (v: number): number[] => [(v >> 8) & 255, v & 255]

/** The IP packet (no link header) of one packet of a flow. */
export function ipPacket (f: Flow, payload: number): number[] {
  const l4 = f.proto === 'tcp'
    ? [...u16(f.sport), ...u16(f.dport), 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x10, ...u16(65535), 0, 0, 0, 0]
    : [...u16(f.sport), ...u16(f.dport), ...u16(8 + payload), 0, 0]
  const body = [...l4, ...new Array<number>(payload).fill(0x5a)]
  const proto = f.proto === 'tcp' ? 6 : 17
  if (!f.v6) {
    const h = [0x45, f.dscp << 2, ...u16(20 + body.length), 0, 1, 0, 0, 64, proto, 0, 0, ...v4(f.src), ...v4(f.dst)]
    const c = checksum(h)
    h[10] = c >> 8
    h[11] = c & 255
    return [...h, ...body]
  }
  const tc = f.dscp << 2
  return [0x60 | (tc >> 4), (tc & 15) << 4, 0, 0, ...u16(body.length), proto, 64, ...v6(f.src), ...v6(f.dst), ...body]
}

/** What a flow exporter sees of the flow: octets are IP lengths (header included). */
export function flowTotals (f: Flow): { octets: number, packets: number, startMs: number, endMs: number } {
  const octets = f.packets.reduce((s, p) => s + ipPacket(f, p.payload).length, 0)
  const times = f.packets.map(p => p.t)
  return { octets, packets: f.packets.length, startMs: Math.min(...times), endMs: Math.max(...times) }
}

/** Write the flows' packets, in time order, as an Ethernet pcap. */
export async function writePcap (path: string, flows: Flow[]): Promise<void> {
  const all = flows.flatMap(f => f.packets.map(p => ({ t: p.t, f, payload: p.payload })))
  all.sort((a, b) => a.t - b.t)
  const chunks: Buffer[] = []
  const g = Buffer.alloc(24)
  g.writeUInt32LE(0xa1b2c3d4, 0); g.writeUInt16LE(2, 4); g.writeUInt16LE(4, 6)
  g.writeInt32LE(0, 8); g.writeUInt32LE(0, 12); g.writeUInt32LE(65535, 16); g.writeUInt32LE(1, 20)
  chunks.push(g)
  for (const p of all) {
    const ipb = ipPacket(p.f, p.payload)
    const eth = [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, ...u16(p.f.v6 ? 0x86dd : 0x0800)]
    const frame = Buffer.from([...eth, ...ipb])
    const h = Buffer.alloc(16)
    h.writeUInt32LE(Math.floor(p.t / 1000), 0)
    h.writeUInt32LE((p.t % 1000) * 1000, 4)
    h.writeUInt32LE(frame.length, 8)
    h.writeUInt32LE(frame.length, 12)
    chunks.push(h, frame)
  }
  await writeFile(path, Buffer.concat(chunks))
}

/** The documented pro-rata rule, restated with BigInt: parts per interval start. */
export function proRata (volume: number, startMs: number, endMs: number, intervalMs: number): Map<number, number> {
  const out = new Map<number, number>()
  const last = Math.floor(endMs / intervalMs) * intervalMs
  if (endMs <= startMs || startMs >= last) { out.set(last, volume); return out }
  const V = BigInt(volume)
  const D = BigInt(endMs - startMs)
  let given = 0n
  for (let a = Math.floor(startMs / intervalMs) * intervalMs; a < last; a += intervalMs) {
    const cum = V * BigInt(a + intervalMs - startMs) / D
    if (cum > given) out.set(a, Number(cum - given))
    given = cum
  }
  if (V > given) out.set(last, Number(V - given))
  return out
}

export interface Border { name: string, prefixes: string[] }

function inPrefix (addr: string, prefix: string): boolean {
  const [p = '', lenText = '0'] = prefix.split('/')
  const a = addr.includes(':') ? v6(addr) : v4(addr)
  const b = p.includes(':') ? v6(p) : v4(p)
  if (a.length !== b.length) return false
  let len = Number(lenText)
  for (let i = 0; len > 0; i++, len -= 8) {
    const mask = len >= 8 ? 255 : (0xff << (8 - len)) & 255
    if (((a[i] ?? 0) & mask) !== ((b[i] ?? 0) & mask)) return false
  }
  return true
}

/**
 * Expected counters: key `neighbour|class|direction|intervalStart` -> volume in `unit`. A flow whose
 * source is in a border's prefixes came in from that neighbour; one whose destination is, went out.
 */
export function expectedCounters (flows: Flow[], borders: Border[], classes: Record<string, string>, intervalMs: number, unit: 'octet' | 'packet'): Map<string, number> {
  const out = new Map<string, number>()
  for (const f of flows) {
    const t = flowTotals(f)
    const cls = classes[String(f.dscp)] ?? classes['*']
    if (cls === undefined) continue
    for (const b of borders) {
      const dirs: string[] = []
      if (b.prefixes.some(p => inPrefix(f.src, p))) dirs.push('in')
      if (b.prefixes.some(p => inPrefix(f.dst, p))) dirs.push('out')
      for (const dir of dirs) {
        for (const [start, v] of proRata(unit === 'octet' ? t.octets : t.packets, t.startMs, t.endMs, intervalMs)) {
          const k = `${b.name}|${cls}|${dir}|${start}`
          out.set(k, (out.get(k) ?? 0) + v)
        }
      }
    }
  }
  return out
}

/** Flows with no border: the collector must count them as unattributed, not guess. */
export function unattributed (flows: Flow[], borders: Border[]): number {
  return flows.filter(f => !borders.some(b => b.prefixes.some(p => inPrefix(f.src, p) || inPrefix(f.dst, p)))).length
}

/** The project's seeded PRNG, so a failure can be replayed. */
const prng = seededRng

function host (net: string, r: () => number): string {
  const [p = ''] = net.split('/')
  if (p.includes(':')) return `${p.replace(/::$/, '')}::${(1 + Math.floor(r() * 0xfffe)).toString(16)}`
  const [a, b, c] = p.split('.')
  return `${a}.${b}.${c}.${1 + Math.floor(r() * 253)}`
}

/**
 * Flows between the given address pools, unidirectional, each on its own 5-tuple with one DSCP,
 * with 1 to 6 packets at whole milliseconds in [from, to]; about a third cross an interval boundary.
 */
export function makeFlows (seed: number, pairs: Array<[string[], string[]]>, n: number, from: number, to: number): Flow[] {
  const r = prng(seed)
  const flows: Flow[] = []
  for (let i = 0; i < n; i++) {
    const [srcNets, dstNets] = pairs[i % pairs.length] as [string[], string[]]
    const v6 = r() < 0.4
    const pick = (nets: string[]): string => host(nets.find(x => x.includes(':') === v6) as string, r)
    const count = 1 + Math.floor(r() * 6)
    const start = from + Math.floor(r() * (to - from))
    const span = r() < 0.35 ? Math.floor(r() * 9000) : Math.floor(r() * 1500)
    const packets = Array.from({ length: count }, (_x, j) => ({ t: Math.min(to, start + (count === 1 ? 0 : Math.floor(span * j / (count - 1)))), payload: Math.floor(r() * 1400) }))
    flows.push({ v6, proto: r() < 0.5 ? 'tcp' : 'udp', src: pick(srcNets), dst: pick(dstNets), sport: 20_000 + i, dport: 443, dscp: [46, 34, 10, 0, 18][Math.floor(r() * 5)] as number, packets })
  }
  return flows
}
