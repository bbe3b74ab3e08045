/**
 * The fault simulator: seeds pass with every fault on, a seed replays exactly, and every
 * deliberate defect is caught by the checker named for it (a checker that never fails is no check).
 */
import assert from 'node:assert/strict'
import { BREAKS, runVopr } from '../src/index.js'
import type { Defect } from '@splitedge/agent'

describe('vopr: seeded fault simulation of real agents', function () {
  this.timeout(300_000)

  it('a fixed set of 20 seeds passes with every fault on', async () => {
    const failed: string[] = []
    const faults: Record<string, number> = {}
    for (let seed = 1; seed <= 20; seed++) {
      const r = await runVopr({ seed })
      if (!r.ok) failed.push(`seed ${seed}: ${JSON.stringify(r.violations.slice(0, 3))}`)
      for (const [k, v] of Object.entries(r.faults)) faults[k] = (faults[k] ?? 0) + v
    }
    assert.deepEqual(failed, [])
    // The faults really happened.
    for (const k of ['crash', 'partition', 'lost', 'duplicated']) assert.ok((faults[k] ?? 0) > 0, `${k}: ${faults[k] ?? 0}`)
  })

  it('keeps the seeds that found real bugs: 4054, a full disk during a tariff sync (an unhandled rejection)', async () => {
    const r = await runVopr({ seed: 4054 })
    assert.deepEqual(r.violations, [])
    assert.ok((r.faults.disk ?? 0) > 0, 'the disk fault happened')
  })

  it('keeps seed 5 at 16 agents and 200 intervals: a period held open by an old usage dispute blocked every settlement 64 periods later', async () => {
    const r = await runVopr({ seed: 5, agents: 16, intervals: 200 })
    assert.deepEqual(r.violations, [])
  })

  it('the same seed gives a byte-identical event log', async () => {
    const [a, b] = [await runVopr({ seed: 42, intervals: 12 }), await runVopr({ seed: 42, intervals: 12 })]
    assert.equal(a.logDigest, b.logDigest)
    assert.equal(a.events, b.events)
    assert.deepEqual(a.faults, b.faults)
    assert.notEqual((await runVopr({ seed: 43, intervals: 12 })).logDigest, a.logDigest)
  })

  for (const [name, checker] of Object.entries(BREAKS) as Array<[Defect, string]>) {
    it(`catches the defect ${name} with the ${checker} checker within 20 seeds`, async () => {
      for (let seed = 1; seed <= 20; seed++) {
        const r = await runVopr({ seed, break: name })
        if (r.violations.some(v => v.checker === checker)) { assert.equal(r.ok, false); return }
      }
      assert.fail(`${name} was never caught by ${checker}`)
    })
  }
})
