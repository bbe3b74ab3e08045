/**
 * A small-N run of all three designs, with the counts the protocols imply checked exactly: what
 * the runner measures is what the agents did, no retries, nothing lost.
 */
import assert from 'node:assert/strict'
import { adjacency, randomGraph, runCore, runGlobalTopic, runSplitedge, seededRng, withBilateral, type CycleOptions, type DesignResult } from '../src/index.js'

const BORDER = '/splitedge/border/1.0.0'
const SETTLE = '/splitedge/settle/1.0.0'

describe('sim: smoke run at N=16 (splitedge, central core, global topic)', function () {
  this.timeout(180_000)
  const n = 16
  const K = 2
  const graph = randomGraph(n, 4, seededRng(16))
  const E = graph.edges.length
  const deg = adjacency(graph).map(l => l.length)
  const opts: CycleOptions = { graph, intervalMs: 500, periodIntervals: K, usageSeed: 'smoke', phaseTimeoutMs: 60_000, runId: `smoke-${process.pid}` }
  let se: DesignResult

  it('splitedge: every border attested K times and settled, with exactly the messages and signatures the protocol needs', async () => {
    se = await runSplitedge(opts)
    assert.equal(se.incomplete, 0, JSON.stringify(se.phases))
    assert.ok(se.phases.every(p => p.ok), JSON.stringify(se.phases))
    const sum = (k: string): number => se.agents.reduce((s, a) => s + (a[k] ?? 0), 0)
    // Per border and interval: report + co-signed answer, attestation delivery + ack; counted at both ends.
    assert.equal(sum(`${BORDER}:messages`), 8 * E * K)
    // Per border and period: statement + co-signed answer.
    assert.equal(sum(`${SETTLE}:messages`), 4 * E)
    // Signatures: per border-interval 5 (report each way, half attestation, both on delivery),
    // per border 3 (statement both ways), and one per tariff reaching a validator: each agent's
    // neighbours' tariffs at least, plus any duplicate that raced its first copy.
    const bilateral = 5 * E * K + 3 * E
    const dataIn = se.samples.reduce((s, x) => s + x.gossip.dataIn, 0)
    assert.ok(se.process.signaturesVerified >= bilateral + 2 * E, `${se.process.signaturesVerified}`)
    assert.ok(se.process.signaturesVerified <= bilateral + dataIn, `${se.process.signaturesVerified}`)
    se.samples.forEach((s, i) => {
      assert.ok(s.gossip.dataIn >= (deg[i] ?? 0), `agent ${i} received each neighbour's tariff`)
      assert.ok(s.storedKeys > 0)
    })
  })

  it('central core: the hub receives and answers every tariff, report and settle request', async () => {
    const core = await runCore(opts)
    assert.equal(core.incomplete, 0, JSON.stringify(core.phases))
    const hub = core.hub
    assert.ok(hub !== undefined)
    assert.equal(hub.messagesIn, n + 2 * E * K + n)
    assert.equal(hub.messagesOut, hub.messagesIn)
    assert.equal(hub.signaturesVerified, n + 2 * E * K)
    core.agents.forEach((a, i) => { assert.equal(a.messages, 2 * (2 + (deg[i] ?? 0) * K), `agent ${i}`) })
  })

  it('global topic: every node receives every tariff; the bilateral part is splitedge\'s', async () => {
    const gt = await runGlobalTopic(opts)
    assert.equal(gt.incomplete, 0, JSON.stringify(gt.phases))
    gt.samples.forEach((s, i) => { assert.ok(s.gossip.dataIn >= n - 1, `node ${i} got ${s.gossip.dataIn}`) })
    assert.ok(gt.process.signaturesVerified >= n * (n - 1))
    const full = withBilateral(gt, se)
    full.agents.forEach((a, i) => {
      assert.equal(a[`${BORDER}:messages`], se.agents[i]?.[`${BORDER}:messages`])
      assert.equal(a['gossipsub:messages'], gt.agents[i]?.['gossipsub:messages'])
    })
  })
})
