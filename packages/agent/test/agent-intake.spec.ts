/**
 * The usage intake's promise: a push answered 2xx is counted exactly once in the report of its
 * interval. Each case here failed on the agent before the intake was rebuilt (concurrent pushes
 * lost, pushes at the close lost, pushes that wedge a border, pushes for intervals never reported,
 * retries counted twice). One agent, its HTTP API on a free port, a clock the test moves.
 */
import assert from 'node:assert/strict'
import { MemoryLevel } from 'memory-level'
import { decodeDocument, type Identity } from '@splitedge/wire'
import { borderOf } from '@splitedge/store'
import { configFor, makeIdentities, pricing, startAgent, type Running } from './agent-fixtures.js'

const INTERVAL = 1000
const BASE = 1_800_000_000_000 // a multiple of INTERVAL: the border's first interval

interface Answer { status: number, body: { error?: string, code?: string, field?: string, accepted?: number, duplicates?: number }, headers: Headers }

async function post (url: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(`${url}/v1/usage`, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } })
  return { status: res.status, body: await res.json() as Answer['body'], headers: res.headers }
}

/** Run `fn` over `items` with at most `width` in flight. */
async function pool<T, R> (items: T[], width: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length)
  let next = 0
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) { const i = next++; out[i] = await fn(items[i] as T) }
  }))
  return out
}

/** One agent with its HTTP API on a clock the test moves (`c.t`); its first interval with n1 is BASE. */
interface Intake {
  readonly A: Running
  url: string
  peer: string
  border: string
  ids: Identity[]
  t: number
  volumeOf: (start: number, cls?: string, direction?: 'in' | 'out') => Promise<string | undefined>
}

const CLASSES = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`c${i}`, { mode: 'unicast' as const, quality: 'BE', price: '0.000001' }]))

/** Start the agent before the calling describe's tests (at BASE exactly) and stop it after them. */
function intakeAgent (): Intake {
  let running: Running | undefined
  const c: Intake = {
    get A (): Running {
      if (running === undefined) throw new Error('the agent is not started')
      return running
    },
    url: '', peer: '', border: '', ids: [], t: BASE, volumeOf: async () => undefined
  }
  before(async () => {
    c.ids = await makeIdentities(2)
    const config = configFor(0, c.ids, [0, 1], [[0, 1]], { intervalMs: INTERVAL, periodIntervals: 4, usage: { source: 'http' }, http: { host: '127.0.0.1', port: 0 } })
    running = await startAgent(config, c.ids[0]!, undefined, { http: true, now: () => c.t })
    c.url = c.A.agent.url!
    c.peer = c.ids[1]!.peerId
    c.border = borderOf(c.ids[0]!.peerId, c.peer)
    const base = pricing('0.000001')
    await c.A.agent.tariffs.publishOwn({ ...base, classes: { ...base.classes, ...CLASSES } }, 0)
    c.t = BASE + 10
    c.volumeOf = async (start, cls = 'be', direction = 'out') => {
      const counters = await c.A.agent.usage.counters(c.peer, start)
      const [from, to] = direction === 'out' ? [c.ids[0]!.peerId, c.peer] : [c.peer, c.ids[0]!.peerId]
      return counters.lines[`${cls}|${from}|${to}`]?.volume
    }
  })
  after(async () => { await running?.agent.stop() })
  return c
}

describe('agent: the usage intake counts every acknowledged push exactly once', function () {
  this.timeout(60_000)
  const c = intakeAgent()

  it('200 parallel pushes of 1 into one interval: all acknowledged, 200 counted (was 1 or 2)', async () => {
    const { url, volumeOf } = c
    const answers = await Promise.all(Array.from({ length: 200 }, async () => await post(url, { neighbour: 'n1', intervalStart: BASE, class: 'be', direction: 'out', volume: '1' })))
    assert.deepEqual(new Set(answers.map(a => a.status)), new Set([200]))
    assert.equal(await volumeOf(BASE), '200')
  })

  it('10 classes pushed in parallel all survive', async () => {
    const { url, volumeOf } = c
    await Promise.all(Array.from({ length: 50 }, async (_, i) => await post(url, { neighbour: 'n1', intervalStart: BASE, class: `c${i % 10}`, direction: 'in', volume: '3' })))
    for (let i = 0; i < 10; i++) assert.equal(await volumeOf(BASE, `c${i}`, 'in'), '15', `class c${i}`)
  })

  it('2,000 pushes with 16 in flight: counted total equals acknowledged total', async () => {
    const { url, volumeOf } = c
    const start = BASE + INTERVAL
    c.t = start + 10
    const answers = await pool(Array.from({ length: 2000 }, (_, i) => i), 16, async (i) => await post(url, { neighbour: 'n1', intervalStart: start, class: 'ef', direction: i % 2 === 0 ? 'in' : 'out', volume: String(1 + (i % 7)) }))
    let sumIn = 0
    let sumOut = 0
    answers.forEach((a, i) => { assert.equal(a.status, 200); if (i % 2 === 0) sumIn += 1 + (i % 7); else sumOut += 1 + (i % 7) })
    assert.equal(await volumeOf(start, 'ef', 'in'), String(sumIn))
    assert.equal(await volumeOf(start, 'ef', 'out'), String(sumOut))
  })
})

