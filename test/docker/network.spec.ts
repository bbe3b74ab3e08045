/**
 * Docker: the agent image on the local Node base, and a topology brought up with one network per
 * border. Checks, at the network level, that neighbours reach each other by name, that
 * non-neighbours can neither resolve nor route to each other, that a border can be cut and
 * healed, and that the host reaches each agent's HTTP API and the healthcheck passes.
 * Skipped without an engine (a failure under CI=true).
 */
import assert from 'node:assert/strict'
import { buildImages, requireDocker, TopologyRun } from './harness.js'

describe('docker: line3 topology (edge-x — hub — edge-y)', function () {
  let run: TopologyRun | undefined

  before(async function () {
    this.timeout(600_000)
    await requireDocker(this)
    const t0 = performance.now()
    const times = await buildImages()
    const t1 = performance.now()
    run = await TopologyRun.up('line3')
    await run.waitHealthy(90_000)
    console.log(`      images: ${times.cached ? 'built earlier in this run' : `base ${(times.baseMs / 1000).toFixed(1)} s, agent ${(times.agentMs / 1000).toFixed(1)} s`}; ` +
      `topology up and healthy ${((performance.now() - t1) / 1000).toFixed(1)} s (build+up ${((performance.now() - t0) / 1000).toFixed(1)} s)`)
  })

  after(async function () {
    this.timeout(120_000)
    await run?.down()
  })

  const up = (): TopologyRun => {
    assert.ok(run !== undefined, 'topology is up')
    return run
  }

  it('joins each agent to exactly its border networks and its own api network', async function () {
    const r = up()
    const byName = new Map(r.agents.map(a => [a.name, a]))
    assert.deepEqual(byName.get('hub')?.networks.slice().sort(), ['api-hub', 'edge-x--hub', 'edge-y--hub'])
    assert.deepEqual(byName.get('edge-x')?.networks.slice().sort(), ['api-edge-x', 'edge-x--hub'])
    assert.deepEqual(byName.get('edge-y')?.networks.slice().sort(), ['api-edge-y', 'edge-y--hub'])
  })

  it('reports every container healthy through the image healthcheck', async function () {
    const r = up()
    for (const a of r.agents) assert.equal(await r.health(a.name), 'healthy', a.name)
  })

  it('serves /health to the host on each agent\'s 127.0.0.1 port', async function () {
    const r = up()
    for (const a of r.agents) {
      const { status, body } = await r.getJson(a.name, '/health')
      assert.equal(status, 200, a.name)
      assert.equal((body as { ok?: unknown }).ok, true, a.name)
    }
  })

  it('lets neighbours reach each other by name on their border network', async function () {
    this.timeout(60_000)
    const r = up()
    for (const [from, to] of [['edge-x', 'hub'], ['hub', 'edge-x'], ['edge-y', 'hub'], ['hub', 'edge-y']] as const) {
      assert.equal(await r.probe(from, to), 'connected', `${from} -> ${to}`)
    }
  })

  it('keeps non-neighbours apart: the name does not resolve and the address does not route', async function () {
    this.timeout(60_000)
    const r = up()
    assert.equal(await r.probe('edge-x', 'edge-y'), 'no-name')
    assert.equal(await r.probe('edge-y', 'edge-x'), 'no-name')
    const yAddr = await r.address('edge-y', 'edge-y--hub')
    assert.match(yAddr, /^\d+\.\d+\.\d+\.\d+$/)
    assert.equal(await r.probe('edge-x', yAddr), 'unreachable')
    // ...while the hub, which shares that network, reaches the same address.
    assert.equal(await r.probe('hub', yAddr), 'connected')
  })

  it('cuts a border with network disconnect and heals it with connect', async function () {
    this.timeout(60_000)
    const r = up()
    await r.cut('edge-x', 'hub')
    try {
      assert.notEqual(await r.probe('hub', 'edge-x'), 'connected')
      assert.notEqual(await r.probe('edge-x', 'hub'), 'connected')
      assert.equal(await r.probe('hub', 'edge-y'), 'connected', 'the other border is untouched')
    } finally {
      await r.heal('edge-x', 'hub')
    }
    assert.equal(await r.probe('hub', 'edge-x'), 'connected')
    assert.equal(await r.probe('edge-x', 'hub'), 'connected')
  })
})
