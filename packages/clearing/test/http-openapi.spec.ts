/**
 * The clearer's HTTP contract: `/openapi.json` describes every route, examples validate against
 * their schemas, bodies are checked against their schemas, and with a token every write needs it.
 */
import assert from 'node:assert/strict'
import { Value } from '@sinclair/typebox/value'
import type { Clearer } from '../src/clearer.js'
import { clearerRouteSpecs } from '../src/http-routes.js'
import { clearerConfig, identities, startClearer } from './fixtures.js'

const TOKEN = 'clearer-token-0123456789abcdef'

describe('clearer HTTP: OpenAPI, token, schemas', function () {
  this.timeout(20_000)
  let c: Clearer
  let url = ''
  before(async () => {
    const [me, op] = await identities(2)
    c = await startClearer(clearerConfig(0, [{ name: 'isp-a', peerId: op!.peerId, port: 1 }], { http: { host: '127.0.0.1', port: 0, token: TOKEN } }), me!, { http: true })
    url = c.url!
  })
  after(async () => { await c?.stop() })

  it('describes every route, and every example validates against its answer schema', async () => {
    const doc = await (await fetch(`${url}/openapi.json`)).json() as { paths: Record<string, Record<string, unknown>> }
    const specs = clearerRouteSpecs('clearer')
    for (const s of specs) {
      assert.ok(doc.paths[s.path]?.[s.method.toLowerCase()] !== undefined, `${s.method} ${s.path} described`)
      assert.ok(Value.Check(s.response, s.example), `${s.method} ${s.path}: example does not validate`)
    }
    for (const s of specs.filter(x => x.method === 'GET' && x.responseType === undefined && x.query === undefined && x.path !== '/openapi.json')) {
      const body: unknown = await (await fetch(url + s.path)).json()
      assert.ok(Value.Check(s.response, body), `${s.path}: ${JSON.stringify(body).slice(0, 200)}`)
    }
  })

  it('refuses writes without the token (401) and checks bodies against their schemas', async () => {
    const postJson = async (path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number, body: Record<string, unknown> }> => {
      const res = await fetch(url + path, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } })
      return { status: res.status, body: await res.json() as Record<string, unknown> }
    }
    assert.deepEqual((await postJson('/v1/settle', {})).status, 401)
    assert.deepEqual((await postJson('/v1/quotes', {}, { authorization: 'Bearer wrong-token-wrong-token' })).body.code, 'wrong-token')
    const bad = await postJson('/v1/quotes', { ends: [], class: 'be', volume: '1', apportion: { kind: 'sender-pays' } }, { authorization: `Bearer ${TOKEN}` })
    assert.deepEqual([bad.status, bad.body.code, bad.body.field], [400, 'invalid', 'ends'])
    assert.equal((await postJson('/v1/settle', {}, { authorization: `Bearer ${TOKEN}` })).status, 200)
    assert.match(await (await fetch(`${url}/metrics`)).text(), /^splitedge_http_unauthorized_total\{reason="missing-token"\} 1$/m)
  })
})
