/**
 * The operator's command line around an agent: a bad config stops `splitedge agent` with one line
 * naming the field and the fix; `tariff publish` signs and publishes through a running agent's
 * API and `tariff show` shows the result.
 */
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { stringify } from 'yaml'
import { getJson, killAll, runCli, spawnAgent, stopAgent, tempDir, waitFor, writeNetwork, type AgentFiles, freePort } from './helpers.js'

describe('splitedge CLI with an agent', function () {
  this.timeout(60_000)
  let tmp: { dir: string, remove: () => Promise<void> } | undefined
  before(async () => { tmp = await tempDir('splitedge-cli-') })
  after(async () => {
    await killAll()
    await tmp?.remove()
  })

  const good = {
    name: 'a',
    key: 'a.key',
    dataDir: 'a-data',
    listen: ['/ip4/127.0.0.1/tcp/47490'],
    neighbours: [{ name: 'b', peerId: '12D3KooWRHj2zBrpbJFifWi1nqiUnaaMQxtALnasFeEXU5EcLtH5', addrs: ['/ip4/127.0.0.1/tcp/47491'], status: 'peer' }]
  }

  const cases: Array<[string, unknown, RegExp]> = [
    ['an unknown top-level field', { ...good, intervall: { lengthMs: 1000 } }, /^splitedge: intervall: Unexpected property.*\(fix: remove it or use one of: .*interval/],
    ['a misspelt neighbour field', { ...good, neighbours: [{ ...good.neighbours[0], tolerence: '0.1' }] }, /^splitedge: neighbours\[0\]\.tolerence: .*\(fix: .*tolerance/],
    ['a bad PeerId', { ...good, neighbours: [{ ...good.neighbours[0], peerId: '12D3KooWthisisnotapeeridthisisnotapeeridxxxxxx' }] }, /^splitedge: neighbours\[0\]\.peerId: not a PeerId.*\(fix: copy the PeerId printed by `splitedge keygen`/],
    ['a wrong type', { ...good, listen: '/ip4/127.0.0.1/tcp/1' }, /^splitedge: listen: .*\(fix: libp2p listen multiaddrs\)/]
  ]
  for (const [what, config, expected] of cases) {
    it(`agent --config with ${what} exits non-zero with one line naming the field and the fix`, async () => {
      const file = join(tmp!.dir, 'bad.yaml')
      await writeFile(file, stringify(config))
      const r = await runCli(['agent', '--config', file])
      assert.notEqual(r.code, 0)
      const lines = r.stderr.trimEnd().split('\n')
      assert.equal(lines.length, 1, r.stderr)
      assert.match(lines[0] ?? '', expected)
    })
  }

  it('agent --config with a missing file exits non-zero with one line naming it and the fix', async () => {
    const r = await runCli(['agent', '--config', join(tmp!.dir, 'nowhere.yaml')])
    assert.notEqual(r.code, 0)
    assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr)
    assert.match(r.stderr, /nowhere\.yaml: cannot read config file: .*ENOENT.*\(fix: check the path/)
  })

  it('tariff publish reaches a running agent and tariff show shows it', async () => {
    const [fa] = await writeNetwork(tmp!.dir, [{ name: 'solo', p2p: await freePort(), http: await freePort() }], [], {
      intervalMs: 1000, graceMs: 100, periodIntervals: 2, seed: 'cli', prices: ['0.000002']
    }) as [AgentFiles]
    const agent = spawnAgent(fa)
    await waitFor('the agent answers /health', async () => (await getJson(`${fa.http}/health`)) !== undefined, 15_000, () => agent.tail())
    // The agent published its config's tariff at start as version 1.
    const file = join(tmp!.dir, 'new-tariff.yaml')
    await writeFile(file, stringify({
      currency: 'EUR', decimals: 6, unit: 'octet', noticeMs: 0,
      classes: { be: { mode: 'unicast', quality: 'BE', price: '0.000007' } },
      weights: { '*': { send: '1', receive: '1' } }
    }))
    const pub = await runCli(['tariff', 'publish', file, '--url', fa.http])
    assert.equal(pub.code, 0, pub.stderr)
    assert.match(pub.stdout, /^published version 2 bafyrei[a-z2-7]+\n$/)
    const again = await runCli(['tariff', 'publish', file, '--config', fa.config])
    assert.equal(again.code, 0, again.stderr)
    assert.match(again.stdout, /^unchanged: current version 2 /)
    const show = await runCli(['tariff', 'show', '--url', fa.http])
    assert.equal(show.code, 0, show.stderr)
    const book = JSON.parse(show.stdout) as Array<{ issuer: string, seq: number, pricing: { classes: Record<string, { price: string }> } }>
    const v2 = book.find(t => t.seq === 2)
    assert.ok(v2, show.stdout)
    assert.equal(v2.issuer, 'solo')
    assert.equal(v2.pricing.classes.be?.price, '0.000007')
    // A bad tariff file is refused before anything is sent, naming the field.
    await writeFile(file, stringify({ currency: 'euro', decimals: 6, unit: 'octet', classes: {}, weights: {} }))
    const bad = await runCli(['tariff', 'publish', file, '--url', fa.http])
    assert.notEqual(bad.code, 0)
    assert.match(bad.stderr, /currency/)
    assert.equal(await stopAgent(agent), 0)
  })
})
