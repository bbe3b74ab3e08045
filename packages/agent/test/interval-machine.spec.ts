/**
 * The interval lifecycle (border/interval.ts), state by event: every pair has a row here, either a
 * transition (the next phase and the effects, in order), ignored (same state, no effect) or refused
 * (an operator's event that does not apply). The phases come from the stored schema and the events
 * from the event type, so a phase or an event added without a row fails this test.
 */
import assert from 'node:assert/strict'
import { IntervalPhaseSchema } from '@splitedge/store'
import { closesAt, dueAt, intervalStep, OPEN_INTERVAL, SETTLES, PENDING, type IntervalEvent, type IntervalPhase, type IntervalState } from '../src/border/interval.js'

const NOW = 1_000_000
const EVENTS: { [K in IntervalEvent['k']]: Extract<IntervalEvent, { k: K }> } = {
  close: { k: 'close', due: NOW + 500 },
  due: { k: 'due' },
  eligible: { k: 'eligible' },
  asked: { k: 'asked', due: NOW + 700 },
  declined: { k: 'declined', reason: 'before since' },
  'not-ready': { k: 'not-ready', reason: 'tariff unknown' },
  failed: { k: 'failed', reason: 'timeout' },
  unreportable: { k: 'unreportable', reason: 'oversize' },
  agreed: { k: 'agreed' },
  cosigned: { k: 'cosigned' },
  attestation: { k: 'attestation' },
  disagreed: { k: 'disagreed' },
  delivered: { k: 'delivered' },
  revised: { k: 'revised' },
  discarded: { k: 'discarded' }
}

const PHASES = IntervalPhaseSchema.anyOf.map(s => s.const) as IntervalPhase[]

/** `-`: ignored; `refused`; otherwise `phase` or `phase: effect effect …` (`=`: the same phase). */
const TABLE: Record<IntervalPhase, Record<IntervalEvent['k'], string>> = {
  open: {
    close: 'scheduled', due: '-', eligible: '-', asked: 'reported: make-report', declined: 'skipped: skip', 'not-ready': '-', failed: '-',
    unreportable: 'unreportable: record-unreportable', agreed: '-', cosigned: '-', attestation: 'delivered: store-attestation',
    disagreed: 'disputed: record-dispute', delivered: '-', revised: 'refused', discarded: '=: drop-counters'
  },
  scheduled: {
    close: '-', due: '=: check', eligible: 'reported: make-report send-report', asked: 'reported: make-report', declined: 'skipped: skip',
    'not-ready': '=: retry', failed: '=: retry', unreportable: 'unreportable: record-unreportable', agreed: '-',
    cosigned: 'attested: store-attestation deliver', attestation: 'delivered: store-attestation', disagreed: 'disputed: record-dispute',
    delivered: '-', revised: 'refused', discarded: '=: drop-counters'
  },
  reported: {
    close: '-', due: '=: check', eligible: '=: send-report', asked: '=: make-report', declined: 'skipped: skip', 'not-ready': '=: retry',
    failed: '=: retry', unreportable: 'unreportable: record-unreportable', agreed: '=: keep-report', cosigned: 'attested: store-attestation deliver',
    attestation: 'delivered: store-attestation', disagreed: 'disputed: record-dispute', delivered: '-', revised: 'refused', discarded: 'refused'
  },
  attested: {
    close: '-', due: '=: deliver', eligible: '-', asked: '-', declined: '-', 'not-ready': '-', failed: '=: retry', unreportable: '-', agreed: '-',
    cosigned: '-', attestation: 'delivered: store-attestation', disagreed: '-', delivered: 'delivered', revised: 'refused', discarded: 'refused'
  },
  delivered: {
    close: '-', due: '-', eligible: '-', asked: '-', declined: '-', 'not-ready': '-', failed: '-', unreportable: '-', agreed: '-', cosigned: '-',
    attestation: '-', disagreed: '-', delivered: '-', revised: 'refused', discarded: 'refused'
  },
  disputed: {
    close: '-', due: '-', eligible: '-', asked: '=: make-report', declined: '-', 'not-ready': '-', failed: '-', unreportable: '-', agreed: '=: keep-report',
    cosigned: 'attested: store-attestation deliver', attestation: 'delivered: store-attestation', disagreed: '=: record-dispute', delivered: '-',
    revised: 'scheduled: store-revision', discarded: 'refused'
  },
  unreportable: {
    close: '-', due: '-', eligible: '-', asked: '=: make-report', declined: '-', 'not-ready': '-', failed: '-', unreportable: '-', agreed: '-',
    cosigned: '-', attestation: 'delivered: store-attestation', disagreed: '-', delivered: '-', revised: 'refused', discarded: 'scheduled: drop-counters'
  },
  skipped: {
    close: '-', due: '-', eligible: '-', asked: '-', declined: '-', 'not-ready': '-', failed: '-', unreportable: '-', agreed: '-', cosigned: '-',
    attestation: 'delivered: store-attestation', disagreed: '-', delivered: '-', revised: 'refused', discarded: 'refused'
  }
}

