/**
 * `composeTopology` (packages/cli/src/topology): the shipped example topologies compose, and for
 * any generated topology every border is its own network with exactly its two agents, each
 * agent's neighbours are exactly its borders with inverse statuses, and every agent joins only
 * the networks of its borders (plus its own api network); generated agent and clearer configs pass
 * the agent's and the clearing package's own checks. No docker needed.
 */
import assert from 'node:assert/strict'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import fc from 'fast-check'
import { parse as parseYaml } from 'yaml'
import type * as TopologyModule from '../../packages/cli/dist/src/topology/index.js'
import type { ComposedTopology, GeneratedFile } from '../../packages/cli/dist/src/topology/index.js'
import { REPO, TOPOLOGIES } from './harness.js'

const load = async (): Promise<typeof TopologyModule> =>
  await import(new URL('packages/cli/dist/src/topology/index.js', `file://${REPO}`).href) as typeof TopologyModule

// Deterministic keys: agent name → seed, so runs are reproducible and fast.
const seed = (name: string): Uint8Array => {
  const s = new Uint8Array(32)
  for (let i = 0; i < name.length; i++) s[i % 32] = (s[i % 32] ?? 0) ^ name.charCodeAt(i)
  return s
}

type Status = 'customer' | 'peer' | 'transit'
const inverse = (s: Status): Status => s === 'customer' ? 'transit' : s === 'transit' ? 'customer' : 'peer'

function checkInvariants (c: ComposedTopology, borders: Array<{ a: string, b: string, status: Status }>): void {
  const peerIds = new Set(c.agents.map(a => a.peerId))
  assert.equal(peerIds.size, c.agents.length, 'one PeerId per agent')
  const nets = new Map(c.networks.map(n => [n.name, n]))
  for (const b of borders) {
    const n = c.networks.find(x => x.kind === 'border' && x.members.includes(b.a) && x.members.includes(b.b))
    assert.ok(n !== undefined, `${b.a}/${b.b} has a network`)
    assert.equal(n.members.length, 2)
    assert.equal(n.internal, true)
  }
  for (const a of c.agents) {
    const mine = borders.filter(b => b.a === a.name || b.b === a.name)
    const expected = mine.map(b => b.a === a.name ? { name: b.b, status: b.status } : { name: b.a, status: inverse(b.status) })
    assert.deepEqual(
      a.config.neighbours.map(n => ({ name: n.name, status: n.status })).sort((x, y) => x.name.localeCompare(y.name)),
      expected.sort((x, y) => x.name.localeCompare(y.name)), `${a.name}'s neighbours`)
    for (const n of a.config.neighbours) {
      assert.equal(n.peerId, c.agents.find(x => x.name === n.name)?.peerId, 'neighbour PeerId is that agent\'s')
      assert.deepEqual(n.addrs, [`/dns4/${n.name}/tcp/7000`])
    }
    // The agent's networks are exactly its links and its own api network, and it is a member of each.
    assert.equal(a.networks[0], `api-${a.name}`)
    assert.equal(a.networks.length, 1 + mine.length + c.networks.filter(n => n.kind === 'clearing' && n.members.includes(a.name)).length)
    for (const name of a.networks) assert.ok(nets.get(name)?.members.includes(a.name), `${a.name} in ${name}`)
  }
}

