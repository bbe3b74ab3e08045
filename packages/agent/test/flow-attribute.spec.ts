/**
 * Attribution of flow records to borders, directions, classes and intervals (pure rules), and the
 * collector's config: the example parses, names and prefixes are checked, a tariff unit the
 * collector cannot measure is refused at load with one line.
 */
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { stringify } from 'yaml'
import { generateIdentity } from '@splitedge/wire'
import { Attributor, exporterKey, inPrefix, parseAddress, parsePrefix, spread, type BorderRule } from '../src/flow/attribute.js'
import { FlowAggregator } from '../src/flow/aggregate.js'
import { flowSettings } from '../src/flow/config.js'
import { checkConfig, loadConfig } from '../src/config/load.js'
import type { FlowRecord } from '../src/flow/decode.js'
import { ip } from './flow-encode.js'

const rec = (over: Partial<Omit<FlowRecord, 'src' | 'dst'>> & { src?: Uint8Array, dst?: Uint8Array }): FlowRecord => {
  const src = over.src ?? ip('192.0.2.10')
  const dst = over.dst ?? ip('192.0.2.20')
  return {
    exporter: '192.0.2.1', domain: 0, octets: 1000, packets: 2, dscp: 0, inIf: -1, outIf: -1, prevAs: -1, nextAs: -1, startMs: 0, endMs: 0, samplingRate: 1,
    ...over,
    src, dst, buf: Uint8Array.from([...src, ...dst]), srcAt: 0, srcLen: src.length, dstAt: src.length, dstLen: dst.length
  }
}

