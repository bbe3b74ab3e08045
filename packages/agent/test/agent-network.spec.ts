/**
 * A five-agent mesh settling two periods, on virtual time and the in-memory network (agent.spec.ts
 * keeps a border on real libp2p): every co-signed statement is the
 * model's evaluation of the same attestations and tariffs, both sides hold it byte for byte, and
 * money is conserved: per period, the agents' received-minus-paid sums to exactly zero, in their
 * statements and in their ledgers alike.
 */
import assert from 'node:assert/strict'
import { decodeDocument, verifyDocument, type Identity, type SettlementStatement } from '@splitedge/wire'
import { borderOf, fromMinorUnits, type Store } from '@splitedge/store'
import { add, computeStatement, dec, format, isZero, neg, ZERO, type Dec, type PricingTariff } from '@splitedge/model'
import { assembleStatement } from '../src/settle/assemble.js'
import { configFor, makeIdentities, pricing } from './agent-fixtures.js'
import { VirtualWorld, type VirtualAgent } from './virtual.js'

// A line 0-1-2-3-4 with a chord 1-3: transit in the middle, edges at the ends.
const EDGES: Array<[number, number]> = [[0, 1], [1, 2], [2, 3], [3, 4], [1, 3]]
const opts = { intervalMs: 60_000, periodIntervals: 2, noise: 0.001, tolerance: '0.01' }
const T0 = 1_800_000_000_000 - 30_000

/** Each operator's own prices and weights: per-neighbour weights, statuses, SLA on ef. */
function tariffOf (i: number, ids: Identity[]): PricingTariff {
  const id = (j: number): string => (ids[j] as Identity).peerId
  switch (i) {
    case 0: return pricing('0.000003', { '*': { send: '0', receive: '1' } })
    case 1: return pricing('0.000002', { '*': { send: '1', receive: '1' }, [id(0)]: { send: '1', receive: '0.5' } })
    case 2: return pricing('0.0000015', { '*': { send: '0.75', receive: '0.25' } })
    case 3: return pricing('0.000002', { '*': { send: '1', receive: '0' }, [id(1)]: { send: '0.5', receive: '0.5' } }, { periodFee: '0.01' })
    default: return pricing('0.000004', { '*': { send: '1', receive: '1' } })
  }
}

/** One period on every border: the same bytes on both sides, the model's statement, and money conserved. */
async function checkPeriod (running: VirtualAgent[], p: number, len: number): Promise<void> {
  const balance = new Map<string, Dec>() // agent -> received minus paid, from its own statements
  let lines = 0
  for (const [i, j] of EDGES) {
    const [x, y] = [running[i]!, running[j]!]
    const border = borderOf(x.identity.peerId, y.identity.peerId)
    const sx = await x.store.getStatement(border, p)
    const sy = await y.store.getStatement(border, p)
    assert.ok(sx !== undefined && sy !== undefined)
    assert.deepEqual(Buffer.from(sx.bytes), Buffer.from(sy.bytes), `border ${i}-${j}: identical bytes on both sides`)
    assert.equal(sx.id, sy.id)
    const d = decodeDocument(sx.bytes, 'settlement-statement')
    assert.ok(d.ok)
    const doc: SettlementStatement = d.value
    assert.equal(verifyDocument(doc).ok, true, 'co-signed by both')
    assert.equal(doc.sigs.length, 2)
    // The model, fed the same attestations and tariffs, independently of the agent's settle code.
    const atts = (await x.store.listAttestations(border, p, p + len)).map(r => {
      const a = decodeDocument(r.bytes, 'usage-attestation')
      assert.ok(a.ok)
      return { id: r.id, doc: a.value }
    })
    assert.deepEqual(atts.map(a => a.id), doc.body.attestations, 'the statement covers exactly the attested intervals')
    const st = computeStatement(await assembleStatement(doc.body.border, opts.periodIntervals, atts, async (issuer, t) => await x.agent.view.inForce(issuer, t)))
    assert.equal(st.net, doc.body.net, `border ${i}-${j} net`)
    assert.equal(st.currency, doc.body.currency)
    assert.deepEqual(st.lines.map(l => [l.kind, l.class, l.from, l.to, l.volume, l.amount]), doc.body.lines.map(l => [l.kind, l.class, l.from, l.to, l.volume, l.amount]))
    lines += doc.body.lines.length
    // net is what border[0] pays border[1]; each party books it from its own copy.
    const [b0, b1] = doc.body.border
    for (const [agent, copy] of [[x, sx], [y, sy]] as const) {
      const own = decodeDocument(copy.bytes, 'settlement-statement')
      assert.ok(own.ok)
      const n = dec(own.value.body.net)
      const me = agent.identity.peerId
      assert.ok(me === b0 || me === b1)
      balance.set(me, add(balance.get(me) ?? ZERO, me === b1 ? n : neg(n)))
    }
  }
  assert.ok(lines > 0, 'the period has lines')
  const total = [...balance.values()].reduce((s, v) => add(s, v), ZERO)
  assert.ok(isZero(total), `period ${p}: received minus paid sums to ${format(total)}`)
  assert.ok([...balance.values()].some(v => !isZero(v)), 'money actually moved')
}

