/**
 * `splitedge simulate`, run as a user would: the built bin under the project's Node, asserting on
 * stdout, stderr and the exit code.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../../../../', import.meta.url))
const bin = join(root, 'packages/cli/bin/splitedge.js')
const examples = join(root, 'examples/scenarios')

function run (args: string[], input?: string): { code: number | null, stdout: string, stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', input: input ?? '' })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

const good = {
  decimals: 2,
  networks: [{ id: 'A', role: 'provider' }, { id: 'B', role: 'provider' }, { id: 'ca', role: 'edge' }],
  prices: { A: { be: '1' }, B: { be: '2' } },
  weights: { A: { '*': { send: '1', receive: '1' } }, B: { A: { send: '1', receive: '0.5' } } },
  flows: [{ path: ['ca', 'A', 'B'], class: 'be', volume: '10' }]
}

describe('splitedge simulate', () => {
  let dir: string
  before(() => { dir = mkdtempSync(join(tmpdir(), 'splitedge-cli-')) })
  after(() => rmSync(dir, { recursive: true, force: true }))
  const file = (name: string, content: string): string => {
    const p = join(dir, name)
    writeFileSync(p, content)
    return p
  }

  // One test per example file (each spawns the CLI): the 22 Table B.1 cases, the unequal-price
  // cases and the format-2 examples, each against its hand-derived .expected.json.
  const cases = readdirSync(examples).filter(f => f.endsWith('.json') && !f.endsWith('.expected.json')).sort()
  it('has every Table B.1 case: 11 rows x (d=1, d=0), plus unequal provider prices', () => {
    const b1 = cases.filter(f => /^table-b1-.*-d[01]\.json$/.test(f) && !f.includes('unequal'))
    assert.equal(b1.length, 22)
    assert.ok(cases.some(f => f.includes('unequal-prices')))
  })
  for (const f of cases) {
    it(`prints the hand-derived output for ${f}`, () => {
      const r = run(['simulate', join(examples, f)])
      assert.equal(r.stderr, '', f)
      assert.equal(r.code, 0, f)
      assert.equal(r.stdout, readFileSync(join(examples, f.replace(/\.json$/, '.expected.json')), 'utf8'), f)
    })
  }

  it('reads stdin for -, and gives the same bytes every time', () => {
    const text = JSON.stringify(good)
    const a = run(['simulate', '-'], text)
    assert.equal(a.code, 0, a.stderr)
    // net(ca→A) = 10·1·1 = 10; net(A→B) = 10(1·2 − 1·1) = 10
    assert.deepEqual(JSON.parse(a.stdout), {
      surplus: { A: '0.00', B: '10.00', ca: '-10.00' },
      borders: [{ from: 'A', to: 'B', class: 'be', net: '10.00' }, { from: 'ca', to: 'A', class: 'be', net: '10.00' }]
    })
    assert.equal(run(['simulate', file('good.json', text)]).stdout, a.stdout)
  })

  const bad: Array<[string, unknown, RegExp]> = [
    ['unknown network in a path', { ...good, flows: [{ path: ['ca', 'A', 'Nowhere'], class: 'be', volume: '1' }] }, /^flows\[0\]\.path\[2\]: unknown network "Nowhere"$/],
    ['negative volume', { ...good, flows: [good.flows[0], { path: ['A', 'B'], class: 'be', volume: '-1' }] }, /^flows\[1\]\.volume: must be a non-negative decimal string, got "-1"$/],
    ['non-numeric volume', { ...good, flows: [{ path: ['A', 'B'], class: 'be', volume: 'ten' }] }, /^flows\[0\]\.volume: /],
    ['numeric (not string) volume', { ...good, flows: [{ path: ['A', 'B'], class: 'be', volume: 10 }] }, /^flows\[0\]\.volume: .*got 10$/],
    ['malformed decimal price', { ...good, prices: { A: { be: '1e2' } } }, /^prices\.A\.be: malformed decimal "1e2"$/],
    ['malformed weight', { ...good, weights: { A: { B: { send: ' 1' } } } }, /^weights\.A\.B\.send: malformed decimal/],
    ['unknown class in a flow', { ...good, flows: [{ path: ['A', 'B'], class: 'ef', volume: '1' }] }, /^flows\[0\]\.class: unknown class "ef"/],
    ['unknown class in sla', { ...good, sla: { B: { ef: [] } } }, /^sla\.B\.ef: unknown class "ef"/],
    ['unknown class in measured', { ...good, measured: { B: { ef: { delay_ms: '1' } } } }, /^measured\.B\.ef: unknown class "ef"/],
    ['unknown network in prices', { ...good, prices: { Q: { be: '1' } } }, /^prices\.Q: unknown network "Q"$/],
    ['missing measurement', { ...good, sla: { B: { be: [{ metric: 'loss_pct', bands: [{ factor: '1' }] }] } } }, /^measured\.B\.be\.loss_pct: not measured/]
  ]
  for (const [name, scenario, message] of bad) {
    it(`rejects ${name} with one line naming the field, exit 1`, () => {
      const r = run(['simulate', file('bad.json', JSON.stringify(scenario))])
      assert.equal(r.code, 1)
      assert.equal(r.stdout, '')
      const lines = r.stderr.split('\n')
      assert.equal(lines.length, 2, r.stderr) // one line and its newline
      assert.ok(lines[0]!.startsWith('splitedge simulate: '), r.stderr)
      assert.match(lines[0]!.slice('splitedge simulate: '.length), message)
    })
  }

  it('rejects a JSON syntax error with the file named, exit 1, no stack trace', () => {
    const p = file('syntax.json', '{ "decimals": 2,\n  "networks": [ }')
    const r = run(['simulate', p])
    assert.equal(r.code, 1)
    assert.match(r.stderr, /^splitedge simulate: .*syntax\.json: invalid JSON: .*not valid JSON\n$/)
    assert.equal(r.stderr.split('\n').length, 2)
    assert.doesNotMatch(r.stderr, /\n\s+at /)
  })

  it('rejects an unreadable file with exit 1 and a usage error with exit 2', () => {
    const missing = run(['simulate', join(dir, 'nope.json')])
    assert.equal(missing.code, 1)
    assert.match(missing.stderr, /nope\.json: cannot read \(ENOENT\)\n$/)
    const usage = run(['simulate'])
    assert.equal(usage.code, 2)
    assert.match(usage.stderr, /missing required argument 'file'/)
  })
})
