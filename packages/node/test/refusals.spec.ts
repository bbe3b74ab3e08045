import assert from 'node:assert/strict'
import { REFUSALS, isRefusal } from '@splitedge/wire'
import { HTTP_STATUS, HttpError, answerHttp, ConfigError } from '../src/index.js'

describe('refusals: one vocabulary, one status table', () => {
  it('every code is kebab-case, described, and has an HTTP status of an error', () => {
    for (const [code, what] of Object.entries(REFUSALS)) {
      assert.match(code, /^[a-z]+(-[a-z0-9]+)*$/, code)
      assert.ok(what.length > 10, `${code} is described`)
      assert.ok(isRefusal(code))
      const status = HTTP_STATUS[code as keyof typeof HTTP_STATUS]
      assert.ok(status >= 400 && status < 600, `${code} → ${status}`)
    }
    assert.deepEqual(Object.keys(HTTP_STATUS).sort(), Object.keys(REFUSALS).sort())
  })

  it('answers any error that carries a refusal code through the table, and nothing else', () => {
    class DomainError extends Error { constructor (readonly code: string, readonly field: string) { super('no') } }
    assert.deepEqual(answerHttp(new DomainError('interval-closed', 'items[0].time')), { status: 409, body: { error: 'no', code: 'interval-closed', field: 'items[0].time' } })
    assert.deepEqual(answerHttp(new HttpError('oversize', 'too big')), { status: 413, body: { error: 'too big', code: 'oversize' } })
    assert.equal(answerHttp(new HttpError('not-found', 'x'))?.status, 404)
    assert.deepEqual(answerHttp(new ConfigError('tariff.classes', 'missing')), { status: 400, body: { error: 'tariff.classes: missing', code: 'invalid', field: 'tariff.classes' } })
    assert.equal(answerHttp(new DomainError('not_a_code', 'f')), undefined, 'an unknown code is an internal error, not a refusal')
    assert.equal(answerHttp(new Error('boom')), undefined)
  })
})
