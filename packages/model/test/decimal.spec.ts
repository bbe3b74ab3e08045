import assert from 'node:assert/strict'
import fc from 'fast-check'
import { add, cmp, format, formatRounded, isModelError, mul, normalize, parseDec, roundHalfEven, sub } from '../src/index.js'

const d = (t: string) => parseDec(t, 'x')

describe('exact decimals', () => {
  it('parses the strict wire form only', () => {
    for (const ok of ['0', '-0', '12', '-3.25', '0.000001', '007.50']) assert.doesNotThrow(() => d(ok), ok)
    for (const bad of ['', ' 1', '1 ', '+1', '1e3', '1E-2', '.5', '5.', '1,5', '0x10', 'NaN', 'Infinity', '--1', '1.2.3']) {
      assert.throws(() => d(bad), (e: unknown) => isModelError(e) && e.code === 'bad-decimal' && e.field === 'x', bad)
    }
    assert.throws(() => parseDec(1.5, 'f'), (e: unknown) => isModelError(e) && /decimal string/.test(e.message))
  })

  it('rounds half-even, once, at any scale', () => {
    const cases: Array<[string, number, string]> = [
      ['0.5', 0, '0'], ['1.5', 0, '2'], ['2.5', 0, '2'], ['-2.5', 0, '-2'], ['-3.5', 0, '-4'],
      ['1.005', 2, '1.00'], ['1.015', 2, '1.02'], ['1.0051', 2, '1.01'], ['-0.004', 2, '0.00'],
      ['-0.005', 2, '0.00'], ['-0.015', 2, '-0.02'], ['3', 3, '3.000'], ['123.456789', 6, '123.456789']
    ]
    for (const [x, places, want] of cases) assert.equal(formatRounded(d(x), places), want, `${x} @${places}`)
  })

  it('adds, subtracts and multiplies exactly', () => {
    assert.equal(format(normalize(add(d('0.1'), d('0.2')))), '0.3')
    assert.equal(format(normalize(mul(d('0.1'), d('0.2')))), '0.02')
    assert.equal(format(sub(d('1'), d('1.000'))), '0.000')
    assert.equal(cmp(d('2.50'), d('2.5')), 0)
  })

  it('round-trips and agrees with integer arithmetic on random values', () => {
    fc.assert(fc.property(fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }), fc.integer({ min: 0, max: 20 }), (c, s) => {
      const x = { c, s }
      assert.deepEqual(d(format(x)), x)
      const r = roundHalfEven(x, 0)
      // |x − r| ≤ 1/2, exactly.
      const diff = sub(x, r)
      assert.ok(cmp(diff, d('0.5')) <= 0 && cmp(diff, d('-0.5')) >= 0)
    }))
  })
})
