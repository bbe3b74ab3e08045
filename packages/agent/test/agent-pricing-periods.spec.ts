/**
 * The pricing model in agents, continued (issue 15): a period fee is owed for a period with no
 * attested interval (and waits while a usage dispute in it is open and revisable), a fee may be
 * waived when the border was idle, and a border whose tariffs map each other's classes settles on
 * usage attested in the receiving side's class names.
 */
import assert from 'node:assert/strict'
import { decodeDocument, docId, type SettlementStatement } from '@splitedge/wire'
import { borderOf } from '@splitedge/store'
import { computeStatement, type PricingTariff } from '@splitedge/model'
import { assembleStatement, assemblePeriodFees, type PricedVersion } from '../src/settle/assemble.js'
import { configFor, makeIdentities, pricing } from './agent-fixtures.js'
import { VirtualWorld, type VirtualAgent } from './virtual.js'

// Virtual time: the world moves only when the test moves it, so no step waits on the wall clock.
const INTERVAL = 60_000
const INTERVALS = 2
const LEN = INTERVAL * INTERVALS
const T0 = 1_800_000_000_000 - (1_800_000_000_000 % LEN) - 30_000
const opts = { intervalMs: INTERVAL, periodIntervals: INTERVALS, tolerance: '0.01', usage: { source: 'http' } }
const key = (start: number): string => String(start).padStart(16, '0')

interface Border { world: VirtualWorld, A: VirtualAgent, B: VirtualAgent, a: string, b: string, period: number }

/** Two agents on one border, each with its tariff published; `p` is a period both will settle. */
async function border (worlds: VirtualWorld[], tariffs: (a: string, b: string) => [PricingTariff, PricingTariff]): Promise<Border> {
  const ids = await makeIdentities(2)
  const world = await VirtualWorld.start([0, 1].map(i => configFor(i, ids, [1, 2], [[0, 1]], opts)), ids, T0)
  worlds.push(world)
  const [A, B] = world.agents as [VirtualAgent, VirtualAgent]
  const [a, b] = [A.identity.peerId, B.identity.peerId]
  const [ta, tb] = tariffs(a, b)
  await A.agent.tariffs.publishOwn(ta, 0)
  await B.agent.tariffs.publishOwn(tb, 0)
  const since = Math.max(await A.agent.border.since(b), await B.agent.border.since(a))
  // A period far enough ahead that its first interval is still open for pushes on both sides.
  const period = Math.ceil((Math.max(world.now + 1200, since)) / LEN) * LEN
  return { world, A, B, a, b, period }
}

/** Push `items` into the interval at `start` (counters are accepted up to 2 s ahead of it). */
async function pushAt (w: VirtualWorld, r: VirtualAgent, start: number, items: Array<{ neighbour: string, class: string, direction: 'in' | 'out', volume: string }>): Promise<void> {
  await w.advance(start - 1000)
  await r.agent.usage.push(items.map(it => ({ ...it, intervalStart: start })))
}

async function statementOf (r: VirtualAgent, brd: string, period: number): Promise<{ value: SettlementStatement }> {
  const s = await r.store.getStatement(brd, period)
  assert.ok(s !== undefined)
  const d = decodeDocument(s.bytes, 'settlement-statement')
  assert.ok(d.ok)
  return { value: d.value }
}

