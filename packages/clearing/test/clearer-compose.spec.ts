/**
 * The clearer's composition root: its periodic work runs when the given Scheduler says, and its
 * time is the given Clock's, with no timers of its own.
 */
import assert from 'node:assert/strict'
import type { Identity } from '@splitedge/wire'
import type { Scheduler } from '@splitedge/node'
import { Clearer } from '../src/index.js'
import { clearerConfig, identities, memStore, silent } from './fixtures.js'

describe('clearer: clock and scheduler come from the composition root', function () {
  this.timeout(20_000)

  it('ticks only when the scheduler fires, at the clock\'s time; stop cancels the tick', async () => {
    const [me, op] = await identities(2) as [Identity, Identity]
    let now = 1_800_000_000_000
    const registered: Array<{ ms: number, fn: () => void, cancelled: boolean }> = []
    const scheduler: Scheduler = {
      every: (ms, fn) => {
        const r = { ms, fn, cancelled: false }
        registered.push(r)
        return () => { r.cancelled = true }
      }
    }
    const config = clearerConfig(0, [{ name: 'A', peerId: op.peerId, port: 1 }], { announceMs: 60_000 })
    const c = await Clearer.start({ config, identity: me, store: await memStore(), logger: silent(), http: false, tickMs: 250, scheduler, clock: { now: () => now } })
    try {
      assert.deepEqual(registered.map(r => r.ms), [250])
      const seq = (): number | undefined => c.directory.serving([op.peerId], now)[0]?.seq
      assert.equal(seq(), now, 'announced at start, at the clock\'s time')
      const first = now
      now += 30_000
      registered[0]!.fn()
      await c.tick()
      assert.equal(seq(), first, 'not due yet')
      now += 30_000
      registered[0]!.fn()
      await c.tick()
      assert.equal(seq(), now, 're-announced when the scheduler fired and announceMs had passed on the clock')
    } finally {
      await c.stop()
    }
    assert.equal(registered[0]!.cancelled, true)
  })
})
