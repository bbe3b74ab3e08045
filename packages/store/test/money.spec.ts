import assert from 'node:assert/strict'
import fc from 'fast-check'
import { fromMinorUnits, StoreError, toMinorUnits } from '../src/index.js'

describe('money: decimal strings <-> minor units', () => {
  it('converts exactly', () => {
    assert.equal(toMinorUnits('12.34', 2), 1234n)
    assert.equal(toMinorUnits('12.3', 2), 1230n)
    assert.equal(toMinorUnits('12', 2), 1200n)
    assert.equal(toMinorUnits('-0.000001', 6), -1n)
    assert.equal(toMinorUnits('1.500000', 2), 150n) // trailing zeros beyond decimals are exact
    assert.equal(toMinorUnits('7', 0), 7n)
    assert.equal(fromMinorUnits(1234n, 2), '12.34')
    assert.equal(fromMinorUnits(-5n, 3), '-0.005')
    assert.equal(fromMinorUnits(0n, 2), '0.00')
    assert.equal(fromMinorUnits(42n, 0), '42')
    assert.equal(toMinorUnits('123456789012345678901234567890.123456', 6), 123456789012345678901234567890123456n)
  })

  it('refuses to round or guess', () => {
    for (const bad of ['1.235', '1e3', '', '.5', '1.', '+1', ' 1', '0x10', 'NaN']) {
      assert.throws(() => toMinorUnits(bad, 2), (e: unknown) => e instanceof StoreError && e.code === 'invalid-argument', bad)
    }
    assert.throws(() => toMinorUnits('1', -1), StoreError)
    assert.throws(() => fromMinorUnits(1n, 1.5), StoreError)
  })

  it('round-trips any amount at any scale', () => {
    fc.assert(fc.property(fc.bigInt(), fc.integer({ min: 0, max: 18 }), (units, decimals) => {
      const s = fromMinorUnits(units, decimals)
      assert.equal(toMinorUnits(s, decimals), units)
      // Exact rescaling upward, as when a ledger currency uses more places than a statement.
      assert.equal(toMinorUnits(s, decimals + 3), units * 1000n)
    }))
  })
})
