/**
 * The file usage source: a CSV or JSONL file of counters is imported once (a restart does not count
 * it twice), and a bad file stops the agent's start with an error naming the line, storing nothing
 * and leaving no node running.
 */
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MemoryLevel } from 'memory-level'
import { type Identity } from '@splitedge/wire'
import { configFor, makeIdentities, startAgent, freePorts } from './agent-fixtures.js'

// Ports are chosen free when the tests start (see freePorts).
const PORTS: number[] = []
const INTERVAL = 60_000
const START = 1_700_000_040_000 // a multiple of INTERVAL
// The agent's clock stands at START: the border's first interval is START, so the file's rows count.
const now = (): number => START
const TARIFF = 'currency: EUR\ndecimals: 6\nunit: octet\nnoticeMs: 0\nclasses:\n  be: { mode: unicast, quality: BE, price: "0.000001" }\n  ef: { mode: unicast, quality: EF, price: "0.000003" }\nweights:\n  "*": { send: "1", receive: "1" }\n'

describe('agent: usage from a file', function () {
  this.timeout(30_000)
  let dir = ''
  let ids: Identity[]
  let tariff = ''
  before(async () => { PORTS.push(...await freePorts(2)) })
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'splitedge-usage-file-'))
    ids = await makeIdentities(2)
    tariff = join(dir, 'tariff.yaml')
    await writeFile(tariff, TARIFF)
  })
  after(async () => { await rm(dir, { recursive: true, force: true }) })

  const config = (path: string): ReturnType<typeof configFor> =>
    configFor(0, ids, PORTS, [[0, 1]], { intervalMs: INTERVAL, periodIntervals: 2, usage: { source: 'file', path }, tariff })

  it('imports a CSV once: counters are summed exactly, and a restart does not count them again', async () => {
    const path = join(dir, 'usage.csv')
    await writeFile(path, [
      'neighbour,intervalStart,class,direction,volume,messages',
      `n1,${START},be,out,1000,3`,
      `n1,${START},be,out,24,1`,
      `n1,${START},ef,in,7,`,
      ''
    ].join('\n'))
    const db = new MemoryLevel<string, Uint8Array>({ valueEncoding: 'view' })
    const me = ids[0]!.peerId
    const peer = ids[1]!.peerId
    const expected = [
      { class: 'be', from: me, to: peer, volume: '1024', messages: '4' },
      { class: 'ef', from: peer, to: me, volume: '7' }
    ]
    const first = await startAgent(config(path), ids[0]!, db, { now })
    assert.deepEqual((await first.agent.usage.measure(peer, START)).lines, expected)
    await first.agent.stop()
    const again = await startAgent(config(path), ids[0]!, db, { now })
    assert.deepEqual((await again.agent.usage.measure(peer, START)).lines, expected, 'not imported twice')
    await again.agent.stop()
  })

  it('imports JSONL', async () => {
    const path = join(dir, 'usage.jsonl')
    await writeFile(path, `{"neighbour":"n1","intervalStart":${START},"class":"be","direction":"in","volume":"42"}\n`)
    const r = await startAgent(config(path), ids[0]!, undefined, { now })
    assert.deepEqual((await r.agent.usage.measure(ids[1]!.peerId, START)).lines, [{ class: 'be', from: ids[1]!.peerId, to: ids[0]!.peerId, volume: '42' }])
    await r.agent.stop()
  })

  it('refuses a CSV without the needed columns, naming the file and line', async () => {
    const path = join(dir, 'bad-header.csv')
    await writeFile(path, 'neighbour,class,volume\nn1,be,5\n')
    await assert.rejects(startAgent(config(path), ids[0]!, undefined, { now }), (err: Error) => err.message.includes(`${path}:1`) && err.message.includes('direction'))
  })

  it('refuses a file with a bad row as a whole, storing nothing, and leaves no node running', async () => {
    const path = join(dir, 'bad-row.csv')
    await writeFile(path, `neighbour,intervalStart,class,direction,volume\nn1,${START},be,out,10\nn1,${START},be,out,-3\n`)
    const db = new MemoryLevel<string, Uint8Array>({ valueEncoding: 'view' })
    await assert.rejects(startAgent(config(path), ids[0]!, db, { now }), (err: Error) => err.message.includes('[1].volume'))
    // The port is free again (the failed start stopped its node), and the good row was not kept.
    const ok = join(dir, 'empty.jsonl')
    await writeFile(ok, '')
    const r = await startAgent(config(ok), ids[0]!, db, { now })
    assert.deepEqual((await r.agent.usage.measure(ids[1]!.peerId, START)).lines, [])
    await r.agent.stop()
  })
})
