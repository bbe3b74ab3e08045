/**
 * Resolving usage disputes by revision (docs/protocol.md, "excluded from settlement until
 * resolved"): after a dispute, `POST /v1/disputes/revise` on one side signs a report with a higher
 * revision; the neighbour reconciles again and both end with the same co-signed attestation and
 * both disputes resolved, and the period then settles with the interval; corrected figures still
 * beyond tolerance leave the dispute open on both sides; a settled period refuses revisions (409);
 * revising is a loopback-only action (403 otherwise).
 */
import assert from 'node:assert/strict'
import { decodeDocument, type Identity } from '@splitedge/wire'
import { borderOf, type DisputeRecord } from '@splitedge/store'
import { HttpError, requireLoopback } from '../src/http/api.js'
import { configFor, makeIdentities, pricing, postJson } from './agent-fixtures.js'
import { VirtualWorld, type VirtualAgent } from './virtual.js'

// Virtual time: the world moves only when the test moves it, so no step waits on the wall clock.
const INTERVAL = 60_000
const INTERVALS = 4
const LEN = INTERVAL * INTERVALS
const T0 = 1_800_000_000_000 - (1_800_000_000_000 % LEN) - 30_000
const opts = { intervalMs: INTERVAL, periodIntervals: INTERVALS, tolerance: '0.01', usage: { source: 'http' }, http: { host: '127.0.0.1', port: 0 } }
const key = (start: number): string => String(start).padStart(16, '0')

const post = postJson

/** The border the revision tests run on: two agents with their HTTP APIs, on virtual time. */
class Border {
  private constructor (readonly world: VirtualWorld, readonly A: VirtualAgent, readonly B: VirtualAgent, readonly a: string, readonly b: string, readonly border: string) {}

  static async start (): Promise<Border> {
    const ids: Identity[] = await makeIdentities(2)
    const world = await VirtualWorld.start([0, 1].map(i => configFor(i, ids, [1, 2], [[0, 1]], opts)), ids, T0, { http: true })
    const [A, B] = world.agents as [VirtualAgent, VirtualAgent]
    await A.agent.tariffs.publishOwn(pricing('0.000002'), 0)
    await B.agent.tariffs.publishOwn(pricing('0.000001'), 0)
    return new Border(world, A, B, A.identity.peerId, B.identity.peerId, borderOf(A.identity.peerId, B.identity.peerId))
  }

  readonly dispute = async (r: VirtualAgent, start: number): Promise<DisputeRecord | undefined> => await r.store.getDispute('usage', this.border, key(start))

  readonly attested = async (r: VirtualAgent, start: number): Promise<{ id: string, lines: unknown, reports: string[] } | undefined> => {
    const att = await r.store.getAttestation(this.border, start)
    if (att === undefined) return undefined
    const d = decodeDocument(att.bytes, 'usage-attestation')
    assert.ok(d.ok)
    assert.equal(d.value.sigs.length, 2, 'co-signed')
    return { id: att.id, lines: d.value.body.lines, reports: [...d.value.body.reports] }
  }

  /** The start of the next whole period that begins after now. */
  readonly nextPeriod = (): number => Math.ceil((this.world.now + 1) / LEN) * LEN

  readonly push = async (r: VirtualAgent, items: unknown[]): Promise<void> => {
    const res = await post(r.agent.url!, '/v1/usage', items)
    assert.equal(res.status, 200, JSON.stringify(res.body))
  }
}