describe('agent: the usage intake at the close of an interval, and for intervals never reported', function () {
  this.timeout(60_000)
  const c = intakeAgent()

  it('pushes racing the close of their interval are either in the report or refused with 409', async () => {
    const { A, url, peer } = c
    for (let trial = 0; trial < 5; trial++) {
      const start = BASE + (2 + trial) * INTERVAL
      c.t = start + INTERVAL + 300 // closed: the report may be built now
      let acknowledged = 0
      let refused = 0
      // The close starts once some pushes are in, while the rest are still arriving.
      const threshold = 5 + trial * 10
      let reached: () => void = () => {}
      const enough = new Promise<void>(resolve => { reached = resolve })
      const pushes = (async () => {
        for (let i = 0; i < 60; i++) {
          const a = await post(url, { neighbour: 'n1', intervalStart: start, class: 'be', direction: 'out', volume: '1' })
          if (a.status === 200) acknowledged++
          else { assert.equal(a.status, 409, JSON.stringify(a.body)); assert.equal(a.body.code, 'interval-closed'); refused++ }
          if (acknowledged === threshold) reached()
        }
        reached()
      })()
      await enough
      const report = await A.agent.border.ownReport(peer, start)
      await pushes
      const line = report.doc.body.lines.find(l => l.class === 'be')
      assert.equal(line?.volume ?? '0', String(acknowledged), `trial ${trial}: the report holds exactly the acknowledged pushes (${acknowledged} acknowledged, ${refused} refused)`)
      assert.equal(acknowledged + refused, 60)
    }
  })

  it('refuses pushes for intervals that can never be reported, and inconsistent times', async () => {
    const { url } = c
    const cases: Array<[unknown, number, string, string]> = [
      [{ intervalStart: 0 }, 409, 'before-border', '[0]'],
      [{ time: BASE - 3_600_000 }, 409, 'before-border', '[0]'],
      [{ time: BASE + 9 * INTERVAL + 5, intervalStart: BASE + 8 * INTERVAL }, 400, 'invalid', '[0].intervalStart'],
      [{ intervalStart: BASE + 2 * INTERVAL }, 409, 'interval-closed', '[0]']
    ]
    for (const [when, status, code, field] of cases) {
      const a = await post(url, { neighbour: 'n1', class: 'be', direction: 'out', volume: '1', ...(when as object) })
      assert.deepEqual([a.status, a.body.code, a.body.field], [status, code, field], JSON.stringify(a.body))
    }
  })
})

describe('agent: the usage intake refuses what could not be signed or priced', function () {
  this.timeout(60_000)
  const c = intakeAgent()

  it('refuses at the push what could not be signed or priced, and the report stays buildable', async () => {
    const { A, url, peer, volumeOf } = c
    const start = BASE + 8 * INTERVAL
    c.t = start + 10
    const cases: Array<[unknown, number, string, string]> = [
      [{ class: 'be', direction: 'out', volume: '1' + '0'.repeat(30) }, 422, 'over-limit', '[0].volume'],
      [{ class: 'be', direction: 'out', volume: '12.5' }, 422, 'over-limit', '[0]'],
      [{ class: 'zz', direction: 'out', volume: '1' }, 422, 'unpriced-class', '[0].class'],
      [{ class: 'be', direction: 'out', volume: '1', messages: 1.5 }, 400, 'invalid', '[0].messages']
    ]
    for (const [item, status, code, field] of cases) {
      const a = await post(url, { neighbour: 'n1', intervalStart: start, ...(item as object) })
      assert.deepEqual([a.status, a.body.code, a.body.field], [status, code, field], JSON.stringify(a.body))
    }
    // Two volumes that each fit but whose sum does not: the second is refused, the first kept.
    const big = '9' + '0'.repeat(29)
    assert.equal((await post(url, { neighbour: 'n1', intervalStart: start, class: 'be', direction: 'in', volume: big })).status, 200)
    const sum = await post(url, { neighbour: 'n1', intervalStart: start, class: 'be', direction: 'in', volume: big })
    assert.deepEqual([sum.status, sum.body.code], [422, 'over-limit'])
    assert.equal(await volumeOf(start, 'be', 'in'), big)
    // Message counts past 2^53 - 1.
    assert.equal((await post(url, { neighbour: 'n1', intervalStart: start, class: 'ef', direction: 'in', volume: '1', messages: Number.MAX_SAFE_INTEGER })).status, 200)
    assert.equal((await post(url, { neighbour: 'n1', intervalStart: start, class: 'ef', direction: 'in', volume: '1', messages: 1 })).body.code, 'over-limit')
    // 1,024 metrics fit in a report; the 1,025th does not.
    const metrics = Array.from({ length: 1024 }, (_, i) => ({ neighbour: 'n1', intervalStart: start, class: 'be', subject: 'self', metric: `m${i}`, value: '1' }))
    assert.equal((await post(url, metrics)).status, 200)
    const over = await post(url, { neighbour: 'n1', intervalStart: start, class: 'be', subject: 'self', metric: 'one_more', value: '1' })
    assert.deepEqual([over.status, over.body.code], [422, 'over-limit'])
    // What was accepted signs.
    c.t = start + 2 * INTERVAL
    const report = await A.agent.border.ownReport(peer, start)
    assert.equal(report.doc.body.metrics.length, 1024)
    assert.ok(decodeDocument(report.bytes, 'usage-report').ok)
  })
})