const stateIn = (phase: IntervalPhase): IntervalState => phase === 'open' ? OPEN_INTERVAL : { phase, attempts: 2, retryAt: NOW - 1, at: NOW - 10 }

describe('interval lifecycle: every state by every event', () => {
  it('has a row for every phase and every event', () => {
    assert.deepEqual(Object.keys(TABLE).sort(), [...PHASES].sort())
    for (const p of PHASES) assert.deepEqual(Object.keys(TABLE[p]).sort(), Object.keys(EVENTS).sort(), p)
  })

  for (const phase of PHASES) {
    for (const [k, event] of Object.entries(EVENTS) as Array<[IntervalEvent['k'], IntervalEvent]>) {
      const want = TABLE[phase][k]
      it(`${phase} × ${k} → ${want}`, () => {
        const before = stateIn(phase)
        const t = intervalStep(before, event, NOW)
        if (want === '-') {
          assert.deepEqual(t, { state: before, effects: [] }, 'ignored: same state, no effect')
          return
        }
        if (want === 'refused') {
          assert.deepEqual(t.state, before)
          assert.deepEqual(t.effects, [])
          assert.equal(typeof t.refused, 'string')
          return
        }
        const [next, effects = ''] = want.split(': ')
        assert.equal(t.refused, undefined)
        assert.equal(t.state.phase, next === '=' ? phase : next)
        assert.deepEqual(t.effects.map(e => e.k), effects === '' ? [] : effects.split(' '))
      })
    }
  }
})

describe('interval lifecycle: attempts, retry times and reasons', () => {
  const scheduled: IntervalState = { phase: 'scheduled', attempts: 0, retryAt: NOW, at: NOW - 5 }

  it('close makes the interval due at the time the event names (the second side half an interval later)', () => {
    const t = { intervalMs: 1000, graceMs: 100 }
    assert.equal(closesAt(5000, t), 6100)
    assert.equal(dueAt(5000, t, true), 6100)
    assert.equal(dueAt(5000, t, false), 6600)
    assert.deepEqual(intervalStep(OPEN_INTERVAL, { k: 'close', due: 6600 }, 6100).state, { phase: 'scheduled', attempts: 0, retryAt: 6600, at: 6100 })
  })

  it('due before the retry time is ignored; at it, the check runs', () => {
    const waiting = { ...scheduled, retryAt: NOW + 1 }
    assert.deepEqual(intervalStep(waiting, { k: 'due' }, NOW).effects, [])
    assert.deepEqual(intervalStep(waiting, { k: 'due' }, NOW + 1).effects, [{ k: 'check' }])
  })

  it('not-ready and failed count an attempt, keep the reason and retry on the next pass', () => {
    const a = intervalStep(scheduled, { k: 'not-ready', reason: 'neighbour tariff in force not known yet' }, NOW + 3)
    assert.deepEqual(a, { state: { phase: 'scheduled', attempts: 1, retryAt: NOW + 3, at: NOW + 3, reason: 'neighbour tariff in force not known yet' }, effects: [{ k: 'retry', at: NOW + 3 }] })
    const b = intervalStep(a.state, { k: 'failed', reason: 'x'.repeat(600) }, NOW + 4)
    assert.equal(b.state.attempts, 2)
    assert.equal(b.state.reason?.length, 512, 'a reason is kept short')
  })

  it('a new phase starts with no attempts and drops the old reason', () => {
    const tried = { ...scheduled, phase: 'reported' as const, attempts: 3, reason: 'timeout' }
    assert.deepEqual(intervalStep(tried, { k: 'cosigned' }, NOW).state, { phase: 'attested', attempts: 0, retryAt: NOW, at: NOW })
  })

  it('asked on an open interval keeps the due time it brings; on a scheduled one, the one it had', () => {
    assert.equal(intervalStep(OPEN_INTERVAL, { k: 'asked', due: NOW + 7 }, NOW).state.retryAt, NOW + 7)
    assert.equal(intervalStep({ ...scheduled, retryAt: NOW + 9 }, { k: 'asked', due: NOW + 7 }, NOW).state.retryAt, NOW + 9)
  })

  it('names the final and pending phases settlement reads', () => {
    assert.deepEqual([...SETTLES].sort(), ['attested', 'delivered', 'disputed', 'skipped', 'unreportable'])
    assert.deepEqual([...PENDING].sort(), ['reported', 'scheduled'])
  })

  it('is pure: the same state and event give the same result, and the input is not changed', () => {
    const s = Object.freeze({ ...scheduled })
    assert.deepEqual(intervalStep(s, { k: 'failed', reason: 'r' }, NOW), intervalStep(s, { k: 'failed', reason: 'r' }, NOW))
  })
})
