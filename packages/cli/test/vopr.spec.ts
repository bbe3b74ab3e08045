/** `splitedge vopr` from the command line: a JSON last line, exit 0 only when ok, a replay command on failure. */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { resolve } from 'node:path'

const BIN = resolve(fileURLToPath(import.meta.url), '../../../bin/splitedge.js')
const run = (...args: string[]) => spawnSync(process.execPath, [BIN, 'vopr', ...args], { encoding: 'utf8', timeout: 120_000 })

describe('splitedge vopr', function () {
  this.timeout(240_000)

  it('passes seed 1 and ends with one JSON line; exit 0', () => {
    const r = run('--seed', '1', '--intervals', '12')
    assert.equal(r.status, 0, r.stderr)
    const last = JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as { seed: number, ok: boolean, agents: number, borders: number, intervals: number, events: number, faults: object, violations: unknown[], events_per_s: number }
    assert.deepEqual([last.seed, last.ok, last.agents, last.intervals, last.violations], [1, true, 4, 12, []])
    assert.ok(last.events > 0 && last.events_per_s > 0 && last.borders === 4)
    assert.match(r.stderr, /vopr seed 1: \d+% of virtual time/)
  })

  it('lists the breaks, and a break fails with exit 1 and the command that replays it', () => {
    const list = run('--list-breaks')
    assert.deepEqual(list.stdout.trim().split('\n'), ['ack-before-sync', 'post-twice', 'settle-partial', 'attest-higher', 'ignore-equivocation'])
    const r = run('--seed', '1', '--intervals', '12', '--break', 'post-twice')
    assert.equal(r.status, 1)
    assert.match(r.stderr, /violation \[conservation\]/)
    assert.match(r.stderr, /replay: npx splitedge vopr --seed 1 --agents 4 --intervals 12 --break post-twice/)
    assert.equal((JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as { ok: boolean }).ok, false)
  })

  it('refuses an unknown fault or break with one line', () => {
    const r = run('--faults', 'meteor')
    assert.notEqual(r.status, 0)
    assert.match(r.stderr, /--faults: unknown fault "meteor"/)
  })
})
