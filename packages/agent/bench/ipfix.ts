/**
 * `npm run bench -- ipfix [seconds]`: the flow collector's hot path on one core. Pre-built IPFIX
 * packets of 30 records each (IPv4 and IPv6, absolute and sysUpTime times, some records spanning
 * an interval boundary, some matching no border) are decoded and aggregated into border counters
 * exactly as the collector does for each datagram, without the socket and the store.
 *
 * Anchor: GoFlow decodes about one packet in 25 µs (10k-40k samples/s per core). Goal: at least
 * 200,000 records/s. Ends with one JSON line: { records_per_s, packets_per_s, peak_rss_mb, ... }.
 */
import { Attributor, parsePrefix } from '../src/flow/attribute.js'
import { FlowAggregator } from '../src/flow/aggregate.js'
import { FlowDecoder, type FlowRecord } from '../src/flow/decode.js'
import { encodeIpfix, flowTemplate, flowValues, ip, type SetSpec, type TemplateSpec, type TestFlow } from '../test/flow-encode.js'
import { seededRng } from '@splitedge/model'

const RECORDS_PER_PACKET = 30
const PACKETS = 2000
const INTERVAL = 300_000
const GOAL = 200_000


function build (): Uint8Array[] {
  const r = seededRng(42)
  const t4 = flowTemplate(1024, false, [{ ie: 4, length: 1 }, { ie: 7, length: 2 }, { ie: 11, length: 2 }, { ie: 6, length: 1 }])
  const t6 = flowTemplate(2048, true, [{ ie: 4, length: 1 }, { ie: 7, length: 2 }, { ie: 11, length: 2 }, { ie: 6, length: 1 }])
  const now = 1_800_000_000_000
  const peers = ['198.51.100', '203.0.113', '192.0.2', '100.64.0']
  const flow = (v6: boolean): TestFlow => {
    const p = peers[Math.floor(r() * peers.length)] as string
    const q = peers[Math.floor(r() * peers.length)] as string
    const start = now + Math.floor(r() * 3_600_000)
    return {
      src: v6 ? ip(`2001:db8:${p.endsWith('100') ? '100' : '1'}::${Math.floor(r() * 65535).toString(16)}`) : ip(`${p}.${Math.floor(r() * 254) + 1}`),
      dst: v6 ? ip(`2001:db8:1::${Math.floor(r() * 65535).toString(16)}`) : ip(`${q}.${Math.floor(r() * 254) + 1}`),
      octets: 40 + Math.floor(r() * 1_000_000),
      packets: 1 + Math.floor(r() * 1000),
      dscp: [0, 46, 34, 10][Math.floor(r() * 4)] as number,
      startMs: start,
      endMs: start + (r() < 0.1 ? Math.floor(r() * 600_000) : Math.floor(r() * 10_000)),
      inIf: Math.floor(r() * 8),
      outIf: Math.floor(r() * 8)
    }
  }
  const packets: Uint8Array[] = []
  let seq = 0
  for (let i = 0; i < PACKETS; i++) {
    const v6 = i % 4 === 3
    const t: TemplateSpec = v6 ? t6 : t4
    const records = Array.from({ length: RECORDS_PER_PACKET }, () => flowValues(flow(v6), [6, 40000, 443, 0x10]))
    const sets: SetSpec[] = [...(i < 2 ? [{ kind: 'templates' as const, templates: [t4, t6] }] : []), { kind: 'data', templateId: t.id, template: t, records }]
    packets.push(encodeIpfix({ exportTime: Math.floor(now / 1000), sequence: seq, domain: 1, sets }))
    seq += RECORDS_PER_PACKET
  }
  return packets
}

function main (): void {
  const seconds = Number(process.argv[2] ?? 5)
  const packets = build()
  const attributor = new Attributor([
    { peer: 'transit', interfaces: [{ exporter: '192.0.2.1', ifIndex: 3 }], prefixes: [], asn: [] },
    { peer: 'peer', interfaces: [], prefixes: [parsePrefix('198.51.100.0/24')!, parsePrefix('2001:db8:100::/48')!], asn: [] },
    { peer: 'customer', interfaces: [], prefixes: [parsePrefix('203.0.113.0/24')!], asn: [64500] }
  ], { 46: 'ef', 34: 'af41', '*': 'be' })
  let peakRss = process.memoryUsage().rss
  const run = (ms: number): { records: number, packets: number, elapsed: number } => {
    const decoder = new FlowDecoder()
    const agg = new FlowAggregator(attributor, { intervalMs: INTERVAL, time: 'pro-rata', sampling: 'auto' })
    const sink = (rec: FlowRecord): void => { agg.add(rec) }
    let records = 0
    let n = 0
    const t0 = process.hrtime.bigint()
    const deadline = t0 + BigInt(ms) * 1_000_000n
    let seq = 0
    for (;;) {
      for (let i = 0; i < 100; i++) {
        const p = packets[n % packets.length] as Uint8Array
        // Keep the sequence numbers flowing as a live exporter's would.
        if (n >= packets.length) { p[8] = (seq >>> 24) & 255; p[9] = (seq >>> 16) & 255; p[10] = (seq >>> 8) & 255; p[11] = seq & 255 }
        seq = (seq + RECORDS_PER_PACKET) >>> 0
        const res = decoder.decode(p, '192.0.2.1', 0, '4739', sink)
        records += res.flows
        n++
      }
      if ((n & 1023) === 0) {
        agg.take()
        const rss = process.memoryUsage().rss
        if (rss > peakRss) peakRss = rss
      }
      if (process.hrtime.bigint() >= deadline) break
    }
    return { records, packets: n, elapsed: Number(process.hrtime.bigint() - t0) / 1e9 }
  }
  run(1000) // warm-up
  const r = run(seconds * 1000)
  const recordsPerS = Math.round(r.records / r.elapsed)
  const packetsPerS = Math.round(r.packets / r.elapsed)
  console.log(`ipfix: ${r.records} records in ${r.packets} packets in ${r.elapsed.toFixed(2)} s`)
  console.log(`  ${recordsPerS.toLocaleString('en')} records/s, ${packetsPerS.toLocaleString('en')} packets/s, ${(1e6 / packetsPerS).toFixed(1)} µs per packet (GoFlow: ~25 µs)`)
  console.log(`  goal ${GOAL.toLocaleString('en')} records/s: ${recordsPerS >= GOAL ? 'met' : 'NOT met'}`)
  console.log(JSON.stringify({
    records_per_s: recordsPerS,
    packets_per_s: packetsPerS,
    peak_rss_mb: Math.round(peakRss / 1048576 * 10) / 10,
    us_per_packet: Math.round(1e7 / packetsPerS) / 10,
    records_per_packet: RECORDS_PER_PACKET,
    goal_records_per_s: GOAL,
    goal_met: recordsPerS >= GOAL
  }))
}

main()
