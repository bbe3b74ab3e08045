// A small run of the border-load bench: one real agent process (store on disk, TCP on loopback)
// with five libp2p neighbours, two measured intervals. Checks that every border-interval completed
// and that the figures are well-formed; never how fast they are.
import assert from 'node:assert/strict'
import { runHighDegree } from '../bench/border-load/index.js'

describe('border-load: one real agent with D neighbours', function () {
  this.timeout(180_000)

  it('completes every border-interval of D = 5 over 2 intervals, with well-formed figures', async () => {
    const r = await runHighDegree({ D: 5, intervals: 2, intervalMs: 2000 })
    assert.equal(r.D, 5)
    assert.equal(r.border_intervals_expected, 10)
    assert.equal(r.border_intervals, 10, 'every border-interval completed')
    assert.equal(r.disputed, 0)
    assert.equal(r.interval_close_ms.length, 2)
    for (const k of ['border_intervals_per_s', 'crypto_ratio', 'crypto_limit_per_s', 'cpu_ms_per_border_interval', 'node_crypto_sign_per_s', 'node_crypto_verify_per_s', 'rss_kb', 'rss_idle_kb'] as const) {
      assert.ok(Number.isFinite(r[k]) && r[k] > 0, `${k} = ${r[k]}`)
    }
    assert.ok(Number.isFinite(r.p99_interval_close_ms) && r.p99_interval_close_ms >= 0)
    assert.equal(r.p99_interval_close_ms, Math.max(...r.interval_close_ms))
    assert.ok(Number.isFinite(r.rss_per_border_kb))
    // The agent signs its report and its half (or its co-signature), and checks the other side's.
    assert.ok(r.signs_per_border_interval >= 1.5 && r.signs_per_border_interval <= 4, `signs ${r.signs_per_border_interval}`)
    assert.ok(r.verifies_per_border_interval >= 1.5 && r.verifies_per_border_interval <= 5, `verifies ${r.verifies_per_border_interval}`)
    assert.ok(r.crypto_ratio < 1, 'no run beats its crypto limit')
    assert.ok(r.agent_initiates >= 1 && r.agent_initiates <= 4, 'the agent starts the exchange on some borders and answers on the others')
  })
})
