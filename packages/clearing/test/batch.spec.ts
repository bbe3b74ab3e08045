/**
 * The batch settlement lifecycle as a table: every phase (with the clock before and after its
 * waiting time, where it has one) against every event, the next phase, its effects, and the
 * attempts and retry time it stores. Every next state fits the store's schema.
 */
import assert from 'node:assert/strict'
import { Value } from '@sinclair/typebox/value'
import { SettlementBatchSchema } from '@splitedge/store'
import { sign, type ClearingStatement, type Identity } from '@splitedge/wire'
import {
  EVENTS, PHASES, RETRY_FAILED_MS, RETRY_REFUSED_MS, isFinal, openBatch, resultOf, step,
  type BatchEvent, type BatchEvents, type BatchPhase, type BatchState
} from '../src/index.js'
import { identities } from './fixtures.js'

const NOW = 1_800_000_000_000
const OP = '12D3KooWGzL6a8vDgH7Sxk3N3H6b2sR9ZwV3gkq3tWn1yY7mJp4E'
const START = NOW - 120_000
const base = { operator: OP, start: START, closeAt: NOW - 1000, attempts: 1 }

/** The states of the table, by name: each phase, and the waiting ones before and after their time. */
const STATES: Record<string, BatchState> = {
  'open, period not over': { ...base, attempts: 0, closeAt: NOW + 1, phase: 'open' },
  'open, period over': { ...base, attempts: 0, closeAt: NOW, phase: 'open' },
  offering: { ...base, phase: 'offering', since: NOW - 10 },
  'retrying, before its time': { ...base, phase: 'retrying', outcome: 'refused', code: 'wrong-net', reason: 'r', nextAt: NOW + 1 },
  'retrying, its time come': { ...base, phase: 'retrying', outcome: 'failed', code: 'failed', reason: 'r', nextAt: NOW },
  settled: { ...base, phase: 'settled', statement: 'S0' },
  empty: { ...base, phase: 'empty' }
}

/** What a row expects: the next phase, the effects' kinds, and the fields that must change. */
interface Want { phase: BatchPhase, effects: string[], attempts?: number, nextAt?: number, statement?: string }
const unchanged = (name: string): Want => ({ phase: STATES[name]!.phase, effects: [] })
const offer: Want = { phase: 'offering', effects: ['offer'], attempts: 2 }
const held: Want = { phase: 'settled', effects: [], statement: 'S1' }

const TABLE: Record<string, Record<BatchEvents, Want>> = {
  'open, period not over': { tick: unchanged('open, period not over'), held, nothing: unchanged('open, period not over'), cosigned: unchanged('open, period not over'), refused: unchanged('open, period not over'), failed: unchanged('open, period not over') },
  'open, period over': { tick: { ...offer, attempts: 1 }, held, nothing: unchanged('open, period over'), cosigned: unchanged('open, period over'), refused: unchanged('open, period over'), failed: unchanged('open, period over') },
  offering: {
    tick: offer,
    held,
    nothing: { phase: 'empty', effects: [] },
    cosigned: { phase: 'settled', effects: ['record'], statement: 'S2' },
    refused: { phase: 'retrying', effects: ['alert'], nextAt: NOW + RETRY_REFUSED_MS },
    failed: { phase: 'retrying', effects: [], nextAt: NOW + RETRY_FAILED_MS }
  },
  'retrying, before its time': { tick: unchanged('retrying, before its time'), held, nothing: unchanged('retrying, before its time'), cosigned: unchanged('retrying, before its time'), refused: unchanged('retrying, before its time'), failed: unchanged('retrying, before its time') },
  'retrying, its time come': { tick: offer, held, nothing: unchanged('retrying, its time come'), cosigned: unchanged('retrying, its time come'), refused: unchanged('retrying, its time come'), failed: unchanged('retrying, its time come') },
  settled: { tick: unchanged('settled'), held: unchanged('settled'), nothing: unchanged('settled'), cosigned: unchanged('settled'), refused: unchanged('settled'), failed: unchanged('settled') },
  empty: { tick: unchanged('empty'), held: unchanged('empty'), nothing: unchanged('empty'), cosigned: unchanged('empty'), refused: unchanged('empty'), failed: unchanged('empty') }
}