/** No ledger entry twice, each ledger balances, and revenue minus expense over the network is zero. */
async function checkLedgers (running: VirtualAgent[]): Promise<void> {
  let network: Dec = ZERO
  for (const r of running) {
    const check = await r.store.checkLedger()
    assert.equal(check.ok, true, check.problems.join('; '))
    const entries = await r.store.entries()
    assert.equal(new Set(entries.map(e => e.id)).size, entries.length, 'no ledger entry twice')
    for (const b of await r.store.balances()) {
      if (b.account === 'interconnect:revenue') network = add(network, dec(fromMinorUnits(b.credits - b.debits, b.decimals)))
      if (b.account === 'interconnect:expense') network = add(network, neg(dec(fromMinorUnits(b.debits - b.credits, b.decimals))))
    }
  }
  assert.ok(isZero(network), `network revenue minus expense is ${format(network)}`)
}

describe('agent: a five-agent network settles by the model and conserves money', function () {
  this.timeout(90_000)
  let world: VirtualWorld | undefined
  after(async () => { await world?.stop() })

  it('co-signs byte-identical statements equal to the model, and received minus paid sums to zero per period', async () => {
    const ids = await makeIdentities(5)
    world = await VirtualWorld.start(ids.map((_, i) => configFor(i, ids, [1, 2, 3, 4, 5], EDGES, opts)), ids, T0)
    const w = world
    const running: VirtualAgent[] = w.agents
    for (let i = 0; i < 5; i++) await running[i]!.agent.tariffs.publishOwn(tariffOf(i, ids), 0)

    // Two periods that start after every tariff is in force and every border is settling.
    const len = opts.intervalMs * opts.periodIntervals
    let from = w.now
    for (const [i, j] of EDGES) from = Math.max(from, await running[i]!.agent.border.since(ids[j]!.peerId), await running[j]!.agent.border.since(ids[i]!.peerId))
    const first = Math.ceil((from + 1) / len) * len
    const periods = [first, first + len]

    const stmt = async (s: Store, border: string, p: number): Promise<boolean> => (await s.getStatement(border, p)) !== undefined
    await w.until('every border co-signs both periods on both sides', async () => {
      for (const [i, j] of EDGES) {
        const border = borderOf(ids[i]!.peerId, ids[j]!.peerId)
        for (const p of periods) if (!(await stmt(running[i]!.store, border, p)) || !(await stmt(running[j]!.store, border, p))) return false
      }
      return true
    }, 6 * len)

    for (const p of periods) await checkPeriod(running, p, len)

    // Ledgers, read once nobody is mid-exchange.
    await w.stop()
    world = undefined
    await checkLedgers(running)
  })
})