/** `revise --accept` on one side: the neighbour reconciles again, and the period settles with the interval. */
async function acceptOnOneSide (c: Border): Promise<void> {
  const { world, A, B, a, b, border, dispute, attested, nextPeriod, push } = c
  const period = Math.max(nextPeriod(), await A.agent.border.since(b), await B.agent.border.since(a))
  const start = period
  await world.advance(start - 1500) // counters are accepted up to the clock skew ahead
  await push(A, [{ neighbour: 'n1', intervalStart: start, class: 'be', direction: 'out', volume: '1000' }])
  await push(B, [{ neighbour: a, intervalStart: start, class: 'be', direction: 'in', volume: '900' }])
  await world.until('both sides record the dispute', async () => (await dispute(A, start))?.status === 'open' && (await dispute(B, start))?.status === 'open', 2 * INTERVAL)
  assert.ok(world.now < period + LEN, 'the dispute arrived before the period closed')

  const res = await post(A.agent.url!, '/v1/disputes/revise', { neighbour: 'n1', intervalStart: start, accept: true })
  assert.equal(res.status, 200, JSON.stringify(res.body))
  assert.equal(res.body.revision, 1)
  assert.deepEqual(res.body.lines, [{ class: 'be', from: a, to: b, volume: '900' }])
  // Resolved here at once, in the write that supersedes our report; the old report is kept.
  const mineNow = await A.store.getReport(border, start, a)
  assert.equal(mineNow?.id, res.body.report)
  assert.equal(mineNow?.revision, 1)
  assert.equal((await A.store.reportHistory(border, start, a)).length, 1)
  assert.equal((await dispute(A, start))?.status, 'resolved')

  await world.until('both sides hold the attestation', async () => (await attested(A, start)) !== undefined && (await attested(B, start)) !== undefined, INTERVAL)
  const [ta, tb] = [await attested(A, start), await attested(B, start)]
  assert.deepEqual(ta, tb, 'the same co-signed attestation on both sides')
  assert.deepEqual(ta!.lines, [{ class: 'be', from: a, to: b, volume: '900' }])
  const theirReport = await A.store.getReport(border, start, b)
  assert.deepEqual([...ta!.reports].sort(), [res.body.report as string, theirReport!.id].sort(), 'names the reports actually reconciled')
  assert.equal((await dispute(B, start))?.status, 'resolved', 'B resolved its dispute in the write that stored the attestation')
  const rb = await dispute(B, start)
  assert.deepEqual(rb?.resolution, { attestation: ta!.id, reports: ta!.reports })

  await world.until('both sides settle the period', async () =>
    (await A.store.getStatement(border, period)) !== undefined && (await B.store.getStatement(border, period)) !== undefined, 2 * LEN)
  const [sa, sb] = await Promise.all([A.store.getStatement(border, period), B.store.getStatement(border, period)])
  assert.deepEqual(Buffer.from(sa!.bytes), Buffer.from(sb!.bytes))
  const st = decodeDocument(sa!.bytes, 'settlement-statement')
  assert.ok(st.ok)
  assert.ok(st.value.body.attestations.includes(ta!.id), 'the revised interval is settled')
  assert.ok(st.value.body.lines.some(l => l.class === 'be' && l.volume === '900'))
}

/** Corrected lines within tolerance attest; still beyond, the dispute stays open; a settled period refuses revisions. */
async function correctedLines (c: Border): Promise<void> {
  const { world, A, B, a, b, border, dispute, attested, nextPeriod, push } = c
  const period = nextPeriod()
  const [near, far] = [period, period + INTERVAL]
  // Counters are accepted up to the clock skew ahead: move on until the far interval is that close.
  await world.advance(far - 1500)
  await push(A, [
    { neighbour: 'n1', intervalStart: near, class: 'be', direction: 'out', volume: '1000' },
    { neighbour: 'n1', intervalStart: far, class: 'be', direction: 'out', volume: '2000' }
  ])
  await push(B, [
    { neighbour: a, intervalStart: near, class: 'be', direction: 'in', volume: '900' },
    { neighbour: a, intervalStart: far, class: 'be', direction: 'in', volume: '1500' }
  ])
  await world.until('both disputes on both sides', async () =>
    (await Promise.all([dispute(A, near), dispute(B, near), dispute(A, far), dispute(B, far)])).every(d => d?.status === 'open'), 3 * INTERVAL)
  assert.ok(world.now < period + LEN, 'the disputes arrived before the period closed')

  // B corrects its count to 995 (within 1% of A's 1000): attested at the lower figure.
  const fix = await post(B.agent.url!, '/v1/disputes/revise', { neighbour: 'n0', intervalStart: near, lines: [{ class: 'be', direction: 'in', volume: '995' }] })
  assert.equal(fix.status, 200, JSON.stringify(fix.body))
  // A corrects its count to 1800: still 20% above B's 1500.
  const still = await post(A.agent.url!, '/v1/disputes/revise', { neighbour: b, intervalStart: far, lines: [{ class: 'be', direction: 'out', volume: '1800' }] })
  assert.equal(still.status, 200, JSON.stringify(still.body))

  await world.until('the near interval is attested on both sides', async () => (await attested(A, near)) !== undefined && (await attested(B, near)) !== undefined, INTERVAL)
  assert.deepEqual((await attested(A, near))!.lines, [{ class: 'be', from: a, to: b, volume: '995' }])
  await world.until('A resolves its near dispute', async () => (await dispute(A, near))?.status === 'resolved', INTERVAL)
  assert.equal((await dispute(B, near))?.status, 'resolved')

  await world.until('A reopens its far dispute after B disputes the revision', async () => (await dispute(A, far))?.status === 'open' && (await dispute(A, far))?.history !== undefined, INTERVAL)
  const da = await dispute(A, far)
  const dbf = await dispute(B, far)
  assert.equal(dbf?.status, 'open')
  assert.deepEqual((da?.detail as { revisions: unknown }).revisions, { ours: 1, theirs: 0 })
  assert.deepEqual((dbf?.detail as { revisions: unknown }).revisions, { ours: 0, theirs: 1 })
  assert.deepEqual((dbf?.detail as { differences: unknown }).differences, [{ key: `be ${a} ${b}`, ours: '1500', theirs: '1800' }])
  assert.equal(await A.store.getAttestation(border, far), undefined)

  // The period settles without the still-disputed interval; after that a revision is refused.
  await world.until('both sides settle the period', async () =>
    (await A.store.getStatement(border, period)) !== undefined && (await B.store.getStatement(border, period)) !== undefined, 2 * LEN)
  const st = decodeDocument((await A.store.getStatement(border, period))!.bytes, 'settlement-statement')
  assert.ok(st.ok)
  assert.ok(st.value.body.attestations.includes((await attested(A, near))!.id))
  assert.equal(st.value.body.attestations.length, INTERVALS - 1, 'every interval but the disputed one')
  const late = await post(B.agent.url!, '/v1/disputes/revise', { neighbour: 'n0', intervalStart: far, accept: true })
  assert.equal(late.status, 409)
  assert.match(String(late.body.error), /already settled/)
  assert.equal((await dispute(B, far))?.status, 'open', 'nothing changed')
}

