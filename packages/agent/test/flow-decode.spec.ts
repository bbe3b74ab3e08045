/**
 * The IPFIX / NetFlow v9 decoder: round trips through the test encoder (random templates with
 * reduced-size, variable-length and enterprise fields), template withdrawal and lifetime, held data
 * sets, sequence gaps, sampling options, and fuzzing: no input makes it throw.
 */
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { FlowDecoder, type FlowRecord } from '../src/flow/decode.js'
import { VARLEN, encodeIpfix, encodeV9, flowTemplate, flowValues, ip, type FieldSpec, type FieldValue, type SetSpec, type TemplateSpec, type TestFlow } from './flow-encode.js'

const NOW = 1_700_000_000_000
const EXPORTER = '192.0.2.1'

const essentials = (r: FlowRecord): unknown => ({
  octets: r.octets, packets: r.packets, dscp: r.dscp, src: r.src === undefined ? undefined : [...r.src], dst: r.dst === undefined ? undefined : [...r.dst],
  inIf: r.inIf, outIf: r.outIf, prevAs: r.prevAs, nextAs: r.nextAs, startMs: r.startMs, endMs: r.endMs
})
const expected = (f: TestFlow): unknown => ({
  octets: f.octets, packets: f.packets, dscp: f.dscp, src: [...f.src], dst: [...f.dst],
  inIf: f.inIf ?? 0, outIf: f.outIf ?? 0, prevAs: f.prevAs ?? 0, nextAs: f.nextAs ?? 0, startMs: f.startMs, endMs: f.endMs
})

const arbAddr = (v6: boolean): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: v6 ? 16 : 4, maxLength: v6 ? 16 : 4 })
const arbFlow = (v6: boolean): fc.Arbitrary<TestFlow> => fc.record({
  src: arbAddr(v6),
  dst: arbAddr(v6),
  octets: fc.integer({ min: 0, max: 2 ** 40 }),
  packets: fc.integer({ min: 0, max: 2 ** 31 }),
  dscp: fc.integer({ min: 0, max: 63 }),
  startMs: fc.integer({ min: NOW - 3_600_000, max: NOW }),
  endMs: fc.constant(0),
  inIf: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  outIf: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  prevAs: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  nextAs: fc.integer({ min: 0, max: 2 ** 32 - 1 })
}).chain(f => fc.integer({ min: 0, max: 600_000 }).map(d => ({ ...f, endMs: f.startMs + d })))

/** Fields the collector does not read, some enterprise-specific, some variable-length. */
const arbExtra: fc.Arbitrary<Array<{ spec: FieldSpec, value: FieldValue }>> = fc.array(fc.oneof(
  fc.record({ ie: fc.integer({ min: 200, max: 300 }), length: fc.constantFrom(1, 2, 4, 8), v: fc.nat() })
    .filter(x => ![305, 306, 309, 310, 195, 160].includes(x.ie)).map(x => ({ spec: { ie: x.ie, length: x.length }, value: x.v % (2 ** (Math.min(x.length, 4) * 8)) })),
  fc.record({ ie: fc.integer({ min: 1, max: 0x7fff }), pen: fc.integer({ min: 1, max: 2 ** 32 - 1 }), b: fc.uint8Array({ maxLength: 300 }) })
    .map(x => ({ spec: { ie: x.ie, length: VARLEN, enterprise: x.pen }, value: x.b })),
  fc.record({ ie: fc.integer({ min: 1, max: 0x7fff }), pen: fc.integer({ min: 1, max: 2 ** 32 - 1 }), len: fc.integer({ min: 1, max: 40 }) })
    .map(x => ({ spec: { ie: x.ie, length: x.len, enterprise: x.pen }, value: new Uint8Array(x.len).fill(7) })),
  fc.record({ b: fc.uint8Array({ maxLength: 20 }) }).map(x => ({ spec: { ie: 82, length: VARLEN }, value: x.b }))
), { maxLength: 4 })

