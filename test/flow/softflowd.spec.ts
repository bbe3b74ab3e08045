/**
 * The flow collector against a real exporter: Debian's softflowd replays a pcap of known traffic
 * (DSCP-marked IPv4 and IPv6 TCP and UDP flows between configured prefixes, across interval
 * boundaries) as IPFIX and as NetFlow v9 to `splitedge agent` processes. The agent's counters must
 * equal, exactly, the totals this test computes from the pcap itself, per neighbour, class,
 * direction and interval; then two agents, each fed by its own exporter, settle a period on a
 * co-signed statement whose volumes are the traffic's.
 *
 * softflowd runs with `-a`: its clock follows the pcap's timestamps, as a router's follows its
 * traffic. Without it softflowd stamps flows relative to its own start on the wall clock, and
 * NetFlow v9's header carries that clock in whole seconds: the flows would move by up to a second
 * (a millisecond for IPFIX), which a pro-rata split across a boundary shows.
 *
 * Without softflowd the tests skip with a message, except under CI=true, where they fail
 * (.ci/run installs it).
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { stringify } from 'yaml'
import { generateKeyFile, type Identity } from '@splitedge/wire'
import { getJson, killAll, runCli, spawnAgent, stopAgent, tempDir, waitFor, type AgentFiles, type AgentProcess } from '../agent/helpers.js'
import { expectedCounters, makeFlows, unattributed, writePcap, type Border, type Flow } from './traffic.js'

const SOFTFLOWD = ['/usr/sbin/softflowd', '/usr/bin/softflowd', '/usr/local/sbin/softflowd'].find(p => existsSync(p))

const A_NET = ['192.0.2.0/24', '2001:db8:1::/48']
const B_NET = ['198.51.100.0/24', '2001:db8:100::/48']
const C_NET = ['203.0.113.0/24', '2001:db8:200::/48']
const CLASSES: Record<string, string> = { 46: 'ef', 34: 'af41', 10: 'af11', '*': 'be' }

/**
 * The flows as softflowd 1.1.0 reports them: on a little-endian host it masks the IPv6 traffic
 * class with a byte-swapped constant (softflowd.c, ipv6_to_flowrec), so IPv6 flows always arrive
 * with ipClassOfService 0. The expected totals follow the exporter; the decoder's own IPv6 DSCP
 * handling is covered by the encoder round trips (packages/agent/test/flow-decode.spec.ts).
 */
const asExported = (flows: Flow[]): Flow[] => flows.map(f => f.v6 ? { ...f, dscp: 0 } : f)

interface UsageShown { neighbour: string, unit: string, intervalStart: number, reported: boolean, lines: Array<{ class: string, direction: string, volume: string, octets?: number, packets?: number, records?: number }> }

async function metric (url: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const res = await fetch(`${url}/metrics`)
  const text = await res.text()
  let sum = 0
  for (const line of text.split('\n')) {
    if (!line.startsWith(name + '{') && !line.startsWith(name + ' ')) continue
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) sum += Number(line.slice(line.lastIndexOf(' ') + 1))
  }
  return sum
}

async function replay (pcap: string, version: 9 | 10, port: number): Promise<string> {
  return await new Promise((resolve, reject) => {
    // -r runs in the foreground without a control socket (giving -c would add one, which softflowd
    // 1.1.0 then polls with an uninitialised pollfd in pcap mode, and may block accepting on it).
    const args = ['-r', pcap, '-v', String(version), '-n', `127.0.0.1:${port}`, '-a']
    const child = spawn(SOFTFLOWD as string, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (c: Buffer) => { out += c.toString() })
    child.stderr.on('data', (c: Buffer) => { out += c.toString() })
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`softflowd did not finish:\n${out}`)) }, 30_000)
    child.once('exit', (code) => {
      clearTimeout(timer)
      if (code === 0) resolve(out)
      else reject(new Error(`softflowd exited ${String(code)}:\n${out}`))
    })
  })
}

interface AgentSpec { name: string, p2p: number, http: number, udp: number, unit: 'octet' | 'packet', borders: Record<string, string[]>, neighbours: Array<{ name: string, identity: Identity, p2p: number }> }