describe('topology compose', function () {
  let topo: typeof TopologyModule
  before(async function () { topo = await load() })

  it('composes every example in docker/topologies', async function () {
    const files = (await readdir(TOPOLOGIES)).filter(f => f.endsWith('.yaml'))
    assert.ok(files.includes('internet6.yaml') && files.includes('ring5.yaml'))
    for (const f of files) {
      const text = await readFile(join(TOPOLOGIES, f), 'utf8')
      const out = await topo.composeTopology(text, { keyFactory: topo.seededKeyFactory(seed) })
      assert.ok(out.ok, `${f}: ${out.ok ? '' : JSON.stringify(out.errors)}`)
      const parsed = topo.parseTopology(text)
      assert.ok(parsed.ok)
      checkInvariants(out.value, parsed.topology.borders)
      const compose = parseYaml(String(out.value.files.find(x => x.path === 'docker-compose.yml')?.content)) as { services: Record<string, { networks: Record<string, unknown>, ports: string[] }> }
      assert.deepEqual(Object.keys(compose.services).sort(), out.value.agents.map(a => a.name).sort())
      const ports = Object.values(compose.services).flatMap(s => s.ports)
      assert.equal(new Set(ports).size, ports.length, 'distinct host ports')
      for (const p of ports) assert.match(p, /^127\.0\.0\.1:\d+:8080$/)
      for (const a of out.value.agents) {
        assert.deepEqual(Object.keys(compose.services[a.name]?.networks ?? {}), a.networks)
        const keyFile: GeneratedFile | undefined = out.value.files.find(x => x.path === `${a.name}/${a.name}.key`)
        assert.equal(keyFile?.mode, 0o600)
      }
    }
  })

  it('writes agent configs and tariffs that the agent itself accepts (checkConfig, checkTariffFile)', async function () {
    const { checkConfig, checkTariffFile } = await import('@splitedge/agent')
    for (const f of (await readdir(TOPOLOGIES)).filter(x => x.endsWith('.yaml'))) {
      const text0 = await readFile(join(TOPOLOGIES, f), 'utf8')
      const out = await topo.composeTopology(text0, { keyFactory: topo.seededKeyFactory(seed) })
      assert.ok(out.ok, f)
      const parsed = topo.parseTopology(text0)
      assert.ok(parsed.ok)
      for (const a of out.value.agents) {
        if (a.role === 'clearer') {
          assert.equal(out.value.files.find(x => x.path === `${a.name}/agent.yaml`), undefined, `${f}: a clearer runs no agent`)
          continue
        }
        const text = out.value.files.find(x => x.path === `${a.name}/agent.yaml`)?.content
        const config = checkConfig(parseYaml(String(text)), '/etc/splitedge')
        assert.equal(config.name, a.name)
        assert.equal(config.keyPath, `/etc/splitedge/${a.name}.key`)
        assert.deepEqual(config.neighbours.map(n => n.peerId).sort(), a.config.neighbours.map(n => n.peerId).sort())
        const tariff: string | Uint8Array | undefined = out.value.files.find(x => x.path === `${a.name}/tariff.yaml`)?.content
        assert.ok(tariff !== undefined, `${f}: ${a.name} has a tariff (every operator but a clearer)`)
        if (tariff === undefined) continue
        const names = new Map(config.neighbours.map(n => [n.name, n.peerId]))
        const t = checkTariffFile(parseYaml(String(tariff)), names, Object.fromEntries(config.neighbours.map(n => [n.peerId, n.status])))
        if (a.role === 'edge' && parsed.topology.operators.find(o => o.name === a.name)?.tariff === undefined) {
          // Edge customers charge nobody: every weight and price is 0, in the neighbours' currency.
          assert.deepEqual(Object.values(t.pricing.weights), [{ send: '0', receive: '0' }])
          for (const c of Object.values(t.pricing.classes)) assert.equal(c.price, '0')
        }
      }
    }
  })

  it('wires the internet6 clearer to the edges it serves, and only them', async function () {
    const out = await topo.composeTopology(await readFile(join(TOPOLOGIES, 'internet6.yaml'), 'utf8'), { keyFactory: topo.seededKeyFactory(seed) })
    assert.ok(out.ok)
    const by = new Map(out.value.agents.map(a => [a.name, a]))
    const clearer = by.get('clearer')
    assert.ok(clearer !== undefined)
    assert.deepEqual(clearer.serves, ['edge-a', 'edge-b'])
    assert.deepEqual(clearer.config.neighbours, [])
    assert.deepEqual(by.get('edge-a')?.config.clearers, [clearer.peerId])
    assert.deepEqual(by.get('peer-1')?.config.clearers, [])
    assert.equal(by.get('peer-2')?.config.neighbours.find(n => n.name === 'backbone')?.tolerance, '0.02')
    assert.equal(by.get('backbone')?.config.neighbours.find(n => n.name === 'peer-1')?.status, 'customer')
    assert.equal(by.get('edge-a')?.config.tariff, '/etc/splitedge/tariff.yaml', 'the edges price their own customers')
    assert.equal(by.get('clearer')?.config.tariff, undefined)
    assert.equal(by.get('peer-1')?.config.tariff, '/etc/splitedge/tariff.yaml')
  })

  it('writes clearer configs that the clearing package itself accepts (checkClearerConfig), and runs `splitedge clearer`', async function () {
    const { checkClearerConfig } = await import('@splitedge/clearing')
    let clearers = 0
    for (const f of (await readdir(TOPOLOGIES)).filter(x => x.endsWith('.yaml'))) {
      const text = await readFile(join(TOPOLOGIES, f), 'utf8')
      const out = await topo.composeTopology(text, { keyFactory: topo.seededKeyFactory(seed) })
      assert.ok(out.ok, f)
      const compose = parseYaml(String(out.value.files.find(x => x.path === 'docker-compose.yml')?.content)) as { services: Record<string, { command: string[] }> }
      const by = new Map(out.value.agents.map(a => [a.name, a]))
      for (const a of out.value.agents) {
        const file: GeneratedFile | undefined = out.value.files.find(x => x.path === `${a.name}/clearer.yaml`)
        assert.equal(file !== undefined, a.role === 'clearer', `${f}: ${a.name} has a clearer config iff it is a clearer`)
        assert.deepEqual(compose.services[a.name]?.command, a.role === 'clearer' ? [...topo.AGENT_CONTRACT.clearerArgs] : [...topo.AGENT_CONTRACT.agentArgs])
        if (file === undefined) continue
        clearers++
        const config = checkClearerConfig(parseYaml(String(file.content)), topo.AGENT_CONTRACT.configDir)
        assert.equal(config.name, a.name)
        assert.equal(config.keyPath, `${topo.AGENT_CONTRACT.configDir}/${a.name}.key`)
        assert.equal(config.dataDir, topo.AGENT_CONTRACT.dataDir)
        assert.deepEqual(config.http, { host: '0.0.0.0', port: topo.AGENT_CONTRACT.httpPort, publicUrl: `http://${a.name}:${topo.AGENT_CONTRACT.httpPort}` })
        assert.deepEqual(config.listen, [`/ip4/0.0.0.0/tcp/${topo.AGENT_CONTRACT.p2pPort}`])
        // Each served operator by its PeerId, dialled by name on the link the two share; each lists
        // this clearer among its clearers.
        assert.deepEqual(config.operators.map(o => o.name), a.serves)
        for (const o of config.operators) {
          const op = by.get(o.name)
          assert.equal(o.peerId, op?.peerId)
          assert.deepEqual(o.addrs, [`/dns4/${o.name}/tcp/${topo.AGENT_CONTRACT.p2pPort}`])
          assert.ok(op?.config.clearers.includes(a.peerId), `${o.name} lists ${a.name} under clearers`)
          const link = out.value.networks.find(n => n.kind === 'clearing' && n.members.includes(a.name) && n.members.includes(o.name))
          assert.ok(link !== undefined && a.networks.includes(link.name) && op?.networks.includes(link.name), `${a.name} and ${o.name} share a link`)
        }
        for (const other of out.value.agents.filter(x => !a.serves.includes(x.name))) assert.ok(!other.config.clearers.includes(a.peerId), `${other.name} does not list ${a.name}`)
        if (f === 'internet6.yaml') {
          assert.deepEqual(config.margin, { percent: '2', fixed: '0.001' })
          assert.equal(config.periodMs, 2000 * 2, 'the agents\' settlement period')
        }
      }
    }
    assert.ok(clearers >= 1, 'some example topology has a clearer')
  })

  it('keeps every border on its own two-member network for random topologies', async function () {
    this.timeout(60_000)
    const statuses: Status[] = ['customer', 'peer', 'transit']
    const arb = fc.integer({ min: 2, max: 8 }).chain(n => fc.record({
      n: fc.constant(n),
      // A spanning chain keeps everyone linked; extra edges add cycles.
      chain: fc.array(fc.constantFrom(...statuses), { minLength: n - 1, maxLength: n - 1 }),
      extra: fc.uniqueArray(fc.tuple(fc.nat(n - 1), fc.nat(n - 1), fc.constantFrom(...statuses)), { selector: ([a, b]) => `${Math.min(a, b)}-${Math.max(a, b)}`, maxLength: 10 })
    }))
    await fc.assert(fc.asyncProperty(arb, async ({ n, chain, extra }) => {
      const names = Array.from({ length: n }, (_, i) => `op-${i}`)
      const borders: Array<{ a: string, b: string, status: Status }> = chain.map((s, i) => ({ a: names[i] ?? '', b: names[i + 1] ?? '', status: s }))
      const key = (a: string, b: string): string => [a, b].sort().join('|')
      const seen = new Set(borders.map(b => key(b.a, b.b)))
      for (const [i, j, s] of extra) {
        const [a, b] = [names[i] ?? '', names[j] ?? '']
        if (a === b || seen.has(key(a, b))) continue
        seen.add(key(a, b))
        borders.push({ a, b, status: s })
      }
      const doc = { name: 'random', operators: Object.fromEntries(names.map(x => [x, { role: 'provider' }])), borders }
      const out = await topo.composeTopology(JSON.stringify(doc), { keyFactory: topo.seededKeyFactory(seed) })
      assert.ok(out.ok, out.ok ? '' : JSON.stringify(out.errors))
      checkInvariants(out.value, borders)
      assert.equal(out.value.networks.filter(x => x.kind === 'border').length, borders.length)
    }), { numRuns: 60 })
  })

  it('rejects bad topologies with typed errors that name the field', async function () {
    const cases: Array<[string, string, string]> = [
      ['name: x\noperators: { a: { role: provider } }\nborders: [ { a: a, b: zz, status: peer } ]', 'unknown-operator', 'borders[0].b'],
      ['name: x\noperators: { a: { role: provider }, b: { role: provider } }\nborders: [ { a: a, b: a, status: peer } ]', 'self-border', 'borders[0]'],
      ['name: x\noperators: { a: { role: provider }, b: { role: provider } }\nborders: [ { a: a, b: b, status: peer }, { a: b, b: a, status: peer } ]', 'duplicate-border', 'borders[1]'],
      ['name: x\noperators: { a: { role: provider }, c: { role: clearer } }\nborders: [ { a: a, b: c, status: peer } ]', 'clearer-on-border', 'borders[0].b'],
      ['name: x\noperators: { a: { role: provider }, b: { role: provider }, c: { role: edge } }\nborders: [ { a: a, b: b, status: peer } ]', 'isolated-operator', 'operators.c'],
      ['name: x\noperators: { A_1: { role: provider } }', 'bad-name', 'operators.A_1'],
      ['name: x\noperators: { a: { role: provider }, b: { role: provider } }\nborders: [ { a: a, b: b, status: friend } ]', 'bad-shape', 'borders[0].status'],
      ['name: x\noperators: { a: { role: edge }, c: { role: clearer } }\nclearing: [ { clearer: c, serves: [a], margin: { percent: "-1" } } ]', 'bad-shape', 'clearing[0].margin'],
      ['name: [unclosed', 'bad-yaml', '(file)']
    ]
    for (const [text, code, field] of cases) {
      const out = await topo.composeTopology(text, { keyFactory: topo.seededKeyFactory(seed) })
      assert.equal(out.ok, false, text)
      if (out.ok) continue
      assert.ok(out.errors.some(e => e.code === code && e.field === field), `${code} at ${field} in ${JSON.stringify(out.errors)}`)
    }
  })

  it('makes real Ed25519 keys whose file content gives back the PeerId', async function () {
    const { privateKeyFromProtobuf } = await import('@libp2p/crypto/keys')
    const { peerIdFromPrivateKey } = await import('@libp2p/peer-id')
    const k = await topo.ed25519KeyFactory('any')
    assert.match(k.peerId, /^12D3KooW/)
    assert.equal(peerIdFromPrivateKey(privateKeyFromProtobuf(k.keyFile)).toString(), k.peerId)
  })
})
