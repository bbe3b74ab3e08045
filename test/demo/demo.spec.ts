/**
 * The main job (`npm start` → `splitedge demo`) as a test: five agent processes settle, the demo
 * exits 0, and report.json checks out against the model independently of the demo's own check.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { add, dec, isZero, simulate, ZERO } from '@splitedge/model'

const BIN = fileURLToPath(new URL('../../../packages/cli/bin/splitedge.js', import.meta.url))

interface Report {
  networks: Record<string, string>
  periods: Array<{ scenario: { networks: Array<{ id: string }> }, statements: Array<{ from: string, to: string, class: string, net: string }>, statementIds: string[] }>
}

describe('main job: splitedge demo', function () {
  this.timeout(120_000)
  let dir = ''
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'splitedge-demo-test-')) })
  after(async () => { await rm(dir, { recursive: true, force: true }) })

  it('settles every border, prints the tables and writes a report that the model reproduces', async () => {
    const child = spawn(process.execPath, [BIN, 'demo', '--dir', dir, '--interval-ms', '1000', '--period-intervals', '2', '--periods', '2', '--timeout', '100'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    const code = await new Promise<number | null>(resolve => child.once('exit', resolve))
    assert.equal(code, 0, `demo failed: ${stderr}\n${stdout}`)
    assert.match(stdout, /complete periods per border/)
    assert.match(stdout, /Co-signed settlements/)
    assert.match(stdout, /Brokerage view/)
    assert.match(stdout, /quote: \d+ of be, sender pays all/)
    assert.match(stdout, /settled: the receiver's operator co-signed a clearing statement/)
    assert.match(stdout, /reproduces all \d+ statement lines of 2 periods exactly/)

    const report = JSON.parse(await readFile(join(dir, 'report.json'), 'utf8')) as Report
    assert.equal(Object.keys(report.networks).length, 5)
    assert.equal(report.periods.length, 2)
    for (const p of report.periods) {
      assert.equal(p.statementIds.length, 5, 'one co-signed statement per border')
      const out = JSON.parse(simulate(JSON.stringify(p.scenario))) as { surplus: Record<string, string>, borders: Array<{ from: string, to: string, class: string, net: string }> }
      const key = (l: { from: string, to: string, class: string }): string => `${l.from}>${l.to}/${l.class}`
      assert.deepEqual(new Map(out.borders.map(b => [key(b), b.net])), new Map(p.statements.map(s => [key(s), s.net])))
      // Conservation over the co-signed lines: what each network receives sums to zero.
      const received = new Map<string, ReturnType<typeof dec>>()
      for (const s of p.statements) {
        received.set(s.to, add(received.get(s.to) ?? ZERO, dec(s.net)))
        received.set(s.from, add(received.get(s.from) ?? ZERO, dec(s.net.startsWith('-') ? s.net.slice(1) : `-${s.net}`)))
      }
      assert.ok(isZero([...received.values()].reduce((a, b) => add(a, b), ZERO)), 'money is conserved')
      assert.ok(p.statements.length >= 10, 'both classes in both directions on several borders')
    }
  })
})
