/**
 * Statements line by line (issue 16): each line shows, for each side, the weight, price and SLA
 * factor its tariff version applied and the fee that makes, in `GET /v1/statements` (the
 * dashboard's statements view) and as extra columns of `GET /v1/statements.csv`. Checked against
 * the model (the receiving side's fee minus the sending side's rounds to the signed amount) and
 * against the tariff in force on two agents that co-sign a period.
 */
import assert from 'node:assert/strict'
import { computeStatement, format, normalize, parseDec, resolveWeights, roundHalfEven, sub, type PricingTariff } from '@splitedge/model'
import { explainLine, type AppliedLine } from '../src/http/statement-lines.js'
import { CSV_COLUMNS } from '../src/http/csv.js'
import { configFor, makeIdentities, pricing, startAgent, waitFor, type Running, freePorts } from './agent-fixtures.js'

const U = 'network-u'
const V = 'network-v'
const rounded = (a: AppliedLine): string => format(roundHalfEven(sub(parseDec(a.to?.charge ?? '0', 'to'), parseDec(a.from?.charge ?? '0', 'from')), 6))

describe('statement lines explained: weight, price, SLA factor and fee per side', function () {
  this.timeout(60_000)

  it('follows the weight resolution order and the class map, and each line\'s fees net to its amount', () => {
    // V: a per-class weight for U beats V's weight for U, which beats the status weights and '*'.
    const tv: PricingTariff = {
      currency: 'EUR', decimals: 6, unit: 'octet',
      classes: {
        be: { mode: 'unicast', quality: 'BE', price: '0.000002' },
        ef: { mode: 'unicast', quality: 'EF', price: '0.000005', weights: { [U]: { send: '4', receive: '1' } }, messageFee: { fee: '0.001', weighted: true } }
      },
      weights: { '*': { send: '1', receive: '1' }, [U]: { send: '3', receive: '2' }, 'status:customer': { send: '9', receive: '9' } },
      statuses: { [U]: 'customer' },
      classMap: { [U]: { gold: 'ef' } },
      periodFee: { [U]: '0.25' }
    }
    // U: no neighbour entry, so its status weight for V applies (class weight for the status first).
    const tu: PricingTariff = {
      currency: 'EUR', decimals: 6, unit: 'octet',
      classes: {
        be: { mode: 'unicast', quality: 'BE', price: '0.000001' },
        gold: { mode: 'unicast', quality: 'EF', price: '0.000003', weights: { 'status:transit': { send: '1', receive: '0.5' } }, messageFee: '0.0002' }
      },
      weights: { '*': { send: '1', receive: '1' }, 'status:transit': { send: '0.7', receive: '0.6' } },
      statuses: { [V]: 'transit' }
    }
    const st = computeStatement({
      parties: [U, V],
      segments: [{ tariffs: { [U]: { ref: 'tu', pricing: tu }, [V]: { ref: 'tv', pricing: tv } }, usage: [{ from: U, to: V, class: 'be', volume: '1000001' }, { from: U, to: V, class: 'ef', volume: '2000003', messages: '17' }] }],
      periodFees: true
    })
    const versions: Record<string, { seq: number, pricing: PricingTariff }> = { tu: { seq: 3, pricing: tu }, tv: { seq: 7, pricing: tv } }
    const explained = st.lines.map(l => ({ l, a: explainLine(l, id => versions[id], p => p === U ? 'u' : 'v') }))
    for (const { l, a } of explained) assert.equal(rounded(a), l.amount, `${l.kind} ${l.class ?? ''}: fees net to the signed amount`)
    const be = explained.find(x => x.l.kind === 'usage' && x.l.class === 'be')!.a
    assert.deepEqual([be.to?.weight, be.to?.weightKind, be.to?.price, be.to?.version], ['3', 'send', '0.000002', 7], 'V: its weight for U (neighbour), not the status one')
    assert.deepEqual([be.from?.weight, be.from?.weightKind, be.from?.price, be.from?.version], ['0.6', 'receive', '0.000001', 3], 'U: its status weight for V')
    const ef = explained.find(x => x.l.kind === 'usage' && x.l.class === 'ef')!.a
    assert.deepEqual([ef.to?.class, ef.to?.weight, ef.to?.price], ['ef', '4', '0.000005'], 'V: neighbour+class')
    assert.deepEqual([ef.from?.class, ef.from?.weight, ef.from?.price], ['gold', '0.5', '0.000003'], 'U: status+class, on its own class through V\'s class map')
    assert.equal(ef.to?.charge, format(normalize(parseDec('40.00006', 'x'))), '2000003 × 4 × 0.000005 × 1')
    const fee = explained.find(x => x.l.kind === 'message-fee')!.a
    assert.deepEqual([fee.to?.weight, fee.to?.price, fee.to?.charge], ['4', '0.001', '0.068'], 'a weighted message fee: 17 × 0.001 × 4')
    assert.deepEqual([fee.from?.weight, fee.from?.price, fee.from?.charge], [null, '0.0002', '0.0034'], 'an unweighted one: 17 × 0.0002')
    const period = explained.find(x => x.l.kind === 'period-fee')!.a
    assert.deepEqual([period.to?.network, period.to?.price, period.to?.charge, period.from], ['v', '0.25', '0.25', null])
    // A tariff the agent does not hold: named, but nothing guessed.
    const missing = explainLine(st.lines[0]!, () => undefined, p => p)
    assert.deepEqual([missing.to?.tariff, missing.to?.version, missing.to?.weight, missing.to?.charge], ['tv', null, null, null])
  })

  describe('on two agents that co-sign a period', () => {
    const running: Running[] = []
    after(async () => { await Promise.all(running.map(async r => await r.agent.stop())) })

    it('shows the weight and price of the tariff in force, in the JSON view and the CSV', async () => {
      const ids = await makeIdentities(2)
      const ports = await freePorts(2)
      const [a, b] = [ids[0]!.peerId, ids[1]!.peerId]
      const opts = { intervalMs: 500, periodIntervals: 2, noise: 0.001, tolerance: '0.01' }
      running.push(await startAgent(configFor(0, ids, ports, [[0, 1]], { ...opts, http: { host: '127.0.0.1', port: 0 } }), ids[0]!, undefined, { http: true }))
      running.push(await startAgent(configFor(1, ids, ports, [[0, 1]], opts), ids[1]!))
      const A = pricing('0.000002', { '*': { send: '1', receive: '1' } })
      A.classes.ef = { ...A.classes.ef!, weights: { [b]: { send: '3', receive: '1.5' } } }
      await running[0]!.agent.tariffs.publishOwn(A, 0)
      await running[1]!.agent.tariffs.publishOwn(pricing('0.000003', { '*': { send: '1', receive: '0.5' } }), 0)
      const url = running[0]!.agent.url!
      type Line = { kind: string, class: string | null, from: string, to: string, volume: string, amount: string, tariffs: Record<string, string>, applied: AppliedLine }
      let lines: Line[] = []
      await waitFor('a co-signed statement with usage lines', async () => {
        const sts = await (await fetch(`${url}/v1/statements`)).json() as Array<{ lines: Line[] }>
        lines = sts.flatMap(s => s.lines).filter(l => l.kind === 'usage')
        return lines.some(l => l.class === 'ef' && l.to === 'n1')
      }, 40_000)
      const tariffs = await (await fetch(`${url}/v1/tariffs`)).json() as Array<{ id: string, peerId: string, seq: number, pricing: PricingTariff }>
      const byId = new Map(tariffs.map(t => [t.id, t]))
      const peer = (name: string): string => name === 'n0' ? a : b
      for (const l of lines) {
        const tv = byId.get(l.tariffs[peer(l.to)]!)!
        const tu = byId.get(l.tariffs[peer(l.from)]!)!
        assert.equal(l.applied.to?.weight, resolveWeights(tv.pricing, peer(l.from), l.class!).send, 'the receiving side\'s send weight')
        assert.equal(l.applied.from?.weight, resolveWeights(tu.pricing, peer(l.to), l.class!).receive, 'the sending side\'s receive weight')
        assert.equal(l.applied.to?.price, tv.pricing.classes[l.class!]!.price)
        assert.deepEqual([l.applied.to?.version, l.applied.from?.version], [tv.seq, tu.seq])
        assert.equal(rounded(l.applied), l.amount)
      }
      const efIntoA = lines.find(l => l.class === 'ef' && l.to === 'n0')
      if (efIntoA !== undefined) assert.deepEqual([efIntoA.applied.to?.weight, efIntoA.applied.to?.price], ['3', '0.000006'], 'n0\'s per-class weight for n1')
      const efIntoB = lines.find(l => l.class === 'ef' && l.to === 'n1')!
      assert.deepEqual([efIntoB.applied.from?.weight, efIntoB.applied.to?.weight, efIntoB.applied.to?.price], ['1.5', '1', '0.000009'])

      const csv = parseCsv(await (await fetch(`${url}/v1/statements.csv`)).text())
      assert.deepEqual(csv[0], [...CSV_COLUMNS])
      assert.deepEqual(CSV_COLUMNS.slice(0, 17), ['period_start', 'period_end', 'neighbour', 'statement', 'currency', 'kind', 'class', 'from', 'to', 'volume', 'our_tariff', 'their_tariff', 'our_sla_factor', 'their_sla_factor', 'amount', 'net_to_us', 'note'], 'the first columns are unchanged')
      const col = (r: string[], name: string): string => r[CSV_COLUMNS.indexOf(name as typeof CSV_COLUMNS[number])] ?? ''
      const row = csv.find(r => col(r, 'kind') === 'usage' && col(r, 'class') === 'ef' && col(r, 'to') === 'n1')!
      // n0 sends ef into n1: our (n0's) receive weight toward n1 is 1.5 at 0.000006; n1's send weight 1 at 0.000009.
      assert.deepEqual(['our_weight', 'our_price', 'their_weight', 'their_price'].map(c => col(row, c)), ['1.5', '0.000006', '1', '0.000009'])
      assert.equal(col(row, 'our_tariff_version'), String(byId.get(col(row, 'our_tariff'))?.seq))
    })
  })
})

/** RFC 4180 rows (a note may hold commas and quotes). */
function parseCsv (text: string): string[][] {
  return text.trimEnd().split('\r\n').map(r => [...r.matchAll(/(?:^|,)("(?:[^"]|"")*"|[^,]*)/g)].map(m => {
    const v = m[1] ?? ''
    return v.startsWith('"') ? v.slice(1, -1).replace(/""/g, '"') : v
  }))
}