describe('flow decoder: IPFIX and NetFlow v9', () => {
  it('round-trips IPFIX flows through random templates (reduced-size, variable-length and enterprise fields skipped)', () => {
    fc.assert(fc.property(fc.boolean(), fc.array(arbFlow(false), { minLength: 1, maxLength: 20 }), fc.array(arbFlow(true), { maxLength: 10 }), arbExtra, fc.integer({ min: 256, max: 65000 }),
      (templateFirst, flows4, flows6, extra, tid) => {
        const t4 = flowTemplate(tid, false, extra.map(e => e.spec))
        const t6 = flowTemplate(tid + 1, true)
        const d = new FlowDecoder()
        const sets: SetSpec[] = [
          { kind: 'data', templateId: t4.id, template: t4, records: flows4.map(f => flowValues(f, extra.map(e => e.value))) },
          ...(flows6.length > 0 ? [{ kind: 'data' as const, templateId: t6.id, template: t6, records: flows6.map(f => flowValues(f)) }] : [])
        ]
        const tmpl: SetSpec = { kind: 'templates', templates: [t4, t6] }
        let records: FlowRecord[]
        if (templateFirst) {
          records = d.decode(encodeIpfix({ exportTime: NOW / 1000, sequence: 0, domain: 7, sets: [tmpl, ...sets] }), EXPORTER, NOW).records
        } else {
          // Data before its template: held, then decoded when the template arrives.
          const first = d.decode(encodeIpfix({ exportTime: NOW / 1000, sequence: 0, domain: 7, sets }), EXPORTER, NOW)
          assert.equal(first.records.length, 0)
          assert.equal(first.held, sets.length)
          records = d.decode(encodeIpfix({ exportTime: NOW / 1000, sequence: flows4.length + flows6.length, domain: 7, sets: [tmpl] }), EXPORTER, NOW + 10).records
        }
        assert.deepEqual(records.map(essentials), [...flows4, ...flows6].map(expected))
        for (const r of records) { assert.equal(r.domain, 7); assert.equal(r.exporter, EXPORTER); assert.equal(r.samplingRate, 1) }
      }), { numRuns: 150 })
  })

  it('round-trips NetFlow v9 flows with sysUpTime times, 2-byte interfaces and reduced-size counters', () => {
    fc.assert(fc.property(fc.array(arbFlow(false), { minLength: 1, maxLength: 25 }), fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.constantFrom(1, 2, 4, 8),
      (flows, uptime, counterLen) => {
        const exportSec = Math.floor(NOW / 1000)
        const t: TemplateSpec = {
          id: 300,
          fields: [{ ie: 8, length: 4 }, { ie: 12, length: 4 }, { ie: 1, length: counterLen }, { ie: 2, length: counterLen }, { ie: 5, length: 1 },
            { ie: 10, length: 2 }, { ie: 14, length: 2 }, { ie: 22, length: 4 }, { ie: 21, length: 4 }]
        }
        const max = 2 ** (Math.min(counterLen, 6) * 8) - 1
        const fit = flows.map(f => ({ ...f, octets: f.octets % max, packets: f.packets % max, inIf: (f.inIf ?? 0) & 0xffff, outIf: (f.outIf ?? 0) & 0xffff }))
        // Times relative to the exporter's uptime at export (exportSec * 1000 + 0 ms), wrapping at 2^32.
        const rel = (ms: number): number => (((uptime + ms - exportSec * 1000) % 2 ** 32) + 2 ** 32) % 2 ** 32
        const records = fit.map(f => [f.src, f.dst, f.octets, f.packets, f.dscp << 2, f.inIf, f.outIf, rel(f.startMs), rel(f.endMs)])
        const d = new FlowDecoder()
        const r = d.decode(encodeV9({ uptime, exportSec, sequence: 1, sourceId: 3, sets: [{ kind: 'templates', templates: [t] }, { kind: 'data', templateId: 300, template: t, records }] }), EXPORTER, NOW)
        assert.equal(r.malformed, undefined)
        assert.deepEqual(r.records.map(x => essentials(x)), fit.map(f => ({ ...(expected(f) as object), prevAs: -1, nextAs: -1 })))
      }), { numRuns: 150 })
  })

  it('reads DSCP from ipDiffServCodePoint, times in seconds and NTP microseconds, and totals when no delta counter', () => {
    const t: TemplateSpec = { id: 400, fields: [{ ie: 8, length: 4 }, { ie: 12, length: 4 }, { ie: 23, length: 4 }, { ie: 24, length: 4 }, { ie: 195, length: 1 }, { ie: 150, length: 4 }, { ie: 155, length: 8 }] }
    const ntp = (ms: number): bigint => (BigInt(Math.floor(ms / 1000) + 2_208_988_800) << 32n) | BigInt(Math.floor((ms % 1000) * 2 ** 32 / 1000) + 1)
    const d = new FlowDecoder()
    const r = d.decode(encodeIpfix({ exportTime: NOW / 1000, sequence: 0, domain: 0, sets: [{ kind: 'templates', templates: [t] }, { kind: 'data', templateId: 400, template: t, records: [[ip('10.0.0.1'), ip('10.0.0.2'), 1500, 3, 46, NOW / 1000 - 10, ntp(NOW - 1234)]] }] }), EXPORTER, NOW)
    assert.equal(r.records.length, 1)
    const x = r.records[0] as FlowRecord
    assert.deepEqual([x.octets, x.packets, x.dscp, x.startMs, x.endMs], [1500, 3, 46, NOW - 10_000, NOW - 1234])
  })

  it('places IPFIX sysUpTime times with the exporter\'s systemInitTimeMilliseconds (options), and scales by its sampling', () => {
    const init = NOW - 86_400_000
    const opt: TemplateSpec = { id: 256, scopeCount: 1, fields: [{ ie: 144, length: 4 }, { ie: 160, length: 8 }, { ie: 305, length: 4 }, { ie: 306, length: 4 }, { ie: 304, length: 2 }, { ie: 82, length: 16 }] }
    const t: TemplateSpec = { id: 1024, fields: [{ ie: 8, length: 4 }, { ie: 12, length: 4 }, { ie: 22, length: 4 }, { ie: 21, length: 4 }, { ie: 1, length: 4 }, { ie: 2, length: 4 }, { ie: 5, length: 1 }] }
    const d = new FlowDecoder()
    const r = d.decode(encodeIpfix({
      exportTime: NOW / 1000, sequence: 0, domain: 0,
      sets: [
        { kind: 'templates', templates: [t] },
        { kind: 'options-templates', templates: [opt] },
        { kind: 'data', templateId: 256, template: opt, records: [[1, init, 1, 9, 3, new Uint8Array(16)]] },
        { kind: 'data', templateId: 1024, template: t, records: [[ip('10.0.0.1'), ip('10.0.0.2'), 5000, 86_390_000, 100, 2, 0]] }
      ]
    }), EXPORTER, NOW)
    assert.equal(r.templates, 2)
    assert.equal(r.records.length, 1, 'an options record is not a flow')
    const x = r.records[0] as FlowRecord
    assert.deepEqual([x.startMs, x.endMs, x.samplingRate], [init + 5000, NOW - 10_000, 10])
  })

  it('takes NetFlow v9 sampling from an options template (scope fields are not information elements)', () => {
    const opt: TemplateSpec = { id: 256, scopeCount: 1, fields: [{ ie: 2, length: 4 }, { ie: 34, length: 4 }, { ie: 35, length: 1 }] }
    const t = flowTemplate(1024, false)
    const f: TestFlow = { src: ip('10.0.0.1'), dst: ip('10.0.0.2'), octets: 100, packets: 1, dscp: 0, startMs: NOW - 5, endMs: NOW }
    const d = new FlowDecoder()
    const r = d.decode(encodeV9({ uptime: 1000, exportSec: NOW / 1000, sequence: 1, sourceId: 0, sets: [{ kind: 'options-templates', templates: [opt] }, { kind: 'data', templateId: 256, template: opt, records: [[7, 100, 1]] }, { kind: 'templates', templates: [t] }, { kind: 'data', templateId: 1024, template: t, records: [flowValues(f)] }] }), EXPORTER, NOW)
    assert.equal(r.malformed, undefined)
    assert.equal(r.records[0]?.samplingRate, 100)
  })

  it('withdraws one template, and all templates, so later data is held and then dropped', () => {
    const t1 = flowTemplate(500, false)
    const t2 = flowTemplate(501, false)
    const f: TestFlow = { src: ip('10.0.0.1'), dst: ip('10.0.0.2'), octets: 100, packets: 1, dscp: 0, startMs: NOW, endMs: NOW }
    const data = (id: number, t: TemplateSpec): SetSpec => ({ kind: 'data', templateId: id, template: t, records: [flowValues(f)] })
    const d = new FlowDecoder({ holdMs: 1000 })
    const msg = (seq: number, sets: SetSpec[]): Uint8Array => encodeIpfix({ exportTime: NOW / 1000, sequence: seq, domain: 1, sets })
    assert.equal(d.decode(msg(0, [{ kind: 'templates', templates: [t1, t2] }, data(500, t1), data(501, t2)]), EXPORTER, NOW).records.length, 2)
    const w = d.decode(msg(2, [{ kind: 'withdraw', ids: [500] }, data(500, t1), data(501, t2)]), EXPORTER, NOW)
    assert.deepEqual([w.templates, w.records.length, w.held], [1, 1, 1])
    const all = d.decode(msg(3, [{ kind: 'withdraw', ids: [2] }, data(501, t2)]), EXPORTER, NOW + 10)
    assert.deepEqual([all.records.length, all.held], [0, 1])
    assert.equal(d.heldCount(), 2)
    assert.deepEqual([...d.expire(NOW + 5000)], [[EXPORTER, 2]])
    assert.equal(d.heldCount(), 0)
  })

  it('forgets a NetFlow v9 template after its lifetime', () => {
    const t = flowTemplate(600, false)
    const f: TestFlow = { src: ip('10.0.0.1'), dst: ip('10.0.0.2'), octets: 100, packets: 1, dscp: 0, startMs: NOW, endMs: NOW }
    const d = new FlowDecoder({ templateLifetimeMs: 60_000 })
    const pkt = (seq: number, sets: SetSpec[]): Uint8Array => encodeV9({ uptime: 1, exportSec: NOW / 1000, sequence: seq, sourceId: 0, sets })
    d.decode(pkt(1, [{ kind: 'templates', templates: [t] }]), EXPORTER, NOW)
    assert.equal(d.decode(pkt(2, [{ kind: 'data', templateId: 600, template: t, records: [flowValues(f)] }]), EXPORTER, NOW + 59_000).records.length, 1)
    d.expire(NOW + 61_000)
    const late = d.decode(pkt(3, [{ kind: 'data', templateId: 600, template: t, records: [flowValues(f)] }]), EXPORTER, NOW + 61_000)
    assert.deepEqual([late.records.length, late.held], [0, 1])
  })

  it('keeps templates per exporter, transport session and observation domain', () => {
    const t = flowTemplate(700, false)
    const f: TestFlow = { src: ip('10.0.0.1'), dst: ip('10.0.0.2'), octets: 100, packets: 1, dscp: 0, startMs: NOW, endMs: NOW }
    const d = new FlowDecoder()
    d.decode(encodeIpfix({ exportTime: 1, sequence: 0, domain: 1, sets: [{ kind: 'templates', templates: [t] }] }), EXPORTER, NOW, '4739')
    const data: SetSpec[] = [{ kind: 'data', templateId: 700, template: t, records: [flowValues(f)] }]
    assert.equal(d.decode(encodeIpfix({ exportTime: 1, sequence: 0, domain: 2, sets: data }), EXPORTER, NOW, '4739').records.length, 0, 'other domain')
    assert.equal(d.decode(encodeIpfix({ exportTime: 1, sequence: 0, domain: 1, sets: data }), EXPORTER, NOW, '5000').records.length, 0, 'other session')
    assert.equal(d.decode(encodeIpfix({ exportTime: 1, sequence: 0, domain: 1, sets: data }), '192.0.2.2', NOW, '4739').records.length, 0, 'other exporter')
    assert.equal(d.decode(encodeIpfix({ exportTime: 1, sequence: 0, domain: 1, sets: data }), EXPORTER, NOW, '4739').records.length, 1)
  })

  it('counts IPFIX sequence gaps in records, whether the exporter counts before (RFC 7011) or including the message', () => {
    const t = flowTemplate(800, false)
    const f: TestFlow = { src: ip('10.0.0.1'), dst: ip('10.0.0.2'), octets: 1, packets: 1, dscp: 0, startMs: NOW, endMs: NOW }
    const msg = (seq: number, n: number): Uint8Array => encodeIpfix({ exportTime: 1, sequence: seq, domain: 0, sets: [{ kind: 'templates', templates: [t] }, { kind: 'data', templateId: 800, template: t, records: new Array<FieldValue[]>(n).fill(flowValues(f)) }] })
    for (const style of ['rfc', 'post'] as const) {
      const d = new FlowDecoder()
      const sizes = [3, 5, 2, 4, 4, 6, 1]
      const lostAt = new Set([3])
      let sent = 0
      let lost = 0
      for (const [i, n] of sizes.entries()) {
        const seq = style === 'rfc' ? sent : sent + n
        sent += n
        if (lostAt.has(i)) continue
        lost += d.decode(msg(seq, n), EXPORTER, NOW).lost
      }
      assert.equal(lost, 4, `${style}: the 4 records of the lost message`)
    }
  })

  it('does not count records of sets held for their template as lost', () => {
    const t = flowTemplate(801, false)
    const f: TestFlow = { src: ip('10.0.0.1'), dst: ip('10.0.0.2'), octets: 1, packets: 1, dscp: 0, startMs: NOW, endMs: NOW }
    const data = (n: number): SetSpec => ({ kind: 'data', templateId: 801, template: t, records: new Array<FieldValue[]>(n).fill(flowValues(f)) })
    const d = new FlowDecoder()
    const held = d.decode(encodeIpfix({ exportTime: 1, sequence: 0, domain: 0, sets: [data(3)] }), EXPORTER, NOW)
    assert.equal(held.held, 1)
    const next = d.decode(encodeIpfix({ exportTime: 1, sequence: 3, domain: 0, sets: [{ kind: 'templates', templates: [t] }, data(2)] }), EXPORTER, NOW)
    assert.deepEqual([next.records.length, next.lost], [5, 0])
    assert.equal(d.decode(encodeIpfix({ exportTime: 1, sequence: 5, domain: 0, sets: [data(1)] }), EXPORTER, NOW).lost, 0)
    assert.equal(d.decode(encodeIpfix({ exportTime: 1, sequence: 9, domain: 0, sets: [data(1)] }), EXPORTER, NOW).lost, 3)
  })

  it('counts NetFlow v9 sequence gaps in packets, and no loss on a restart of the exporter', () => {
    const d = new FlowDecoder()
    const pkt = (seq: number): Uint8Array => encodeV9({ uptime: 1, exportSec: 1, sequence: seq, sourceId: 0, sets: [] })
    const lost = [1, 2, 5, 6, 7, 1, 2].map(s => d.decode(pkt(s), EXPORTER, NOW).lost)
    assert.deepEqual(lost, [0, 0, 2, 0, 0, 0, 0])
  })

  it('says what was lost across a restart from the sequence state it was given', () => {
    const d1 = new FlowDecoder()
    const pkt = (seq: number): Uint8Array => encodeV9({ uptime: 1, exportSec: 1, sequence: seq, sourceId: 0, sets: [] })
    d1.decode(pkt(1), EXPORTER, NOW, '9')
    d1.decode(pkt(2), EXPORTER, NOW, '9')
    const d2 = new FlowDecoder({}, d1.sequences())
    const r = d2.decode(pkt(6), EXPORTER, NOW, '9')
    assert.deepEqual([r.restored, r.lost], [true, 3])
    assert.deepEqual([d2.decode(pkt(7), EXPORTER, NOW, '9').restored], [false])
  })

  it('counts malformed packets and keeps what it read before the fault', () => {
    const t = flowTemplate(900, false)
    const f: TestFlow = { src: ip('10.0.0.1'), dst: ip('10.0.0.2'), octets: 1, packets: 1, dscp: 0, startMs: NOW, endMs: NOW }
    const d = new FlowDecoder()
    const good = encodeIpfix({ exportTime: 1, sequence: 0, domain: 0, sets: [{ kind: 'templates', templates: [t] }, { kind: 'data', templateId: 900, template: t, records: [flowValues(f)] }] })
    assert.match(d.decode(good.subarray(0, good.length - 3), EXPORTER, NOW).malformed ?? '', /length/)
    const bad = good.slice()
    bad[bad.length - 57 + 2] = 0xff // the data set's length (one 53-byte record) now overruns the message
    const r = d.decode(bad, EXPORTER, NOW)
    assert.ok(r.malformed !== undefined)
    assert.equal(d.decode(Uint8Array.of(0, 5, 1, 2), EXPORTER, NOW).malformed, 'unknown version 5')
    assert.match(d.decode(encodeIpfix({ exportTime: 1, sequence: 0, domain: 0, sets: [{ kind: 'templates', templates: [{ id: 12, fields: [{ ie: 1, length: 4 }] }] }] }), EXPORTER, NOW).malformed ?? '', /reserved/)
    assert.match(d.decode(encodeIpfix({ exportTime: 1, sequence: 0, domain: 0, sets: [{ kind: 'templates', templates: [{ id: 333, fields: [{ ie: 1, length: 0 }] }] }] }), EXPORTER, NOW).malformed ?? '', /length of 0/)
  })

  it('never throws on random bytes, nor on valid packets cut, flipped or spliced (fuzz)', () => {
    const t = flowTemplate(1000, false, [{ ie: 82, length: VARLEN }, { ie: 77, length: VARLEN, enterprise: 9 }])
    const opt: TemplateSpec = { id: 257, scopeCount: 1, fields: [{ ie: 144, length: 4 }, { ie: 160, length: 8 }, { ie: 34, length: 4 }] }
    const f: TestFlow = { src: ip('10.0.0.1'), dst: ip('10.0.0.2'), octets: 1, packets: 1, dscp: 0, startMs: NOW, endMs: NOW }
    const seeds = [
      encodeIpfix({ exportTime: 1, sequence: 0, domain: 0, sets: [{ kind: 'templates', templates: [t] }, { kind: 'options-templates', templates: [opt] }, { kind: 'data', templateId: 257, template: opt, records: [[1, NOW, 4]] }, { kind: 'data', templateId: 1000, template: t, records: [flowValues(f, [new Uint8Array(300), new Uint8Array(3)]), flowValues(f, [new Uint8Array(0), new Uint8Array(0)])] }] }),
      encodeV9({ uptime: 1, exportSec: 1, sequence: 1, sourceId: 0, sets: [{ kind: 'options-templates', templates: [opt] }, { kind: 'templates', templates: [flowTemplate(1001, true)] }, { kind: 'data', templateId: 1001, template: flowTemplate(1001, true), records: [flowValues({ ...f, src: ip('2001:db8::1'), dst: ip('2001:db8::2') })] }] })
    ]
    const mutate = fc.oneof(
      fc.uint8Array({ maxLength: 600 }),
      fc.tuple(fc.constantFrom(...seeds), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }), fc.nat()).map(([s, flips, cut]) => {
        const b = s.slice(0, Math.max(0, s.length - (cut % (s.length + 1))))
        for (const [i, v] of flips) if (b.length > 0) b[i % b.length] = v
        return b
      }),
      fc.tuple(fc.constantFrom(...seeds), fc.uint8Array({ maxLength: 64 }), fc.nat()).map(([s, junk, at]) => {
        const i = at % (s.length + 1)
        return Uint8Array.from([...s.subarray(0, i), ...junk, ...s.subarray(i)])
      })
    )
    fc.assert(fc.property(fc.array(mutate, { minLength: 1, maxLength: 12 }), (packets) => {
      const d = new FlowDecoder({ maxHeld: 4 })
      for (const [i, p] of packets.entries()) {
        const r = d.decode(p, EXPORTER, NOW + i, String(i % 2))
        for (const x of r.records) {
          assert.ok(Number.isFinite(x.octets) && x.octets >= 0 && Number.isFinite(x.packets) && x.packets >= 0)
          assert.ok(x.startMs <= x.endMs)
        }
        d.expire(NOW + i * 1000)
        assert.ok(d.heldCount() <= 4 * packets.length)
      }
    }), { numRuns: 3000 })
  })
})