describe('flow attribution', () => {
  it('parses IPv4 and IPv6 addresses and prefixes', () => {
    assert.deepEqual([...parseAddress('198.51.100.7') ?? []], [198, 51, 100, 7])
    assert.deepEqual([...parseAddress('2001:db8::1') ?? []], [...ip('2001:db8::1')])
    assert.deepEqual([...parseAddress('::') ?? []], new Array(16).fill(0))
    assert.deepEqual([...parseAddress('::ffff:192.0.2.1') ?? []], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 192, 0, 2, 1])
    for (const bad of ['1.2.3', '256.1.1.1', '2001:db8::1::2', 'g::1', '1:2:3:4:5:6:7:8:9', '']) assert.equal(parseAddress(bad), undefined, bad)
    assert.equal(parsePrefix('198.51.100.0/33'), undefined)
    assert.equal(parsePrefix('198.51.100.0'), undefined)
    const p = parsePrefix('2001:db8:100::/48')
    assert.ok(p !== undefined)
    assert.ok(inPrefix(ip('2001:db8:100:ffff::9'), p))
    assert.ok(!inPrefix(ip('2001:db8:101::9'), p))
    assert.ok(!inPrefix(ip('198.51.100.1'), p))
    const q = parsePrefix('10.0.0.0/9')
    assert.ok(q !== undefined && inPrefix(ip('10.127.1.1'), q) && !inPrefix(ip('10.128.0.0'), q))
    assert.equal(exporterKey('::ffff:127.0.0.1'), '127.0.0.1')
    assert.equal(exporterKey('2001:DB8:0::1'), '2001:db8:0:0:0:0:0:1')
  })

  it('attributes by interface, prefix and adjacent AS, each border and direction at most once', () => {
    const rules: BorderRule[] = [
      { peer: 'T', interfaces: [{ exporter: '192.0.2.1', ifIndex: 3 }], prefixes: [], asn: [] },
      { peer: 'P', interfaces: [], prefixes: [parsePrefix('198.51.100.0/24')!, parsePrefix('198.51.0.0/16')!], asn: [] },
      { peer: 'B', interfaces: [], prefixes: [], asn: [64500] }
    ]
    const a = new Attributor(rules, { 46: 'ef', '*': 'be' })
    const got = (r: FlowRecord): string[] => a.borders(r).map(x => `${x.peer}:${x.dir}`)
    assert.deepEqual(got(rec({ inIf: 3 })), ['T:in'])
    assert.deepEqual(got(rec({ outIf: 3 })), ['T:out'])
    assert.deepEqual(got(rec({ inIf: 3, exporter: '192.0.2.9' })), [], 'another exporter\'s ifIndex 3 is another interface')
    assert.deepEqual(got(rec({ src: ip('198.51.100.1') })), ['P:in'], 'once, although two prefixes match')
    assert.deepEqual(got(rec({ dst: ip('198.51.100.1'), prevAs: 64500 })), ['P:out', 'B:in'])
    assert.deepEqual(got(rec({ inIf: 3, outIf: 3, nextAs: 64500, src: ip('198.51.1.1') })), ['T:in', 'T:out', 'P:in', 'B:out'])
    assert.deepEqual(got(rec({})), [], 'unattributed')
    assert.equal(a.classOf(46), 'ef')
    assert.equal(a.classOf(0), 'be')
    assert.equal(a.classOf(-1), 'be')
    assert.equal(new Attributor([], { 46: 'ef' }).classOf(10), undefined)
  })

  it('spreads a volume pro-rata over the intervals a flow spans, exactly, or at its end time', () => {
    const parts = (v: number, s: number, e: number, mode: 'pro-rata' | 'end' = 'pro-rata'): Array<[number, number]> => {
      const out: Array<[number, number]> = []
      spread(v, s, e, 1000, mode, (a, p) => out.push([a, p]))
      return out
    }
    assert.deepEqual(parts(1000, 500, 1500), [[0, 500], [1000, 500]])
    assert.deepEqual(parts(1000, 500, 1500, 'end'), [[1000, 1000]])
    // Cumulative shares at each boundary: floor(10 * 100/2200) = 0, floor(10 * 1100/2200) = 5, floor(10 * 2100/2200) = 9.
    assert.deepEqual(parts(10, 900, 3100), [[1000, 5], [2000, 4], [3000, 1]])
    assert.deepEqual(parts(7, 2000, 2000), [[2000, 7]])
    assert.deepEqual(parts(3, 999, 1000), [[0, 3]], 'a flow ending on a boundary spent all its time before it')
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 50 }), fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 10_000 }), (v, s, d) => {
      const ps = parts(v, s, s + d)
      assert.equal(ps.reduce((x, [, p]) => x + p, 0), v, 'parts sum to the volume')
      for (const [a, p] of ps) {
        assert.ok(p > 0 && Number.isSafeInteger(p))
        assert.ok(a <= s + d && a + 1000 > s, 'only intervals the flow touches')
        if (d > 0) {
          const overlap = Math.min(a + 1000, s + d) - Math.max(a, s)
          assert.ok(Math.abs(p - v * overlap / d) < 1 + v * 1e-12, 'each part within 1 of its exact share')
        }
      }
    }), { numRuns: 500 })
  })

  it('aggregates per neighbour, interval, class and direction, scaled by sampling', () => {
    const a = new FlowAggregator(new Attributor([{ peer: 'P', interfaces: [], prefixes: [parsePrefix('198.51.100.0/24')!], asn: [] }], { 46: 'ef', '*': 'be' }), { intervalMs: 1000, time: 'pro-rata', sampling: 'auto' })
    assert.equal(a.add(rec({ src: ip('198.51.100.1'), dscp: 46, octets: 1000, packets: 10, startMs: 500, endMs: 1500, samplingRate: 2 })), 'counted')
    assert.equal(a.add(rec({ dst: ip('198.51.100.1'), octets: 7, packets: 1, startMs: 1200, endMs: 1200 })), 'counted')
    assert.equal(a.add(rec({})), 'no-border')
    const got = [...a.take().values()].map(p => ({ start: p.start, lines: [...p.lines.values()] }))
    assert.deepEqual(got, [
      { start: 0, lines: [{ class: 'ef', dir: 'in', octets: 1000, packets: 10, records: 1 }] },
      { start: 1000, lines: [{ class: 'ef', dir: 'in', octets: 1000, packets: 10, records: 1 }, { class: 'be', dir: 'out', octets: 7, packets: 1, records: 1 }] }
    ])
    const fixed = new FlowAggregator(new Attributor([{ peer: 'P', interfaces: [], prefixes: [parsePrefix('0.0.0.0/0')!], asn: [] }], {}), { intervalMs: 1000, time: 'end', sampling: 5 })
    assert.equal(fixed.add(rec({})), 'no-class', 'no "*" and no key for the DSCP')
  })
})