describe('agent: the usage intake counts retries once, and shows the counters', function () {
  this.timeout(60_000)
  const c = intakeAgent()

  it('counts a retried item or request once: same id and body replays, same id with another body is 409', async () => {
    const { url, volumeOf } = c
    const start = BASE + 12 * INTERVAL
    c.t = start + 10
    const item = { neighbour: 'n1', intervalStart: start, class: 'be', direction: 'out', volume: '7', id: 'router-1:seq-41' }
    const first = await post(url, item)
    const again = await post(url, item)
    assert.deepEqual([first.status, first.body.accepted, again.status, again.body.accepted, again.body.duplicates], [200, 1, 200, 0, 1])
    const changed = await post(url, { ...item, volume: '8' })
    assert.deepEqual([changed.status, changed.body.code, changed.body.field], [409, 'key-reused', 'id'])
    assert.equal(await volumeOf(start), '7')
    const batch = [{ neighbour: 'n1', intervalStart: start, class: 'ef', direction: 'in', volume: '5' }, { neighbour: 'n1', intervalStart: start, class: 'ef', direction: 'in', volume: '6' }]
    const b1 = await post(url, batch, { 'idempotency-key': 'batch-0001' })
    const b2 = await post(url, batch, { 'idempotency-key': 'batch-0001' })
    assert.deepEqual([b1.status, b1.body, b2.status, b2.body], [200, { accepted: 2, duplicates: 0 }, 200, { accepted: 2, duplicates: 0 }])
    assert.equal(b2.headers.get('idempotent-replayed'), 'true')
    const b3 = await post(url, batch.slice(1), { 'idempotency-key': 'batch-0001' })
    assert.deepEqual([b3.status, b3.body.code, b3.body.field], [409, 'key-reused', 'Idempotency-Key'])
    assert.equal(await volumeOf(start, 'ef', 'in'), '11')
  })

  it('shows an interval\'s counters on GET /v1/usage', async () => {
    const { url } = c
    const start = BASE + 12 * INTERVAL
    const res = await fetch(`${url}/v1/usage?neighbour=n1&interval=${start}`)
    assert.equal(res.status, 200)
    const v = await res.json() as { state: string, lines: Array<{ class: string, direction: string, volume: string }> }
    assert.equal(v.state, 'open')
    assert.deepEqual(v.lines.map(l => [l.class, l.direction, l.volume]).sort(), [['be', 'out', '7'], ['ef', 'in', '11']])
    assert.equal((await fetch(`${url}/v1/usage?neighbour=stranger&interval=${start}`)).status, 400)
  })
})

