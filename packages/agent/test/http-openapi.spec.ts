/**
 * The agent's HTTP contract: `/openapi.json` describes every route the server serves, each
 * example and each live answer validates against its schema, writes need the token (401 counted
 * in metrics, cross-site refused), bodies are checked against their schemas, and the statements
 * CSV holds every line of the range.
 */
import assert from 'node:assert/strict'
import type { IncomingMessage } from 'node:http'
import { Value } from '@sinclair/typebox/value'
import type { Identity } from '@splitedge/wire'
import { agentRouteSpecs } from '../src/http/api.js'
import { authorize, type Gate } from '@splitedge/node'
import { HttpError } from '../src/http/errors.js'
import { CSV_COLUMNS, csvCell } from '../src/http/csv.js'
import { createMetrics } from '../src/metrics.js'
import { configFor, makeIdentities, pricing, startAgent, type Running } from './agent-fixtures.js'
import { PERIOD, fillStatements } from './statement-fixtures.js'

const TOKEN = 'test-token-0123456789abcdef'

describe('agent HTTP: OpenAPI, token, schemas, CSV', function () {
  this.timeout(30_000)
  let ids: Identity[]
  let A: Running
  let url = ''
  const post = async (path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number, body: Record<string, unknown> }> => {
    const res = await fetch(url + path, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } })
    return { status: res.status, body: await res.json() as Record<string, unknown> }
  }

  before(async () => {
    ids = await makeIdentities(2)
    const config = configFor(0, ids, [0, 1], [[0, 1]], { intervalMs: 1000, periodIntervals: 2, usage: { source: 'http' } })
    A = await startAgent({ ...config, http: { host: '127.0.0.1', port: 0, token: TOKEN } }, ids[0]!, undefined, { http: true })
    url = A.agent.url!
    await fillStatements(A.store, ids[0]!, ids[1]!, 0, 5)
    await A.agent.tariffs.publishOwn(pricing('0.000001'), 0)
  })
  after(async () => { await A?.agent.stop() })

  it('describes every route served, and every example validates against its answer schema', async () => {
    const doc = await (await fetch(`${url}/openapi.json`)).json() as { openapi: string, paths: Record<string, Record<string, { responses: Record<string, unknown> }>> }
    assert.equal(doc.openapi, '3.1.0')
    const specs = agentRouteSpecs('n0')
    for (const s of specs) {
      assert.ok(doc.paths[s.path]?.[s.method.toLowerCase()] !== undefined, `${s.method} ${s.path} is in /openapi.json`)
      assert.ok(Value.Check(s.response, s.example), `${s.method} ${s.path}: example: ${JSON.stringify([...Value.Errors(s.response, s.example)].slice(0, 2).map(e => `${e.path} ${e.message}`))}`)
    }
    const described = Object.values(doc.paths).reduce((n, p) => n + Object.keys(p).length, 0)
    assert.equal(described, specs.length, 'nothing described twice or left over')
    // The server refuses to start with a route it does not describe (api.ts assertDescribed), so
    // a route added without a description fails every test that starts an agent.
  })

  it('answers every JSON read in the shape it describes', async () => {
    const start = Math.floor(Date.now() / 1000) * 1000
    const query: Record<string, string> = { '/v1/usage': `?neighbour=n1&interval=${start}`, '/v1/intervals': `?neighbour=n1&from=${start - 10_000}&to=${start}`, '/v1/reports': `?neighbour=n1&interval=${start - 5000}` }
    let checked = 0
    for (const s of agentRouteSpecs('n0')) {
      if (s.method !== 'GET' || s.responseType !== undefined || s.path === '/openapi.json') continue
      const res = await fetch(url + s.path + (query[s.path] ?? ''))
      assert.equal(res.status, 200, `${s.path}: ${await res.clone().text()}`)
      const body: unknown = await res.json()
      assert.ok(Value.Check(s.response, body), `${s.path}: ${JSON.stringify([...Value.Errors(s.response, body)].slice(0, 3).map(e => `${e.path} ${e.message}`))}`)
      checked++
    }
    assert.ok(checked >= 12, `${checked} reads checked`)
  })

  it('refuses a write without the right token (401, counted), lets it through with it, and refuses cross-site writes', async () => {
    const item = { neighbour: 'n1', class: 'be', direction: 'out', volume: '1' }
    const none = await post('/v1/usage', item)
    assert.deepEqual([none.status, none.body.code], [401, 'missing-token'])
    assert.match(String(none.body.error), /Authorization: Bearer/)
    const wrong = await post('/v1/usage', item, { authorization: 'Bearer not-the-token-at-all' })
    assert.deepEqual([wrong.status, wrong.body.code], [401, 'wrong-token'])
    const revise = await post('/v1/disputes/revise', { neighbour: 'n1', intervalStart: 0, accept: true })
    assert.equal(revise.status, 401, 'operator writes too')
    const metrics = await (await fetch(`${url}/metrics`)).text()
    assert.match(metrics, /^splitedge_http_unauthorized_total\{reason="missing-token"\} 2$/m)
    assert.match(metrics, /^splitedge_http_unauthorized_total\{reason="wrong-token"\} 1$/m)
    // With the token: past the gate, so the answer is the intake's (200, or a refusal of the figures).
    const ok = await post('/v1/usage', item, { authorization: `Bearer ${TOKEN}` })
    assert.notEqual(ok.status, 401, JSON.stringify(ok.body))
    const forged = await post('/v1/usage', item, { authorization: `Bearer ${TOKEN}`, origin: 'http://evil.example' })
    assert.deepEqual([forged.status, forged.body.code], [403, 'cross-origin'])
    // Reads stay open on loopback.
    assert.equal((await fetch(`${url}/v1/statements`)).status, 200)
  })

  it('needs the token for reads from other hosts, and without a token keeps operator writes to loopback', () => {
    const req = (remoteAddress: string, headers: Record<string, string> = {}): IncomingMessage => ({ socket: { remoteAddress }, headers: { host: 'agent:8080', ...headers } }) as unknown as IncomingMessage
    const specs = new Map(agentRouteSpecs('n0').map(s => [`${s.method} ${s.path}`, s]))
    const read = specs.get('GET /v1/statements')!
    const revise = specs.get('POST /v1/disputes/revise')!
    const push = specs.get('POST /v1/usage')!
    const withToken: Gate = { token: TOKEN, refused: createMetrics().unauthorized }
    assert.throws(() => { authorize(withToken, read, req('10.0.0.7')) }, (e: unknown) => e instanceof HttpError && e.status === 401)
    authorize(withToken, read, req('10.0.0.7', { authorization: `Bearer ${TOKEN}` }))
    authorize(withToken, revise, req('10.0.0.7', { authorization: `Bearer ${TOKEN}`, origin: 'http://agent:8080' }))
    const open: Gate = { token: undefined, refused: createMetrics().unauthorized }
    assert.throws(() => { authorize(open, revise, req('10.0.0.7')) }, (e: unknown) => e instanceof HttpError && e.status === 403)
    authorize(open, revise, req('127.0.0.1'))
    authorize(open, push, req('10.0.0.7'))
  })

  it('checks bodies against their schemas, naming the field', async () => {
    const auth = { authorization: `Bearer ${TOKEN}` }
    const cases: Array<[string, unknown, string]> = [
      ['/v1/usage', { neighbour: 'n1', class: 'be', direction: 'out', volume: '1', colour: 'red' }, '[0].colour'],
      ['/v1/usage', [{ neighbour: 'n1', class: 'be', direction: 'out', volume: '1' }, { neighbour: 'n1', class: 'be', direction: 'in', volume: 'lots' }], '[1].volume'],
      ['/v1/disputes/revise', { neighbour: 'n1', intervalStart: 0, lines: [{ class: 'be', direction: 'up', volume: '1' }] }, 'lines[0].direction'],
      ['/v1/usage/discard', { neighbour: 'n1', intervalStart: 'soon' }, 'intervalStart']
    ]
    for (const [path, body, field] of cases) {
      const r = await post(path, body, auth)
      assert.deepEqual([r.status, r.body.code, r.body.field], [400, 'invalid', field], `${path}: ${JSON.stringify(r.body)}`)
    }
  })

  it('exports every statement line of the range as CSV, one row per line, from our side', async () => {
    const res = await fetch(`${url}/v1/statements.csv?from=${PERIOD}&to=${4 * PERIOD}`)
    assert.equal(res.status, 200)
    assert.match(res.headers.get('content-type') ?? '', /^text\/csv/)
    const rows = (await res.text()).trimEnd().split('\r\n').map(r => r.split(','))
    assert.deepEqual(rows[0], [...CSV_COLUMNS])
    assert.equal(rows.length - 1, 3 * 12, 'periods 1 to 3, twelve lines each')
    const col = (name: string): number => CSV_COLUMNS.indexOf(name as typeof CSV_COLUMNS[number])
    assert.deepEqual([...new Set(rows.slice(1).map(r => Number(r[col('period_start')])))], [PERIOD, 2 * PERIOD, 3 * PERIOD])
    for (const r of rows.slice(1)) {
      const toUs = r[col('to')] === 'n0'
      assert.equal(r[col('net_to_us')], toUs ? r[col('amount')] : `-${r[col('amount')] ?? ''}`.replace(/^--/, ''))
    }
    assert.equal(csvCell('=cmd()'), "'=cmd()")
    assert.equal(csvCell('-0.05'), '-0.05')
    assert.equal(csvCell('a,"b"'), '"a,""b"""')
  })
})
