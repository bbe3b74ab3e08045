import assert from 'node:assert/strict'
import { decodeDocument, docId, verifyDocument } from '@splitedge/wire'
import { borderOf } from '@splitedge/store'
import { computeStatement } from '@splitedge/model'
import { assembleStatement } from '../src/settle/assemble.js'
import { configFor, freePorts, makeIdentities, pricing, startAgent, waitFor, type Running } from './agent-fixtures.js'

describe('agent: two neighbours tariff, attest and settle over libp2p', function () {
  this.timeout(60_000)
  const running: Running[] = []
  afterEach(async () => { await Promise.all(running.splice(0).map(async r => await r.agent.stop())) })

  it('co-signs identical statements that equal the model evaluation', async () => {
    const ids = await makeIdentities(2)
    const ports = await freePorts(2)
    const opts = { intervalMs: 500, periodIntervals: 2 }
    for (const i of [0, 1]) running.push(await startAgent(configFor(i, ids, ports, [[0, 1]], opts), ids[i]!))
    const [a, b] = running as [Running, Running]
    await a.agent.tariffs.publishOwn(pricing('0.000002'), 0)
    await b.agent.tariffs.publishOwn(pricing('0.000001', { '*': { send: '1', receive: '0.5' } }), 0)
    const border = borderOf(a.identity.peerId, b.identity.peerId)
    await waitFor('two co-signed statements on both sides', async () =>
      (await a.store.listStatements(border)).length >= 2 && (await b.store.listStatements(border)).length >= 2)
    const sa = await a.store.listStatements(border)
    const sb = await b.store.listStatements(border)
    for (const s of sa.slice(0, 2)) {
      const twin = sb.find(x => x.periodStart === s.periodStart)
      assert.ok(twin, 'both sides hold the statement')
      assert.deepEqual(Buffer.from(twin.bytes), Buffer.from(s.bytes), 'identical bytes on both sides')
      const d = decodeDocument(s.bytes, 'settlement-statement')
      assert.ok(d.ok)
      assert.equal(verifyDocument(d.value).ok, true, 'both signatures verify')
      assert.equal(d.value.sigs.length, 2)
      // Recompute from the attestations through the model, independently of the agent.
      const atts = (await a.store.listAttestations(border, s.periodStart, d.value.body.period.end)).map(r => {
        const x = decodeDocument(r.bytes, 'usage-attestation')
        assert.ok(x.ok)
        return { id: r.id, doc: x.value }
      })
      assert.deepEqual(atts.map(x => x.id), d.value.body.attestations)
      const input = await assembleStatement(d.value.body.border, 2, atts, async (issuer, t) => await a.agent.view.inForce(issuer, t))
      const st = computeStatement(input)
      assert.equal(st.net, d.value.body.net)
      assert.deepEqual(st.lines.map(l => l.amount), d.value.body.lines.map(l => l.amount))
      assert.ok(d.value.body.lines.length >= 4, 'usage lines for both classes and directions')
    }
    // The ledger holds the net once, and balances.
    for (const r of [a, b]) {
      const check = await r.store.checkLedger()
      assert.equal(check.ok, true, check.problems.join('; '))
      const entries = await r.store.entries()
      assert.equal(new Set(entries.map(e => e.id)).size, entries.length)
      for (const e of entries) assert.ok(sa.some(s => s.id === e.id))
    }
    void docId
  })
})
