import assert from 'node:assert/strict'
describe('smoke', () => { it('runs on node 24', () => { assert.match(process.version, /^v24\./) }) })