describe('clearing: the batch settlement lifecycle (pure, every phase x event)', () => {
  let statement: ClearingStatement
  const events = (): Record<BatchEvents, BatchEvent> => ({
    tick: { kind: 'tick' },
    held: { kind: 'held', statement: 'S1' },
    nothing: { kind: 'nothing' },
    cosigned: { kind: 'cosigned', statement, id: 'S2' },
    refused: { kind: 'refused', code: 'wrong-net', reason: 'the lines sum to something else' },
    failed: { kind: 'failed', reason: 'unreachable' }
  })

  before(async () => {
    const [c, o] = await identities(2) as [Identity, Identity]
    const s = sign(c, 'clearing-statement', { clearer: c.peerId, operator: o.peerId, period: { start: START, end: START + 60_000 }, currency: 'EUR', decimals: 6, lines: [], net: '0.000000' })
    assert.ok(s.ok, s.ok ? '' : s.error.message)
    statement = s.value
  })

  it('the table names every phase and every event', () => {
    assert.deepEqual(new Set(Object.values(STATES).map(s => s.phase)), new Set(PHASES))
    for (const row of Object.values(TABLE)) assert.deepEqual(Object.keys(row).sort(), [...EVENTS].sort())
    assert.deepEqual(Object.keys(TABLE), Object.keys(STATES))
  })

  for (const [name, state] of Object.entries(STATES)) {
    for (const kind of EVENTS) {
      const want = TABLE[name]![kind]
      it(`${name} + ${kind} -> ${want.phase}${want.effects.length > 0 ? ` [${want.effects.join(', ')}]` : ''}`, () => {
        const event = events()[kind]
        const t = step(state, event, NOW)
        assert.equal(t.state.phase, want.phase)
        assert.deepEqual(t.effects.map(e => e.kind), want.effects)
        assert.ok(Value.Check(SettlementBatchSchema, t.state), `storable: ${JSON.stringify(t.state)}`)
        assert.deepEqual([t.state.operator, t.state.start, t.state.closeAt], [state.operator, state.start, state.closeAt], 'the batch is the same batch')
        assert.equal(t.state.attempts, want.attempts ?? state.attempts)
        if (want.effects.length === 0 && want.phase === state.phase && want.statement === undefined) assert.deepEqual(t.state, state, 'nothing changes')
        if (want.nextAt !== undefined) assert.equal(t.state.phase === 'retrying' && t.state.nextAt, want.nextAt)
        if (want.statement !== undefined) assert.equal(t.state.phase === 'settled' && t.state.statement, want.statement)
        if (t.state.phase === 'offering') assert.equal(t.state.since, NOW)
        const record = t.effects.find(e => e.kind === 'record')
        if (record !== undefined) assert.equal(record.kind === 'record' && record.statement, statement)
        const alert = t.effects.find(e => e.kind === 'alert')
        if (alert !== undefined) assert.deepEqual(alert, { kind: 'alert', code: 'wrong-net', reason: 'the lines sum to something else' })
      })
    }
  }

  it('a new batch is open until its period and grace are over; settled and empty are final', () => {
    const b = openBatch(OP, START, 60_000, 5_000)
    assert.deepEqual(b, { phase: 'open', operator: OP, start: START, closeAt: START + 65_000, attempts: 0 })
    assert.deepEqual(Object.values(STATES).filter(isFinal).map(s => s.phase), ['settled', 'empty'])
  })

  it('reports each phase as settleDue and POST /v1/settle always have', () => {
    assert.deepEqual(Object.fromEntries(Object.entries(STATES).map(([n, s]) => [n, resultOf(s)])), {
      'open, period not over': 'open',
      'open, period over': 'open',
      offering: 'error',
      'retrying, before its time': 'refused',
      'retrying, its time come': 'error',
      settled: 'settled',
      empty: 'nothing'
    })
  })

  it('runs a batch to the end: refused, retried after a minute, failed, retried after two seconds, co-signed', () => {
    let s = openBatch(OP, START, 60_000, 0)
    let now = START + 60_000
    const go = (e: BatchEvent): string[] => { const t = step(s, e, now); s = t.state; return t.effects.map(x => x.kind) }
    assert.deepEqual(go({ kind: 'tick' }), ['offer'])
    assert.deepEqual(go({ kind: 'refused', code: 'wrong-margin', reason: 'x' }), ['alert'])
    now += RETRY_REFUSED_MS - 1
    assert.deepEqual(go({ kind: 'tick' }), [])
    now += 1
    assert.deepEqual(go({ kind: 'tick' }), ['offer'])
    assert.deepEqual(go({ kind: 'failed', reason: 'timeout' }), [])
    now += RETRY_FAILED_MS
    assert.deepEqual(go({ kind: 'tick' }), ['offer'])
    assert.deepEqual(go({ kind: 'cosigned', statement, id: 'S9' }), ['record'])
    assert.deepEqual(s, { phase: 'settled', operator: OP, start: START, closeAt: START + 60_000, attempts: 3, statement: 'S9' })
  })
})
