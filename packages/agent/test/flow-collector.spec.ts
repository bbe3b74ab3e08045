/**
 * The flow collector inside an agent, fed over UDP by the test encoder: counters per interval in
 * GET /v1/usage, late records after our report is signed (counted, never in the report), exporters
 * not allowed, and a crash: only the records received since the last sync are lost, and the agent
 * says how many when the exporter sends again.
 */
import assert from 'node:assert/strict'
import { createSocket } from 'node:dgram'
import { MemoryLevel } from 'memory-level'
import { type Identity } from '@splitedge/wire'
import type { Agent } from '../src/agent.js'
import { configFor, makeIdentities, startAgent, waitFor, freePorts } from './agent-fixtures.js'
import { encodeIpfix, flowTemplate, flowValues, ip, type TestFlow } from './flow-encode.js'

// Ports are chosen free when the tests start (see freePorts).
const PORTS: number[] = []
const INTERVAL = 60_000
const T = flowTemplate(1024, false)

async function send (port: number, packet: Uint8Array): Promise<void> {
  const s = createSocket('udp4')
  await new Promise<void>((resolve, reject) => s.send(packet, port, '127.0.0.1', (err) => { if (err !== null) reject(err); else resolve() }))
  s.close()
}

async function counter (agent: Agent, name: string, labels: Record<string, string> = {}): Promise<number> {
  agent.flows?.flushStats()
  const m = (await agent.ctx.metrics.registry.getSingleMetric(name)?.get())?.values ?? []
  return m.filter(v => Object.entries(labels).every(([k, x]) => v.labels[k] === x)).reduce((s, v) => s + v.value, 0)
}