/** A fully disputed period owes its period fee once its disputes close, not while one is open. */
async function feeOnceDisputesClose (worlds: VirtualWorld[]): Promise<void> {
  // A charges B 0.25 a period whatever happens; B's fee toward A is waived in an idle period.
  const { world, A, B, a, b, period } = await border(worlds, (a, b) => [
    pricing('0.000002', undefined, { periodFee: { [b]: '0.25' } }),
    pricing('0.000001', undefined, { periodFee: { [a]: { fee: '0.4', whenIdle: false } } })
  ])
  const brd = borderOf(a, b)
  for (const start of [period, period + INTERVAL]) {
    await pushAt(world, A, start, [{ neighbour: b, class: 'be', direction: 'out', volume: '1000' }])
    await pushAt(world, B, start, [{ neighbour: a, class: 'be', direction: 'in', volume: '800' }])
  }
  await world.until('every interval of the period disputed on both sides', async () => {
    for (const r of [A, B]) for (const s of [period, period + INTERVAL]) if ((await r.store.getDispute('usage', brd, key(s)))?.status !== 'open') return false
    return true
  }, 2 * INTERVAL)
  await world.until('the period ready to settle', async () => (await A.agent.settle.ready(b, { start: period, end: period + LEN })).ok && (await B.agent.settle.ready(a, { start: period, end: period + LEN })).ok, LEN)
  // Revisable: a revision may still attest an interval, and a statement is immutable.
  assert.equal(await A.agent.settle.settle(b, { start: period, end: period + LEN }), 'nothing')
  assert.equal(await B.agent.settle.settle(a, { start: period, end: period + LEN }), 'nothing')
  assert.equal(await A.store.getStatement(brd, period), undefined)

  // Both operators write the intervals off (the disputes close without an attestation).
  for (const r of [A, B]) {
    for (const s of [period, period + INTERVAL]) {
      await r.store.batch().resolveDispute({ kind: 'usage', border: brd, key: key(s), resolution: { by: 'test: written off' }, time: world.now }).write()
    }
  }
  await world.until('the period settles on both sides', async () => (await A.store.getStatement(brd, period)) !== undefined && (await B.store.getStatement(brd, period)) !== undefined, LEN)
  const sa = await A.store.getStatement(brd, period)
  const sb = await B.store.getStatement(brd, period)
  assert.deepEqual(Buffer.from(sa!.bytes), Buffer.from(sb!.bytes), 'byte-identical on both sides')
  const d = await statementOf(A, brd, period)
  assert.deepEqual(d.value.body.attestations, [])
  // Only A's fee: B pays A 0.25. B's fee is waived, the border carried no attested traffic.
  assert.deepEqual(d.value.body.lines.map(l => [l.kind, l.class, l.from, l.to, l.volume, l.amount]), [['period-fee', null, b, a, '0', '0.250000']])
  assert.equal(d.value.body.net, a < b ? '-0.250000' : '0.250000')
  // Posted to both ledgers under the statement's id.
  for (const r of [A, B]) assert.equal((await r.store.getTransfer(docId(d.value)))?.amount, 250000n)
}

