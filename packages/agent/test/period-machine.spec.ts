/**
 * The period lifecycle (settle/period.ts), state by event: every pair has a row here, either a
 * transition (the next phase and the effects, in order) or ignored (same state, no effect). The
 * phases come from the stored schema and the events from the event type, so a phase or an event
 * added without a row fails this test.
 */
import assert from 'node:assert/strict'
import { PeriodPhaseSchema } from '@splitedge/store'
import { DONE, OPEN_PERIOD, periodDueAt, periodStep, type PeriodEvent, type PeriodPhase, type PeriodState } from '../src/settle/period.js'

const NOW = 2_000_000
const EVENTS: { [K in PeriodEvent['k']]: Extract<PeriodEvent, { k: K }> } = {
  due: { k: 'due' },
  waiting: { k: 'waiting', reason: 'period pending here' },
  'before-start': { k: 'before-start' },
  ready: { k: 'ready' },
  computed: { k: 'computed' },
  'missing-tariff': { k: 'missing-tariff', reason: 'no tariff of X in force' },
  nothing: { k: 'nothing', disputeOpen: false },
  settled: { k: 'settled' },
  need: { k: 'need' },
  disputed: { k: 'disputed' },
  declined: { k: 'declined', reason: 'before since there' },
  'not-ready': { k: 'not-ready', reason: 'pending there' },
  failed: { k: 'failed', reason: 'timeout' }
}

const PHASES = PeriodPhaseSchema.anyOf.map(s => s.const) as PeriodPhase[]

/** `-`: ignored; otherwise `phase` or `phase: effect effect …` (`=`: the same phase). */
const TABLE: Record<PeriodPhase, Record<PeriodEvent['k'], string>> = {
  open: {
    due: '=: check', waiting: '-', 'before-start': 'declined', ready: 'ready: compute', computed: '-', 'missing-tariff': '-', nothing: '-',
    settled: 'settled: store-statement', need: '-', disputed: 'disputed: record-dispute', declined: 'declined', 'not-ready': '-', failed: '-'
  },
  ready: {
    due: '=: check', waiting: 'open', 'before-start': 'declined', ready: '=: compute', computed: 'offered: send-offer', 'missing-tariff': '=: sync-tariffs retry',
    nothing: 'nothing', settled: 'settled: store-statement', need: '-', disputed: 'disputed: record-dispute', declined: 'declined', 'not-ready': '-', failed: '-'
  },
  offered: {
    due: '=: check', waiting: 'open', 'before-start': 'declined', ready: '=: compute', computed: '=: send-offer', 'missing-tariff': '=: sync-tariffs retry',
    nothing: 'nothing', settled: 'settled: store-statement', need: '=: take-need', disputed: 'disputed: record-dispute', declined: 'declined',
    'not-ready': '=: retry', failed: '=: retry'
  },
  settled: {
    due: '-', waiting: '-', 'before-start': '-', ready: '-', computed: '-', 'missing-tariff': '-', nothing: '-', settled: '-', need: '-', disputed: '-',
    declined: '-', 'not-ready': '-', failed: '-'
  },
  disputed: {
    due: '-', waiting: '-', 'before-start': '-', ready: '-', computed: '-', 'missing-tariff': '-', nothing: '-', settled: 'settled: store-statement', need: '-',
    disputed: '=: record-dispute', declined: '-', 'not-ready': '-', failed: '-'
  },
  'on-hold': {
    due: '=: check', waiting: 'open', 'before-start': 'declined', ready: 'ready: compute', computed: '-', 'missing-tariff': '-', nothing: '-',
    settled: 'settled: store-statement', need: '-', disputed: 'disputed: record-dispute', declined: 'declined', 'not-ready': '-', failed: '-'
  },
  nothing: {
    due: '-', waiting: '-', 'before-start': '-', ready: '-', computed: '-', 'missing-tariff': '-', nothing: '-', settled: 'settled: store-statement', need: '-',
    disputed: 'disputed: record-dispute', declined: '-', 'not-ready': '-', failed: '-'
  },
  declined: {
    due: '-', waiting: '-', 'before-start': '-', ready: '-', computed: '-', 'missing-tariff': '-', nothing: '-', settled: 'settled: store-statement', need: '-',
    disputed: 'disputed: record-dispute', declined: '-', 'not-ready': '-', failed: '-'
  }
}

const stateIn = (phase: PeriodPhase): PeriodState => phase === 'open' ? OPEN_PERIOD : { phase, attempts: 1, retryAt: NOW - 1, at: NOW - 10 }

describe('period lifecycle: every state by every event', () => {
  it('has a row for every phase and every event', () => {
    assert.deepEqual(Object.keys(TABLE).sort(), [...PHASES].sort())
    for (const p of PHASES) assert.deepEqual(Object.keys(TABLE[p]).sort(), Object.keys(EVENTS).sort(), p)
  })

  for (const phase of PHASES) {
    for (const [k, event] of Object.entries(EVENTS) as Array<[PeriodEvent['k'], PeriodEvent]>) {
      const want = TABLE[phase][k]
      it(`${phase} × ${k} → ${want}`, () => {
        const before = stateIn(phase)
        const t = periodStep(before, event, NOW)
        if (want === '-') {
          assert.deepEqual(t, { state: before, effects: [] }, 'ignored: same state, no effect')
          return
        }
        const [next, effects = ''] = want.split(': ')
        assert.equal(t.state.phase, next === '=' ? phase : next)
        assert.deepEqual(t.effects.map(e => e.k), effects === '' ? [] : effects.split(' '))
      })
    }
  }
})

describe('period lifecycle: attempts, holds and what is done', () => {
  const offered: PeriodState = { phase: 'offered', attempts: 0, retryAt: NOW, at: NOW }

  it('a period is due for the lower PeerId at its end plus grace, for the other one interval later', () => {
    assert.equal(periodDueAt(10_000, { intervalMs: 1000, graceMs: 100 }, true), 10_100)
    assert.equal(periodDueAt(10_000, { intervalMs: 1000, graceMs: 100 }, false), 11_100)
  })

  it('nothing to co-sign is done, unless a usage dispute of the period is open: then it is on hold and tried again', () => {
    assert.equal(periodStep(offered, { k: 'nothing', disputeOpen: false }, NOW).state.phase, 'nothing')
    const held = periodStep(offered, { k: 'nothing', disputeOpen: true }, NOW).state
    assert.equal(held.phase, 'on-hold')
    assert.deepEqual(periodStep(held, { k: 'due' }, NOW).effects, [{ k: 'check' }])
    assert.deepEqual([...DONE].sort(), ['declined', 'disputed', 'nothing', 'settled'])
  })

  it('a refused or unanswered offer counts an attempt and is retried on the next pass', () => {
    const a = periodStep(offered, { k: 'failed', reason: 'timeout' }, NOW + 1)
    assert.deepEqual(a.state, { phase: 'offered', attempts: 1, retryAt: NOW + 1, at: NOW + 1, reason: 'timeout' })
    assert.deepEqual(periodStep(a.state, { k: 'not-ready', reason: 'pending there' }, NOW + 2).state.attempts, 2)
    assert.deepEqual(periodStep({ ...offered, retryAt: NOW + 5 }, { k: 'due' }, NOW).effects, [], 'not before its retry time')
  })

  it('an interval pending again (a revision) puts a ready or offered period back to open', () => {
    assert.equal(periodStep(offered, { k: 'waiting', reason: 'period pending here' }, NOW).state.phase, 'open')
  })
})