describe('agent: flow collector over UDP', function () {
  this.timeout(30_000)
  let ids: Identity[]
  before(async () => { PORTS.push(...await freePorts(2)) })
  before(async () => { ids = await makeIdentities(2) })

  const config = (usage: Record<string, unknown> = {}): ReturnType<typeof configFor> => configFor(0, ids, PORTS, [[0, 1]], {
    intervalMs: INTERVAL, periodIntervals: 2, http: { host: '127.0.0.1', port: 0 },
    usage: { source: 'ipfix', listen: '127.0.0.1:0', classes: { 46: 'ef', '*': 'be' }, borders: { n1: { prefixes: ['198.51.100.0/24'] } }, syncMs: 60_000, ...usage }
  })
  const flow = (over: Partial<TestFlow>): TestFlow => ({ src: ip('192.0.2.1'), dst: ip('198.51.100.1'), octets: 1000, packets: 2, dscp: 0, startMs: 0, endMs: 0, ...over })
  const packet = (seq: number, flows: TestFlow[]): Uint8Array => encodeIpfix({ exportTime: 1, sequence: seq, domain: 0, sets: [{ kind: 'templates', templates: [T] }, { kind: 'data', templateId: 1024, template: T, records: flows.map(f => flowValues(f)) }] })

  it('counts records into interval counters, shown by GET /v1/usage with octets, packets and records', async () => {
    const r = await startAgent(config(), ids[0]!, undefined, { http: true })
    try {
      const { agent } = r
      const port = agent.flows?.port as number
      const s = Math.floor(Date.now() / INTERVAL) * INTERVAL - INTERVAL
      await send(port, packet(0, [
        flow({ octets: 1000, packets: 2, startMs: s + 10, endMs: s + 20 }),
        flow({ octets: 500, packets: 1, dscp: 46, src: ip('198.51.100.9'), dst: ip('192.0.2.1'), startMs: s + 30, endMs: s + 30 }),
        flow({ octets: 300, packets: 3, startMs: s + INTERVAL - 10, endMs: s + INTERVAL + 20 }),
        flow({ octets: 70, packets: 1, dst: ip('100.64.0.1'), startMs: s, endMs: s })
      ]))
      await waitFor('records received', async () => await counter(agent, 'splitedge_ipfix_records_total') === 4)
      const view = await (await fetch(`${agent.url as string}/v1/usage?neighbour=n1&interval=${s}`)).json() as { unit: string, reported: boolean, lines: unknown[] }
      assert.equal(view.unit, null, 'no tariff yet: octets are counted')
      assert.equal(view.reported, false)
      assert.deepEqual(view.lines, [
        { class: 'be', direction: 'out', volume: '1100', octets: 1100, packets: 3, records: 2 },
        { class: 'ef', direction: 'in', volume: '500', octets: 500, packets: 1, records: 1 }
      ])
      const next = await (await fetch(`${agent.url as string}/v1/usage?neighbour=n1&interval=${s + INTERVAL}`)).json() as { lines: unknown[] }
      assert.deepEqual(next.lines, [{ class: 'be', direction: 'out', volume: '200', octets: 200, packets: 2, records: 1 }], 'pro-rata: 10 ms before the boundary, 20 after')
      assert.equal(await counter(agent, 'splitedge_ipfix_unattributed_total', { reason: 'no-border' }), 1)
      const bad = await fetch(`${agent.url as string}/v1/usage?neighbour=n1&interval=${s + 1}`)
      assert.equal(bad.status, 400)
      assert.match((await bad.json() as { error: string }).error, /^interval: must be an interval start/)
    } finally {
      await r.agent.stop()
    }
  })

  it('counts a record for an interval already reported as late, and never changes the signed report', async () => {
    const r = await startAgent(config(), ids[0]!, undefined, { http: true })
    try {
      const { agent } = r
      const port = agent.flows?.port as number
      const peer = ids[1]!.peerId
      const s = Math.floor(Date.now() / INTERVAL) * INTERVAL - INTERVAL
      await send(port, packet(0, [flow({ startMs: s + 5, endMs: s + 5 })]))
      await waitFor('record received', async () => await counter(agent, 'splitedge_ipfix_records_total') === 1)
      const report = await agent.border.ownReport(peer, s)
      assert.deepEqual(report.doc.body.lines.map(l => l.volume), ['1000'])
      await send(port, packet(1, [flow({ octets: 9, startMs: s + 6, endMs: s + 6 })]))
      await waitFor('record received', async () => await counter(agent, 'splitedge_ipfix_records_total') === 2)
      await agent.flows?.flush()
      assert.equal(await counter(agent, 'splitedge_ipfix_late_total'), 1)
      assert.equal((await agent.border.ownReport(peer, s)).doc.body.lines[0]?.volume, '1000')
      assert.deepEqual((await agent.usage.current(peer, s)).lines.map(l => l.volume), ['1000'])
    } finally {
      await r.agent.stop()
    }
  })

  it('drops and counts packets from exporters not on the allow-list', async () => {
    const r = await startAgent(config({ exporters: ['192.0.2.1'] }), ids[0]!)
    try {
      const { agent } = r
      await send(agent.flows?.port as number, packet(0, [flow({ startMs: Date.now(), endMs: Date.now() })]))
      await waitFor('packet dropped', async () => await counter(agent, 'splitedge_ipfix_dropped_total', { reason: 'exporter-not-allowed' }) === 1)
      assert.equal(await counter(agent, 'splitedge_ipfix_records_total'), 0)
    } finally {
      await r.agent.stop()
    }
  })

  it('after a crash, loses only the records received since the last sync, and says how many', async () => {
    const db = new MemoryLevel<string, Uint8Array>({ valueEncoding: 'view' })
    const peer = ids[1]!.peerId
    const s = Math.floor(Date.now() / INTERVAL) * INTERVAL - INTERVAL
    const five = Array.from({ length: 5 }, (_x, i) => flow({ octets: 100, startMs: s + i, endMs: s + i }))
    const seven = Array.from({ length: 7 }, (_x, i) => flow({ octets: 10, startMs: s + i, endMs: s + i }))
    const three = Array.from({ length: 3 }, (_x, i) => flow({ octets: 1, startMs: s + i, endMs: s + i }))
    // A fixed source port: the exporter's transport session survives the agent's restart.
    const exporter = createSocket('udp4')
    await new Promise<void>(resolve => exporter.bind(0, '127.0.0.1', () => resolve()))
    const sendFrom = async (port: number, p: Uint8Array): Promise<void> => { await new Promise<void>((resolve, reject) => exporter.send(p, port, '127.0.0.1', (e) => { if (e !== null) reject(e); else resolve() })) }
    try {
      const first = await startAgent(config(), ids[0]!, db)
      let port = first.agent.flows?.port as number
      await sendFrom(port, packet(0, five))
      await waitFor('5 records', async () => await counter(first.agent, 'splitedge_ipfix_records_total') === 5)
      await first.agent.flows?.flush()
      await sendFrom(port, packet(5, seven))
      await waitFor('12 records', async () => await counter(first.agent, 'splitedge_ipfix_records_total') === 12)
      assert.equal((await first.agent.ctx.metrics.flow.unsynced.get()).values[0]?.value, 7, 'seven records not yet synced')
      // The crash: nothing more reaches the store.
      const flows = first.agent.flows as unknown as { sync: () => Promise<void> }
      flows.sync = async () => {}
      await first.agent.stop()

      const again = await startAgent(config(), ids[0]!, db)
      port = again.agent.flows?.port as number
      await sendFrom(port, packet(12, three))
      await waitFor('3 records', async () => await counter(again.agent, 'splitedge_ipfix_records_total') === 3)
      assert.equal(await counter(again.agent, 'splitedge_ipfix_lost_at_restart_total', { unit: 'records' }), 7)
      assert.equal(await counter(again.agent, 'splitedge_ipfix_lost_total'), 0, 'not counted twice')
      assert.deepEqual((await again.agent.usage.current(peer, s)).lines.map(l => [l.volume, l.records]), [['503', 8]])
      await again.agent.stop()
    } finally {
      exporter.close()
    }
  })
})