/** Class maps: each side counts in its own names, attested in the receiver's, one statement. */
async function classMaps (worlds: VirtualWorld[]): Promise<void> {
  // A calls its premium class "gold", B calls it "ef"; each maps the other's name onto its own.
  const { world, A, B, a, b, period } = await border(worlds, (a, b) => {
    const base = pricing('0.000002')
    const ta: PricingTariff = { ...base, classes: { be: base.classes.be!, gold: { mode: 'unicast', quality: 'EF', price: '0.00001' } }, classMap: { [b]: { ef: 'gold' } } }
    const tb: PricingTariff = { ...pricing('0.000003'), classMap: { [a]: { gold: 'ef' } } }
    return [ta, tb]
  })
  const brd = borderOf(a, b)
  await pushAt(world, A, period, [
    { neighbour: b, class: 'gold', direction: 'out', volume: '100000' },
    { neighbour: b, class: 'gold', direction: 'in', volume: '40000' },
    { neighbour: b, class: 'be', direction: 'out', volume: '7000' }
  ])
  await pushAt(world, B, period, [
    { neighbour: a, class: 'ef', direction: 'in', volume: '100000' },
    { neighbour: a, class: 'ef', direction: 'out', volume: '40000' },
    { neighbour: a, class: 'be', direction: 'in', volume: '7000' }
  ])
  await world.until('both sides co-sign the period', async () => (await A.store.getStatement(brd, period)) !== undefined && (await B.store.getStatement(brd, period)) !== undefined, 2 * LEN)
  const sa = await A.store.getStatement(brd, period)
  const sb = await B.store.getStatement(brd, period)
  assert.deepEqual(Buffer.from(sa!.bytes), Buffer.from(sb!.bytes), 'byte-identical on both sides')
  for (const r of [A, B]) assert.equal((await r.store.listDisputes(brd, 'open')).length, 0, 'nothing disputed')
  const d = await statementOf(A, brd, period)
  // Attested in the receiver's names: A→B as B's "ef", B→A as A's "gold".
  const atts = (await A.store.listAttestations(brd, period, period + LEN)).map(r => {
    const x = decodeDocument(r.bytes, 'usage-attestation')
    assert.ok(x.ok)
    return { id: r.id, doc: x.value }
  })
  const attested = atts.flatMap(x => x.doc.body.lines).map(l => [l.class, l.from, l.to, l.volume]).sort()
  assert.deepEqual(attested, [['be', a, b, '7000'], ['ef', a, b, '100000'], ['gold', b, a, '40000']].sort())
  const usage = d.value.body.lines.filter(l => l.kind === 'usage').map(l => [l.class, l.from, l.to, l.volume]).sort()
  assert.deepEqual(usage, attested)
  // The statement is the model's, each side pricing the class in its own name.
  const st = computeStatement(await assembleStatement(d.value.body.border, INTERVALS, atts, async (issuer, t) => await A.agent.view.inForce(issuer, t)))
  assert.deepEqual(d.value.body.lines.map(l => [l.kind, l.class, l.from, l.to, l.volume, l.amount]), st.lines.map(l => [l.kind, l.class, l.from, l.to, l.volume, l.amount]))
  // A→B ef: B charges 1·1·0.000009 (its ef), A pays back 1·1·0.00001 (its gold): 100000 · −0.000001.
  assert.equal(d.value.body.lines.find(l => l.kind === 'usage' && l.class === 'ef')?.amount, '-0.100000')
}

describe('agent: period fees without attested usage, and class maps', function () {
  this.timeout(60_000)
  const worlds: VirtualWorld[] = []
  afterEach(async () => { await Promise.all(worlds.splice(0).map(async w => await w.stop())) })

  it('a period whose every interval is disputed owes its period fee once the disputes close, and not while one is open', async () => { await feeOnceDisputesClose(worlds) })

  it('settles nothing for a period without attested usage when no fee is owed (none declared, or waived when idle)', async () => {
    const at = 1_000_000
    const version = (issuer: string, p: PricingTariff): PricedVersion => ({ id: `t-${issuer}`, pricing: p })
    const lookupOf = (pa: PricingTariff | undefined, pb: PricingTariff | undefined) => async (issuer: string): Promise<PricedVersion | undefined> => {
      const p = issuer === 'A' ? pa : pb
      return p === undefined ? undefined : version(issuer, p)
    }
    assert.equal(await assemblePeriodFees(['A', 'B'], at, lookupOf(pricing('1'), pricing('1'))), undefined)
    assert.equal(await assemblePeriodFees(['A', 'B'], at, lookupOf(pricing('1', undefined, { periodFee: '1' }), undefined)), undefined)
    const waived = await assemblePeriodFees(['A', 'B'], at, lookupOf(pricing('1'), pricing('1', undefined, { periodFee: { A: { fee: '1', whenIdle: false } } })))
    assert.ok(waived !== undefined)
    assert.deepEqual(computeStatement(waived).lines, [])
    const owed = await assemblePeriodFees(['A', 'B'], at, lookupOf(pricing('1'), pricing('1', undefined, { periodFee: { '*': '-2' } })))
    assert.deepEqual(computeStatement(owed!).lines.map(l => [l.kind, l.from, l.to, l.amount]), [['period-fee', 'A', 'B', '-2.000000']])
  })

  it('class maps: each side counts in its own class names, usage is attested in the receiver\'s and both co-sign one statement', async () => { await classMaps(worlds) })
})