describe('agent: the usage intake\'s errors, unreportable intervals and tariffs', function () {
  this.timeout(60_000)
  const c = intakeAgent()

  it('answers 415 to a body that is not JSON by its content type, and 400 to an unknown field', async () => {
    const { url } = c
    const plain = await fetch(`${url}/v1/usage`, { method: 'POST', body: '{}', headers: { 'content-type': 'text/plain' } })
    assert.equal(plain.status, 415)
    assert.equal(((await plain.json()) as { code: string }).code, 'unsupported-media-type')
    const a = await post(url, { neighbour: 'n1', class: 'be', direction: 'out', volume: '1', colour: 'red' })
    assert.deepEqual([a.status, a.body.field], [400, '[0].colour'])
  })

  it('an interval whose stored counters cannot be signed is disputed, later intervals proceed, and discard reopens it', async () => {
    const { A, url, peer, border, ids } = c
    const start = BASE + 14 * INTERVAL
    c.t = start + 10
    // Counters stored by an older agent, past what a report can hold (the intake refuses these now).
    const me = ids[0]!.peerId
    const huge = '1' + '0'.repeat(85)
    const w = await A.store.batch().replaceUsage(border, start, { lines: { [`be|${me}|${peer}`]: { class: 'be', from: me, to: peer, volume: huge } }, metrics: {} }, true).write()
    assert.ok(w.ok)
    c.t = start + 3 * INTERVAL
    await assert.rejects(A.agent.border.ownReport(peer, start), /usage-report|80|volume|schema/i)
    const d = await A.store.getDispute('usage', border, String(start).padStart(16, '0'))
    assert.equal(d?.status, 'open')
    assert.equal((d?.detail as { reason?: string }).reason, 'unreportable')
    const late = await post(url, { neighbour: 'n1', intervalStart: start, class: 'be', direction: 'out', volume: '1' })
    assert.deepEqual([late.status, late.body.code], [409, 'interval-closed'])
    // The next interval is unaffected.
    assert.equal((await post(url, { neighbour: 'n1', intervalStart: start + INTERVAL, class: 'be', direction: 'out', volume: '4' })).status, 200)
    assert.equal((await A.agent.border.ownReport(peer, start + INTERVAL)).doc.body.lines[0]?.volume, '4')
    // The operator discards the bad counters: the interval is open again and reports.
    const res = await fetch(`${url}/v1/usage/discard`, { method: 'POST', body: JSON.stringify({ neighbour: 'n1', intervalStart: start }), headers: { 'content-type': 'application/json' } })
    assert.equal(res.status, 200)
    assert.deepEqual(await res.json(), { neighbour: 'n1', intervalStart: start, discarded: 1, reopened: true })
    assert.equal((await A.store.getDispute('usage', border, String(start).padStart(16, '0')))?.status, 'resolved')
    assert.deepEqual((await A.agent.border.ownReport(peer, start)).doc.body.lines, [])
  })

  it('refuses a tariff that cannot be signed with 400 naming the request and the field, not 500', async () => {
    const { url } = c
    const yaml = 'currency: EUR\ndecimals: 6\nunit: octet\nclasses:\n  ef:\n    mode: unicast\n    quality: EF\n    price: "0.000003"\n    sla: [{ metric: Delay_MS, bands: [{ upTo: "20", factor: "1" }, { factor: "0" }] }]\nweights:\n  "*": { send: "1", receive: "1" }\n'
    const res = await fetch(`${url}/v1/tariff`, { method: 'POST', body: yaml, headers: { 'content-type': 'application/yaml' } })
    const body = await res.json() as { error: string, field?: string }
    assert.equal(res.status, 400, JSON.stringify(body))
    assert.match(body.error, /^tariff \(request body\)/)
    assert.match(body.error, /metric/)
    assert.doesNotMatch(body.error, /splitedge-tariff-|\/tmp\//)
  })
})

describe('agent: a full disk refuses the push and counts nothing', function () {
  this.timeout(30_000)
  it('answers 507 with the reason, and the interval keeps what it had', async () => {
    class FullDisk extends MemoryLevel<string, Uint8Array> {
      full = false
      // abstract-level's hook for every batch, sublevels included; not in its public types.
      async _batch (operations: unknown, options: unknown): Promise<void> {
        if (this.full) throw Object.assign(new Error('IO error: No space left on device'), { code: 'LEVEL_IO_ERROR', cause: Object.assign(new Error('ENOSPC'), { code: 'ENOSPC' }) })
        const inner: unknown = Reflect.get(MemoryLevel.prototype, '_batch')
        if (typeof inner !== 'function') throw new Error('memory-level has no _batch')
        return await Reflect.apply(inner, this, [operations, options])
      }
    }
    const db = new FullDisk({ valueEncoding: 'view' })
    const ids = await makeIdentities(2)
    let t = BASE
    const config = configFor(0, ids, [0, 1], [[0, 1]], { intervalMs: INTERVAL, periodIntervals: 4, usage: { source: 'http' }, http: { host: '127.0.0.1', port: 0 } })
    const A = await startAgent(config, ids[0]!, db, { http: true, now: () => t })
    try {
      await A.agent.tariffs.publishOwn(pricing('0.000001'), 0)
      t = BASE + 10
      const push = async (): Promise<Answer> => await post(A.agent.url!, { neighbour: 'n1', intervalStart: BASE, class: 'be', direction: 'out', volume: '5' })
      assert.equal((await push()).status, 200)
      db.full = true
      const a = await push()
      assert.deepEqual([a.status, a.body.code], [507, 'storage-full'])
      assert.match(a.body.error ?? '', /disk is full/)
      db.full = false
      assert.equal((await A.agent.usage.counters(ids[1]!.peerId, BASE)).lines[`be|${ids[0]!.peerId}|${ids[1]!.peerId}`]?.volume, '5')
    } finally {
      await A.agent.stop()
    }
  })
})