/** The revise route's typed errors. */
async function typedErrors (c: Border): Promise<void> {
  const { world, A } = c
  const url = A.agent.url!
  const resolved = await post(url, '/v1/disputes/revise', { neighbour: 'n1', intervalStart: Math.floor(world.now / LEN) * LEN - 10 * LEN, accept: true })
  assert.equal(resolved.status, 409)
  assert.match(String(resolved.body.error), /no open usage dispute/)
  const cases: Array<[unknown, string]> = [
    [{ neighbour: 'stranger', intervalStart: 0, accept: true }, 'neighbour'],
    [{ neighbour: 'n1', intervalStart: 1, accept: true }, 'intervalStart'],
    [{ neighbour: 'n1', intervalStart: 0 }, 'accept'],
    [{ neighbour: 'n1', intervalStart: 0, accept: true, lines: [] }, 'accept'],
    [{ neighbour: 'n1', intervalStart: 0, lines: [{ class: 'be', direction: 'up', volume: '1' }] }, 'lines[0].direction'],
    [{ neighbour: 'n1', intervalStart: 0, lines: [{ class: 'be', direction: 'in', volume: '1' }, { class: 'be', direction: 'in', volume: '2' }] }, 'lines[1]']
  ]
  for (const [body, field] of cases) {
    const r = await post(url, '/v1/disputes/revise', body)
    assert.equal(r.status, 400, JSON.stringify(r.body))
    assert.equal(r.body.field, field)
  }
}

describe('agent: resolving usage disputes by revision', function () {
  this.timeout(60_000)
  let c: Border
  before(async () => { c = await Border.start() })
  after(async () => { await c?.world.stop() })

  it('revise --accept on one side: attested on both with the accepted figures, both disputes resolved, the period settles with it', async () => { await acceptOnOneSide(c) })
  it('corrected lines within tolerance are attested; still beyond leaves the dispute open on both sides; a settled period refuses (409)', async () => { await correctedLines(c) })
  it('answers typed errors: not disputed (409), bad body (400 naming the field)', async () => { await typedErrors(c) })

  it('takes revisions from loopback callers only (403 otherwise)', () => {
    for (const addr of ['10.0.0.7', '::ffff:192.168.1.2', '2001:db8::1', undefined]) {
      assert.throws(() => requireLoopback(addr, 'revising usage'), (e: unknown) => e instanceof HttpError && e.status === 403 && /loopback/.test(e.message), String(addr))
    }
    for (const addr of ['127.0.0.1', '::1', '::ffff:127.0.0.1']) requireLoopback(addr, 'revising usage')
  })
})
