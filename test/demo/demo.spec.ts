/**
 * The main job (`npm start` → `splitedge demo`) as a test: five agent processes settle, the demo
 * exits 0, and report.json checks out against the model independently of the demo's own check.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { add, dec, isZero, simulate, ZERO } from '@splitedge/model'

const BIN = fileURLToPath(new URL('../../../packages/cli/bin/splitedge.js', import.meta.url))

interface Line { kind: string, class: string | null, from: string, to: string, volume: string, tariffs: Record<string, string>, factors: Record<string, string>, amount: string, note?: string }
interface Report {
  networks: Record<string, string>
  periods: Array<{ scenario: { format: number, networks: Array<{ id: string }> }, statements: Array<{ border: [string, string], id: string, lines: Line[] }>, statementIds: string[] }>
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
    // Writes need the token on every node; the demo's own writes (a tariff change, the clearing flow) sent it.
    const tokenFile = join(dir, 'http.token')
    assert.ok(stdout.includes(`write token (paste it into a dashboard's Token box to act): ${tokenFile}`), 'the token file is printed with the dashboards')
    assert.equal((await stat(tokenFile)).mode & 0o777, 0o600)
    assert.ok((await readFile(tokenFile, 'utf8')).trim().length >= 32)
    for (const node of ['edge-a', 'edge-b', 'transit-1', 'transit-2', 'backbone', 'clearer']) {
      assert.match(await readFile(join(dir, `${node}.yaml`), 'utf8'), /tokenFile: http\.token/, `${node} needs the token for writes`)
    }

    const report = JSON.parse(await readFile(join(dir, 'report.json'), 'utf8')) as Report
    assert.equal(Object.keys(report.networks).length, 5)
    assert.equal(report.periods.length, 2)
    const all: Line[] = []
    for (const p of report.periods) {
      assert.equal(p.statementIds.length, 5, 'one co-signed statement per border')
      assert.equal(p.scenario.format, 2)
      const out = JSON.parse(simulate(JSON.stringify(p.scenario))) as { surplus: Record<string, string>, statements: Array<{ parties: string[], lines: Line[] }> }
      const key = (l: Line): string => JSON.stringify([l.kind, l.class, l.from, l.to, l.volume, Object.entries(l.tariffs).sort(), Object.entries(l.factors).sort(), l.amount, l.note ?? null])
      for (const st of p.statements) {
        const sim = out.statements.find(x => x.parties.includes(st.border[0]) && x.parties.includes(st.border[1]))
        assert.deepEqual((sim?.lines ?? []).map(key).sort(), st.lines.map(key).sort(), `every line of ${st.border.join('-')}`)
        all.push(...st.lines)
      }
      // Conservation over the co-signed lines: what each network receives sums to zero.
      const received = new Map<string, ReturnType<typeof dec>>()
      for (const s of p.statements.flatMap(x => x.lines)) {
        received.set(s.to, add(received.get(s.to) ?? ZERO, dec(s.amount)))
        received.set(s.from, add(received.get(s.from) ?? ZERO, dec(s.amount.startsWith('-') ? s.amount.slice(1) : `-${s.amount}`)))
      }
      assert.ok(isZero([...received.values()].reduce((a, b) => add(a, b), ZERO)), 'money is conserved')
      assert.ok(p.statements.flatMap(x => x.lines).length >= 10, 'both classes in both directions on several borders')
    }
    // The kinds of line the demo promises: a negative period fee, a message fee, SLA-adjusted lines
    // that differ between the backbone's two borders, a per-class weight and a tariff change mid-period.
    assert.ok(all.some(l => l.kind === 'period-fee' && l.amount.startsWith('-')), 'a negative period fee')
    // transit-1's flat fee per ef message, on messages the synthetic source counts.
    assert.ok(all.some(l => l.kind === 'message-fee' && l.class === 'ef' && !isZero(dec(l.volume)) && !isZero(dec(l.amount))), 'a message-fee line')
    assert.match(stdout, /exactly \([^)]*\b[1-9][0-9]* message-fee\b/)
    const backboneEf = (t: string): Set<string> => new Set(all.filter(l => l.class === 'ef' && l.kind === 'usage' && [l.from, l.to].includes('backbone') && [l.from, l.to].includes(t)).map(l => l.factors.backbone ?? ''))
    assert.notDeepEqual(backboneEf('transit-1'), backboneEf('transit-2'), 'the backbone is judged differently on its two borders')
    assert.ok(new Set(all.filter(l => l.kind === 'usage' && (l.from === 'transit-2' || l.to === 'transit-2')).map(l => l.tariffs['transit-2'])).size > 1, 'transit-2 changed its tariff inside a reported period')
  })
})
