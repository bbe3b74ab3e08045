import assert from 'node:assert/strict'
import { ConfigError } from '@splitedge/agent'
import { checkClearerConfig } from '../src/index.js'

const OP = '12D3KooWAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'
const base = { name: 'c', key: 'k.key', dataDir: 'data', listen: ['/ip4/127.0.0.1/tcp/0'], operators: [{ name: 'A', peerId: OP, addrs: ['/ip4/127.0.0.1/tcp/1'] }] }

describe('clearing: config', () => {
  it('fills defaults and resolves paths against the file\'s directory', () => {
    const c = checkClearerConfig(base, '/etc/splitedge')
    assert.equal(c.keyPath, '/etc/splitedge/k.key')
    assert.equal(c.dataDir, '/etc/splitedge/data')
    assert.deepEqual(c.margin, { percent: '0', fixed: '0' })
    assert.equal(c.periodMs, 3_600_000)
    assert.equal(c.graceMs, 360_000)
    assert.equal(c.transport, 'tcp')
  })

  it('names the field of each problem', () => {
    const field = (raw: unknown): string => { try { checkClearerConfig(raw, '/'); return 'none' } catch (e) { assert.ok(e instanceof ConfigError); return e.field } }
    assert.equal(field({ ...base, operators: [{ ...base.operators[0], peerId: 'nope' }] }), 'operators[0].peerId')
    assert.equal(field({ ...base, margin: { percent: '-1', fixed: '0' } }), 'margin.percent')
    assert.equal(field({ ...base, operators: [base.operators[0], { ...base.operators[0], name: 'B' }] }), 'operators[1].peerId')
    assert.equal(field({ ...base, extra: 1 }), 'extra')
    assert.equal(field([]), '(top level)')
  })
})