async function writeAgent (dir: string, s: AgentSpec, identity: Identity, interval: { lengthMs: number, graceMs: number, periodIntervals: number }): Promise<AgentFiles> {
  await writeFile(join(dir, `${s.name}-tariff.yaml`), stringify({
    currency: 'EUR', decimals: 6, unit: s.unit,
    classes: Object.fromEntries(['be', 'ef', 'af41', 'af11'].map((c, i) => [c, { mode: 'unicast', quality: c.toUpperCase(), price: `0.00000${i + 1}` }])),
    weights: { '*': { send: '1', receive: '0.5' } }
  }))
  const config = join(dir, `${s.name}.yaml`)
  await writeFile(config, stringify({
    name: s.name, key: `${s.name}.key`, dataDir: `${s.name}-data`,
    listen: [`/ip4/127.0.0.1/tcp/${s.p2p}`], http: { host: '127.0.0.1', port: s.http }, tariff: `${s.name}-tariff.yaml`,
    interval: { lengthMs: interval.lengthMs, graceMs: interval.graceMs }, settlement: { periodIntervals: interval.periodIntervals }, clockSkewMs: 2000,
    usage: {
      source: 'ipfix', listen: `127.0.0.1:${s.udp}`, exporters: ['127.0.0.1'], sampling: 'auto', classes: CLASSES,
      borders: Object.fromEntries(Object.entries(s.borders).map(([n, prefixes]) => [n, { prefixes }])),
      syncMs: 200
    },
    neighbours: s.neighbours.map(n => ({ name: n.name, peerId: n.identity.peerId, addrs: [`/ip4/127.0.0.1/tcp/${n.p2p}`], status: 'peer' })),
    logLevel: 'info'
  }))
  return { name: s.name, identity, config, dataDir: join(dir, `${s.name}-data`), http: `http://127.0.0.1:${s.http}` }
}

const healthy = async (f: AgentFiles): Promise<boolean> => (await getJson<{ ok: boolean }>(`${f.http}/health`))?.ok === true

