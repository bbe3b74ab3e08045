/**
 * `splitedge usage push|show|discard` against a running agent: a counter pushed twice with the same
 * id, or a file pushed twice, is counted once; `show` prints the interval's counters; `discard`
 * drops them before the interval is reported.
 */
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'mocha'
import { freePort, getJson, killAll, runCli, spawnAgent, tempDir, waitFor, writeNetwork, type AgentFiles } from './helpers.js'

const INTERVAL = 20_000

describe('splitedge usage push, show and discard', function () {
  this.timeout(120_000)
  let tmp: { dir: string, remove: () => Promise<void> }
  let fa: AgentFiles
  let start = 0
  before(async () => {
    tmp = await tempDir('splitedge-cli-usage-')
    const nodes = [{ name: 'a', p2p: await freePort(), http: await freePort() }, { name: 'b', p2p: await freePort(), http: await freePort() }]
    fa = (await writeNetwork(tmp.dir, nodes, [[0, 1]], { intervalMs: INTERVAL, graceMs: 1000, periodIntervals: 2, seed: 'cli', prices: ['0.000002'], usage: { source: 'http' } }))[0]!
    const agent = spawnAgent(fa)
    await waitFor('the agent answers /health', async () => (await getJson(`${fa.http}/health`)) !== undefined, 20_000, () => agent.tail())
    // The border's first interval starts at the next interval boundary: push into it once it is open.
    start = ((await getJson<Array<{ since: number }>>(`${fa.http}/v1/neighbours`)) ?? [])[0]!.since
    await new Promise(resolve => setTimeout(resolve, Math.max(0, start - Date.now() + 20)))
  })
  after(async () => { await killAll(); await tmp?.remove() })

  const cli = async (...args: string[]): Promise<string> => {
    const r = await runCli([...args, '--url', fa.http])
    assert.equal(r.code, 0, r.stderr)
    return r.stdout
  }

  it('counts a retried counter and a re-pushed file once, shows them, and discards a class', async () => {
    const one = ['usage', 'push', '-n', 'b', '--class', 'be', '--direction', 'out', '--volume', '1500', '--interval', String(start), '--id', 'r1:seq:9']
    assert.equal(await cli(...one), 'accepted 1\n')
    assert.equal(await cli(...one), 'accepted 0, 1 already counted\n')
    const file = join(tmp.dir, 'pushes.jsonl')
    await writeFile(file, [
      JSON.stringify({ neighbour: 'b', intervalStart: start, class: 'be', direction: 'in', volume: '700' }),
      JSON.stringify({ neighbour: 'b', intervalStart: start, class: 'be', direction: 'in', volume: '300' })
    ].join('\n') + '\n')
    assert.equal(await cli('usage', 'push', '-f', file), 'accepted 2\n')
    assert.match(await cli('usage', 'push', '-f', file), /^already pushed: this request was counted before/)
    const shown = JSON.parse(await cli('usage', 'show', '-n', 'b', '--interval', String(start), '--json')) as { state: string, lines: Array<{ class: string, direction: string, volume: string }> }
    assert.equal(shown.state, 'open')
    assert.deepEqual(shown.lines.map(l => `${l.class} ${l.direction} ${l.volume}`).sort(), ['be in 1000', 'be out 1500'])
    assert.equal(await cli('usage', 'discard', '-n', 'b', '--interval', String(start), '--class', 'be'), 'discarded 2 counters\n')
    const after = JSON.parse(await cli('usage', 'show', '-n', 'b', '--interval', String(start), '--json')) as { lines: unknown[] }
    assert.deepEqual(after.lines, [])
    // A refused push exits non-zero with the agent's reason.
    const bad = await runCli(['usage', 'push', '-n', 'b', '--class', 'nope', '--direction', 'out', '--volume', '1', '--url', fa.http])
    assert.notEqual(bad.code, 0)
    assert.match(bad.stderr, /422.*nope.*priced by neither tariff/)
  })
})
