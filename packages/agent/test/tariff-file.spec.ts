/**
 * The tariff loader refuses, with one line naming the field, every tariff that could not be
 * signed or priced (issue 10), and resolves neighbour names in every section of the new fields.
 */
import assert from 'node:assert/strict'
import { stringify } from 'yaml'
import { checkTariffFile, loadTariffFile } from '../src/tariff/file.js'
import { ConfigError } from '../src/config/load.js'

const PEER = '12D3KooWHk3DfHRdJ8jJvPZnSKqcYmr2ykxySg5BpYWqtvq3uUYr'
const names = new Map([['transit-1', PEER]])
const base = (): Record<string, any> => ({
  currency: 'EUR', decimals: 6, unit: 'octet',
  classes: { ef: { mode: 'unicast', quality: 'EF', price: '0.000003', sla: [{ metric: 'delay_ms', bands: [{ upTo: '20', factor: '1' }, { factor: '0.5' }] }] } },
  weights: { '*': { send: '1', receive: '1' } }
})
const refused = (edit: (t: Record<string, any>) => void, field: string, problem: RegExp): void => {
  const t = base()
  edit(t)
  assert.throws(() => checkTariffFile(t, names, {}), (e: unknown) => {
    assert.ok(e instanceof ConfigError, String(e))
    assert.equal(e.field, field)
    assert.match(e.problem, problem)
    return true
  })
}

describe('tariff file: every problem is one line naming the field, before signing', () => {
  it('an over-long price (beyond what the wire schema can sign)', () => {
    refused(t => { t.classes.ef.price = '1' + '0'.repeat(90) }, 'classes.ef.price', /length less or equal to 80/)
  })
  it('an upper-case SLA metric name', () => {
    refused(t => { t.classes.ef.sla[0].metric = 'Delay_MS' }, 'classes.ef.sla[0].metric', /Expected string to match/)
  })
  it('a huge noticeMs', () => {
    refused(t => { t.noticeMs = 9_000_000_000_000_000 }, 'noticeMs', /less or equal to 31622400000/)
  })
  it('SLA bands out of order, or mixing upTo and atLeast', () => {
    refused(t => { t.classes.ef.sla[0].bands = [{ upTo: '50', factor: '1' }, { upTo: '20', factor: '0.5' }] }, 'classes.ef.sla[0].bands[1]', /must increase/)
    refused(t => { t.classes.ef.sla[0].bands = [{ upTo: '50', factor: '1' }, { atLeast: '20', factor: '0.5' }] }, 'classes.ef.sla[0].bands', /mixes upTo and atLeast/)
  })
  it('factors above 1 unless the criterion allows a bonus', () => {
    refused(t => { t.classes.ef.sla[0].bands[0].factor = '1.2' }, 'classes.ef.sla[0].bands[0].factor', /bonus/)
    const t = base()
    t.classes.ef.sla[0].bonus = true
    t.classes.ef.sla[0].bands[0].factor = '1.2'
    assert.equal(checkTariffFile(t, names, {}).pricing.classes.ef!.sla![0]!.bonus, true)
  })
  it('a tariff with no classes', () => {
    refused(t => { t.classes = {} }, 'classes', /minProperties|at least 1/)
  })
  it('a class map that is not one-to-one, or names an unpriced class', () => {
    refused(t => { t.classMap = { 'transit-1': { gold: 'ef', silver: 'ef' } } }, 'classMap.12D3KooWHk3DfHRdJ8jJvPZnSKqcYmr2ykxySg5BpYWqtvq3uUYr.silver', /one-to-one/)
    refused(t => { t.classMap = { 'transit-1': { gold: 'zz' } } }, 'classMap.12D3KooWHk3DfHRdJ8jJvPZnSKqcYmr2ykxySg5BpYWqtvq3uUYr.gold', /not a class this tariff prices/)
  })
  it('parse errors name the request or the file the operator gave, never a temp file', async () => {
    await assert.rejects(loadTariffFile({ text: 'currency: [', name: 'tariff (request body)' }, names, {}), (e: unknown) =>
      e instanceof ConfigError && e.field === 'tariff (request body)' && /cannot read tariff/.test(e.problem))
    await assert.rejects(loadTariffFile({ text: stringify({ ...base(), classes: {} }), name: 'tariff (request body)' }, names, {}), (e: unknown) =>
      e instanceof ConfigError && e.field === 'tariff (request body): classes')
  })
})

describe('tariff file: the pricing fields, names resolved to PeerIds', () => {
  it('per-class weights, per-neighbour period fees, bilateral SLAs and class maps', async () => {
    const t = base()
    t.classes.ef.weights = { 'transit-1': { send: '2', receive: '0' }, 'status:customer': { send: '3', receive: '0' } }
    t.classes.ef.messageFee = { fee: '0.01', weighted: true }
    t.periodFee = { 'transit-1': '-25', '*': '10' }
    t.bilateralSla = { 'transit-1': { ef: [{ metric: 'delay_ms', window: 'period', default: '30', bands: [{ upTo: '40', factor: '1' }, { factor: '0.8' }] }] } }
    t.classMap = { 'transit-1': { gold: 'ef' } }
    const { pricing } = await loadTariffFile({ text: stringify(t), name: 'tariff.yaml' }, names, { [PEER]: 'peer' })
    assert.deepEqual(pricing.classes.ef!.weights, { [PEER]: { send: '2', receive: '0' }, 'status:customer': { send: '3', receive: '0' } })
    assert.deepEqual(pricing.periodFee, { [PEER]: '-25', '*': '10' })
    assert.deepEqual(Object.keys(pricing.bilateralSla ?? {}), [PEER])
    assert.deepEqual(pricing.classMap, { [PEER]: { gold: 'ef' } })
    assert.deepEqual(pricing.statuses, { [PEER]: 'peer' })
  })
})