describe('flow collector: a real exporter (softflowd) to splitedge agents', function () {
  this.timeout(240_000)
  let tmp: { dir: string, remove: () => Promise<void> } | undefined
  before(function () {
    if (SOFTFLOWD !== undefined) return
    if (process.env.CI === 'true') throw new Error('softflowd is not installed; under CI it must be (.ci/run installs Debian\'s softflowd)')
    console.log('      skipped: softflowd is not installed (apt-get install softflowd)')
    this.skip()
  })
  beforeEach(async () => { tmp = await tempDir('splitedge-softflowd-') })
  afterEach(async () => {
    await killAll()
    await tmp?.remove()
  })

  for (const [version, unit, base] of [[10, 'octet', 47650], [9, 'packet', 47660]] as const) {
    it(`counts exactly the traffic of the pcap from ${version === 10 ? 'IPFIX' : 'NetFlow v9'} (${unit}s), per neighbour, class, direction and interval`, async () => {
      const dir = (tmp as { dir: string }).dir
      const I = 10_000
      const ids = await Promise.all(['a', 'b', 'c'].map(async n => await generateKeyFile(join(dir, `${n}.key`))))
      const fa = await writeAgent(dir, {
        name: 'a', p2p: base, http: base + 1, udp: base + 2, unit,
        borders: { b: B_NET, c: C_NET },
        // Never started: nothing is reported, so no record is late whatever the pcap's times.
        neighbours: [{ name: 'b', identity: ids[1] as Identity, p2p: base + 3 }, { name: 'c', identity: ids[2] as Identity, p2p: base + 4 }]
      }, ids[0] as Identity, { lengthMs: I, graceMs: 1000, periodIntervals: 2 })
      const A = spawnAgent(fa)
      await waitFor('agent a healthy', async () => await healthy(fa), 20_000, () => A.tail())

      // Three intervals of traffic that ended a little while ago; the last packet on a whole second.
      const t0 = Math.floor(Date.now() / I) * I - 5 * I
      const UNKNOWN = ['100.64.0.0/24', '2001:db8:999::/48']
      const flows = makeFlows(version, [[A_NET, B_NET], [B_NET, A_NET], [A_NET, C_NET], [C_NET, A_NET], [B_NET, C_NET], [C_NET, B_NET], [A_NET, UNKNOWN], [UNKNOWN, A_NET]], 160, t0 + 137, t0 + 3 * I - 2000)
      flows.push({ v6: false, proto: 'udp', src: '100.64.0.1', dst: '100.64.0.2', sport: 9, dport: 9, dscp: 0, packets: [{ t: t0 + 3 * I, payload: 1 }] })
      const pcap = join(dir, 'traffic.pcap')
      await writePcap(pcap, flows)
      const borders: Border[] = [{ name: 'b', prefixes: B_NET }, { name: 'c', prefixes: C_NET }]
      const exported = asExported(flows)
      const expected = expectedCounters(exported, borders, CLASSES, I, unit)
      assert.ok([...expected.keys()].some(k => k.includes('|ef|')) && [...expected.keys()].some(k => k.includes('|af41|')), 'the traffic covers several classes')

      const out = await replay(pcap, version, base + 2)
      assert.match(out, new RegExp(`Flows exported: ${flows.length} \\(${flows.length} records\\)`), out)
      await waitFor('every record counted', async () => await metric(fa.http, 'splitedge_ipfix_records_total', { exporter: '127.0.0.1' }) >= flows.length, 15_000, () => A.tail())

      const actual = new Map<string, number>()
      for (const n of ['b', 'c']) {
        for (let s = t0; s <= t0 + 3 * I; s += I) {
          const u = await getJson<UsageShown>(`${fa.http}/v1/usage?neighbour=${n}&interval=${s}`)
          assert.ok(u !== undefined)
          assert.equal(u.unit, unit)
          assert.equal(u.reported, false)
          for (const l of u.lines) actual.set(`${n}|${l.class}|${l.direction}|${s}`, Number(l.volume))
        }
      }
      const sorted = (m: Map<string, number>): Array<[string, number]> => [...m].filter(([, v]) => v !== 0).sort((x, y) => x[0] < y[0] ? -1 : 1)
      assert.deepEqual(sorted(actual), sorted(expected))
      assert.ok(expected.size >= 20, `a rich enough check (${expected.size} counters)`)

      const metrics = fa.http
      assert.equal(await metric(metrics, 'splitedge_ipfix_unattributed_total', { exporter: '127.0.0.1' }), unattributed(exported, borders))
      assert.equal(await metric(metrics, 'splitedge_ipfix_lost_total'), 0)
      assert.equal(await metric(metrics, 'splitedge_ipfix_malformed_total'), 0)
      assert.equal(await metric(metrics, 'splitedge_ipfix_late_total'), 0)
      assert.ok(await metric(metrics, 'splitedge_ipfix_templates_total', { exporter: '127.0.0.1' }) >= 4)
      assert.ok(await metric(metrics, 'splitedge_ipfix_packets_total', { exporter: '127.0.0.1' }) >= 1)

      // The same figures from the command line.
      const busy = [...expected.keys()].find(k => k.startsWith('b|')) as string
      const start = busy.split('|')[3] as string
      const cli = await runCli(['usage', 'show', '--url', fa.http, '--neighbour', 'b', '--interval', start])
      assert.equal(cli.code, 0, cli.stderr)
      assert.match(cli.stdout, new RegExp(`unit ${unit}, not reported yet`))
      for (const [k, v] of expected) {
        const [n, cls, dir2, s] = k.split('|')
        if (n === 'b' && s === start) assert.match(cli.stdout, new RegExp(`^${cls} +${dir2} +${v} `, 'm'), cli.stdout)
      }
      const json = await runCli(['usage', 'show', '--url', fa.http, '--neighbour', 'b', '--interval', start, '--json'])
      assert.deepEqual((JSON.parse(json.stdout) as UsageShown).lines, (await getJson<UsageShown>(`${fa.http}/v1/usage?neighbour=b&interval=${start}`))?.lines)
      assert.equal(await stopAgent(A), 0, A.tail())
    })
  }

  it('two agents, each fed by its own exporter (IPFIX and NetFlow v9), settle on the traffic\'s volumes', async () => {
    const dir = (tmp as { dir: string }).dir
    const I = 8000
    const GRACE = 6000
    const ids = await Promise.all(['a', 'b'].map(async n => await generateKeyFile(join(dir, `${n}.key`))))
    const ports = { a: 47670, b: 47680 }
    const fa = await writeAgent(dir, { name: 'a', p2p: ports.a, http: ports.a + 1, udp: ports.a + 2, unit: 'octet', borders: { b: B_NET }, neighbours: [{ name: 'b', identity: ids[1] as Identity, p2p: ports.b }] }, ids[0] as Identity, { lengthMs: I, graceMs: GRACE, periodIntervals: 2 })
    const fb = await writeAgent(dir, { name: 'b', p2p: ports.b, http: ports.b + 1, udp: ports.b + 2, unit: 'octet', borders: { a: A_NET }, neighbours: [{ name: 'a', identity: ids[0] as Identity, p2p: ports.a }] }, ids[1] as Identity, { lengthMs: I, graceMs: GRACE, periodIntervals: 2 })
    const procs: AgentProcess[] = [spawnAgent(fa), spawnAgent(fb)]
    const diag = (): string => procs.map((p, i) => `--- ${i === 0 ? 'a' : 'b'}\n${p.tail(25)}`).join('\n')
    await waitFor('both agents healthy and connected', async () => {
      for (const f of [fa, fb]) {
        const h = await getJson<{ ok: boolean, neighboursConnected: number }>(`${f.http}/health`)
        if (h?.neighboursConnected !== 1) return false
      }
      return true
    }, 30_000, diag)
    // The first interval both agents settle.
    let since = 0
    for (const f of [fa, fb]) for (const n of await getJson<Array<{ since: number }>>(`${f.http}/v1/neighbours`) ?? []) since = Math.max(since, n.since)
    assert.ok(since > 0)

    // Traffic in the first two intervals, crossing the boundary between them; it has all happened
    // (last packet on a whole second) before either exporter sends it, and reaches the agents
    // before the first interval is reported (its end plus the grace).
    const last = since + I + 2000
    const flows = makeFlows(7, [[A_NET, B_NET], [B_NET, A_NET]], 60, since + 200, last - 1)
    flows.push({ v6: false, proto: 'udp', src: '192.0.2.1', dst: '198.51.100.1', sport: 7, dport: 7, dscp: 0, packets: [{ t: last, payload: 10 }] })
    const pcap = join(dir, 'border.pcap')
    await writePcap(pcap, flows)
    const exported = asExported(flows)
    const fromA = expectedCounters(exported, [{ name: 'b', prefixes: B_NET }], CLASSES, I, 'octet')
    const fromB = expectedCounters(exported, [{ name: 'a', prefixes: A_NET }], CLASSES, I, 'octet')
    // Both sides see the same traffic: a's out is b's in.
    const totals = new Map<string, number>()
    for (const [k, v] of fromA) {
      const [, cls, dirn] = k.split('|')
      const key = `${cls}|${dirn === 'out' ? 'a>b' : 'b>a'}`
      totals.set(key, (totals.get(key) ?? 0) + v)
    }
    let fromBTotal = 0
    for (const v of fromB.values()) fromBTotal += v
    assert.equal(fromBTotal, [...totals.values()].reduce((s, v) => s + v, 0))

    const wait = last + 200 - Date.now()
    if (wait > 0) await new Promise(resolve => setTimeout(resolve, wait))
    await Promise.all([replay(pcap, 10, ports.a + 2), replay(pcap, 9, ports.b + 2)])
    assert.ok(Date.now() < since + I + GRACE, `the traffic reached the agents before the first interval was reported (${since + I + GRACE - Date.now()} ms to spare)`)

    // Settled: a co-signed statement for every period holding the traffic's intervals, on both sides.
    const P = 2 * I
    const periods = [...new Set([since, since + I].map(s => Math.floor(s / P) * P))]
    interface StatementView { id: string, period: { start: number }, lines: Array<{ kind: string, class: string, from: string, to: string, volume: string }> }
    const statements = async (f: AgentFiles): Promise<StatementView[]> => (await getJson<StatementView[]>(`${f.http}/v1/statements`) ?? []).filter(s => periods.includes(s.period.start))
    await waitFor('co-signed statements for the traffic\'s periods on both sides', async () => (await statements(fa)).length === periods.length && (await statements(fb)).length === periods.length, 90_000, diag)
    const sa = await statements(fa)
    const sb = await statements(fb)
    assert.deepEqual(sa.map(s => s.id).sort(), sb.map(s => s.id).sort(), 'the same co-signed documents')
    const settled = new Map<string, number>()
    for (const s of sa) {
      for (const l of s.lines) {
        if (l.kind !== 'usage') continue
        const key = `${l.class}|${l.from}>${l.to}`
        settled.set(key, (settled.get(key) ?? 0) + Number(l.volume))
      }
    }
    const sorted = (m: Map<string, number>): Array<[string, number]> => [...m].filter(([, v]) => v !== 0).sort((x, y) => x[0] < y[0] ? -1 : 1)
    assert.deepEqual(sorted(settled), sorted(totals))
    for (const f of [fa, fb]) assert.equal(await metric(f.http, 'splitedge_ipfix_late_total'), 0)
    for (const p of procs) assert.equal(await stopAgent(p), 0, p.tail())
  })
})
