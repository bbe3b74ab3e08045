import assert from 'node:assert/strict'
import { closedIntervals, closedPeriods, intervalStartOf, intervalsOf, periodOf } from '../src/clock/intervals.js'

describe('interval clock', () => {
  it('aligns intervals and periods to the epoch', () => {
    assert.equal(intervalStartOf(12_345, 1000), 12_000)
    assert.deepEqual(periodOf(12_345, 1000, 5), { start: 10_000, end: 15_000 })
    assert.deepEqual(intervalsOf({ start: 10_000, end: 13_000 }, 1000), [10_000, 11_000, 12_000])
  })
  it('lists only intervals closed for at least the grace time', () => {
    assert.deepEqual(closedIntervals(10_500, 13_099, 1000, 100), [10_000, 11_000])
    assert.deepEqual(closedIntervals(10_500, 13_100, 1000, 100), [10_000, 11_000, 12_000])
  })
  it('lists closed periods', () => {
    assert.deepEqual(closedPeriods(10_500, 20_200, 1000, 5, 100), [{ start: 10_000, end: 15_000 }, { start: 15_000, end: 20_000 }])
    assert.deepEqual(closedPeriods(10_500, 15_050, 1000, 5, 100), [])
  })
})