describe('flow collector config', () => {
  it('accepts the documented example and resolves neighbour names', async () => {
    const ids = await Promise.all([generateIdentity(), generateIdentity(), generateIdentity()])
    const neighbours = ['transit-1', 'peer-2', 'backbone'].map((name, i) => ({ name, peerId: ids[i]!.peerId, addrs: ['/ip4/192.0.2.9/tcp/7000'], status: 'peer' }))
    const c = checkConfig({
      name: 'a', key: 'a.key', dataDir: 'data', listen: ['/ip4/0.0.0.0/tcp/7000'], neighbours,
      usage: {
        source: 'ipfix',
        listen: '0.0.0.0:4739',
        exporters: ['192.0.2.1'],
        sampling: 'auto',
        classes: { 46: 'ef', 34: 'af41', '*': 'be' },
        borders: {
          'transit-1': { interfaces: [{ exporter: '192.0.2.1', ifIndex: 3 }] },
          'peer-2': { prefixes: ['198.51.100.0/24', '2001:db8:100::/48'] },
          backbone: { asn: 64500 }
        }
      }
    }, '/')
    assert.equal(c.usage.source, 'ipfix')
    const s = flowSettings(c.usage as never, c.neighbours)
    assert.deepEqual(s.rules.map(r => r.peer), ids.map(i => i.peerId))
    assert.deepEqual([s.host, s.port, s.family, s.time, s.sampling], ['0.0.0.0', 4739, 'udp4', 'pro-rata', 'auto'])
    const bad = (usage: object, field: RegExp): void => {
      assert.throws(() => checkConfig({ name: 'a', key: 'k', dataDir: 'd', listen: ['/ip4/0.0.0.0/tcp/7000'], neighbours, usage: { source: 'ipfix', listen: '0.0.0.0:4739', borders: { 'peer-2': { prefixes: ['198.51.100.0/24'] } }, ...usage } }, '/'), (e: Error) => field.test(e.message))
    }
    bad({ borders: { nobody: { asn: 1 } } }, /usage\.borders\.nobody.*not a configured neighbour/)
    bad({ borders: { 'peer-2': { prefixes: ['198.51.100.0/40'] } } }, /usage\.borders\.peer-2\.prefixes\[0\]/)
    bad({ borders: { 'peer-2': {} } }, /no rule/)
    bad({ classes: { 64: 'be' } }, /usage\.classes\.64/)
    bad({ listen: 'localhost' }, /usage\.listen/)
    bad({ exporters: ['router-1'] }, /usage\.exporters\[0\]/)
  })

  it('refuses, at config load and in one line, a tariff unit the collector cannot measure', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'splitedge-flowcfg-'))
    try {
      const id = await generateIdentity()
      await writeFile(join(dir, 'tariff.yaml'), stringify({ currency: 'EUR', decimals: 6, unit: 'mbit-second', classes: { be: { mode: 'unicast', quality: 'BE', price: '1' } }, weights: { '*': { send: '1', receive: '1' } } }))
      await writeFile(join(dir, 'a.yaml'), stringify({
        name: 'a', key: 'a.key', dataDir: 'data', listen: ['/ip4/127.0.0.1/tcp/0'], tariff: 'tariff.yaml',
        neighbours: [{ name: 'b', peerId: id.peerId, addrs: ['/ip4/127.0.0.1/tcp/1'], status: 'peer' }],
        usage: { source: 'ipfix', listen: '127.0.0.1:0', borders: { b: { prefixes: ['198.51.100.0/24'] } } }
      }))
      await assert.rejects(loadConfig(join(dir, 'a.yaml')), (e: Error) => /unit "mbit-second" cannot be measured from flow records/.test(e.message) && !e.message.includes('\n'))
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
