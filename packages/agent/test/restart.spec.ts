/**
 * Restart from the store alone. Two agents settle one interval and its period (one interval per
 * period) on virtual time and an in-memory network. Each side is killed once after each effect of
 * the interval's and the period's lifecycles in turn (its store drops what it has not committed,
 * its port goes down), restarted over the same database, and the exchange must still complete
 * with the very bytes of an undisturbed run on both sides: the same reports, attestation and
 * statement, one ledger posting each, and the pushed usage in the attested figures.
 */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { identityFromSeed, type Identity } from '@splitedge/wire'
import { borderOf } from '@splitedge/store'
import { configFor, pricing } from './agent-fixtures.js'
import { drain, MemNet, VirtualAgent, VirtualClock } from './virtual.js'
import type { EffectTrace } from '../src/border/components.js'

const INTERVAL = 60_000
const START = 1_800_000_000_000 - (1_800_000_000_000 % INTERVAL)
const opts = { intervalMs: INTERVAL, periodIntervals: 1, tolerance: '0.01', usage: { source: 'http' } }

interface Outcome {
  /** Effects of the interval's and the period's lifecycles, per side, in order (across restarts). */
  effects: [string[], string[]]
  bytes: Record<string, string>
  crashed: boolean
}

const hex = (b: Uint8Array | undefined): string => b === undefined ? '(none)' : Buffer.from(b).toString('hex')

async function identities (): Promise<Identity[]> {
  return await Promise.all([0, 1].map(async i => await identityFromSeed(createHash('sha256').update(`splitedge/restart-test/${i}`).digest())))
}

/** Run one border through interval START and its period; kill `crash.side` after its `crash.after`-th effect. */
async function runBorder (crash?: { side: 0 | 1, after: number }): Promise<Outcome> {
  const ids = await identities()
  const network = new MemNet()
  const clock = new VirtualClock(START - 30_000)
  const effects: [string[], string[]] = [[], []]
  const agents: VirtualAgent[] = []
  let killed: VirtualAgent | undefined
  let crashed = false
  const traceOf = (i: 0 | 1) => (e: EffectTrace): void => {
    if (e.start !== START) return
    effects[i].push(`${e.machine}:${e.effect.k}`)
    if (crash?.side === i && effects[i].length === crash.after && !crashed) {
      crashed = true
      killed = agents[i]
      killed?.kill()
      throw new Error('killed')
    }
  }
  for (const i of [0, 1] as const) agents.push(await VirtualAgent.start(configFor(i, ids, [1, 2], [[0, 1]], opts), ids[i]!, network, clock, { trace: traceOf(i) }))
  const [A, B] = agents as [VirtualAgent, VirtualAgent]
  try {
    await drain()
    await A.agent.tariffs.publishOwn(pricing('0.000002'), 0)
    await B.agent.tariffs.publishOwn(pricing('0.000001'), 0)
    clock.t = START + 1_000
    assert.deepEqual(await A.agent.usage.push([{ neighbour: 'n1', intervalStart: START, class: 'be', direction: 'out', volume: '1000', id: 'a-1' }]), { accepted: 1, duplicates: 0 })
    assert.deepEqual(await B.agent.usage.push([{ neighbour: 'n0', intervalStart: START, class: 'be', direction: 'in', volume: '995', id: 'b-1' }]), { accepted: 1, duplicates: 0 })
    const border = borderOf(A.peerId, B.peerId)
    const finished = async (): Promise<boolean> => {
      for (const r of [A, B]) {
        if ((await r.agent.settle.state(r === A ? B.peerId : A.peerId, START)).phase !== 'settled') return false
        if ((await r.agent.border.state(r === A ? B.peerId : A.peerId, START)).phase !== 'delivered') return false
      }
      return true
    }
    for (let step = 0; step < 40 && !(await finished()); step++) {
      clock.t = START + INTERVAL + INTERVAL / 5 + step * 15_000
      for (const r of [A, B]) {
        // A killed agent's pass fails on its closed store; the process is gone anyway.
        await r.agent.tick().catch((err: Error) => { if (killed === undefined) throw err })
        await drain()
        if (killed !== undefined) {
          const k = killed
          killed = undefined
          await k.bury()
          await k.restart()
          await drain()
        }
      }
    }
    assert.ok(await finished(), `the interval and the period complete on both sides (effects: ${JSON.stringify(effects)})`)
    const bytes: Record<string, string> = {}
    for (const [name, r, other] of [['A', A, B], ['B', B, A]] as const) {
      bytes[`${name} attestation`] = hex((await r.store.getAttestation(border, START))?.bytes)
      bytes[`${name} statement`] = hex((await r.store.getStatement(border, START))?.bytes)
      for (const who of [r, other]) bytes[`${name} holds report of ${who === A ? 'A' : 'B'}`] = hex((await r.store.getReport(border, START, who.peerId))?.bytes)
      const entries = await r.store.entries()
      assert.equal(entries.length, 1, `${name}: the statement is posted once`)
      assert.equal((await r.store.checkLedger()).ok, true)
      assert.equal((await r.store.listStatements(border)).length, 1)
    }
    return { effects, bytes, crashed }
  } finally {
    for (const r of [A, B]) await r.stop().catch(() => {})
  }
}

describe('restart from stored state alone: a crash between any two effects of one interval and one period', function () {
  this.timeout(120_000)
  let baseline: Outcome

  before(async () => { baseline = await runBorder() })

  it('runs undisturbed: attested, delivered, co-signed, posted', async () => {
    assert.equal(baseline.bytes['A attestation'], baseline.bytes['B attestation'], 'one attestation, byte for byte, on both sides')
    assert.equal(baseline.bytes['A statement'], baseline.bytes['B statement'], 'one statement, byte for byte, on both sides')
    assert.notEqual(baseline.bytes['A statement'], '(none)')
    // The lower PeerId initiates both exchanges; the other side only answers.
    const [initiator, responder] = baseline.effects[0].includes('interval:send-report') ? baseline.effects : [baseline.effects[1], baseline.effects[0]]
    assert.deepEqual(initiator, [
      'interval:check', 'interval:make-report', 'interval:send-report', 'interval:store-attestation', 'interval:deliver',
      'period:check', 'period:compute', 'period:send-offer', 'period:store-statement'
    ])
    assert.deepEqual(responder, ['interval:make-report', 'interval:keep-report', 'interval:store-attestation', 'period:store-statement'])
  })

  for (const side of [0, 1] as const) {
    it(`side ${side === 0 ? 'A' : 'B'}: killed after each of its effects in turn, it completes with the undisturbed bytes`, async () => {
      const n = baseline.effects[side].length
      assert.ok(n >= 3, `side ${side} ran ${n} effects: ${baseline.effects[side].join(', ')}`)
      for (let after = 1; after <= n; after++) {
        const r = await runBorder({ side, after })
        assert.ok(r.crashed, `killed after effect ${after} (${baseline.effects[side][after - 1] ?? ''})`)
        assert.deepEqual(r.bytes, baseline.bytes, `after a crash following effect ${after} (${baseline.effects[side][after - 1] ?? ''}): ${r.effects[side].join(', ')}`)
      }
    })
  }
})
