/**
 * The intake's concurrency guarantees against real agent processes over HTTP: parallel pushes are
 * all counted and attested on both sides, and a kill -9 in the middle of a stream of pushes loses
 * nothing that was acknowledged and counts nothing twice once the client retries with the same ids.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'mocha'
import { freePort, getJson, killAll, spawnAgent, stopAgent, tempDir, waitFor, writeNetwork, type AgentFiles, type AgentProcess } from './helpers.js'

const INTERVAL = 8000

interface Attestation { neighbour: string, intervalStart: number, lines: Array<{ class: string, volume: string }> }
interface UsageView { lines: Array<{ class: string, direction: string, volume: string }> }

async function push (url: string, body: unknown): Promise<number> {
  try {
    const res = await fetch(`${url}/v1/usage`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' }, signal: AbortSignal.timeout(10_000) })
    await res.arrayBuffer()
    return res.status
  } catch {
    return 0 // no answer: not acknowledged
  }
}

async function pool<T> (items: T[], width: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0
  await Promise.all(Array.from({ length: width }, async () => { while (next < items.length) await fn(items[next++] as T) }))
}

describe('real agents: concurrent and retried pushes over HTTP', function () {
  this.timeout(120_000)
  let tmp: { dir: string, remove: () => Promise<void> }
  let files: AgentFiles[]
  const procs: AgentProcess[] = []

  before(async () => {
    tmp = await tempDir('splitedge-intake-')
    const nodes = [{ name: 'a', p2p: await freePort(), http: await freePort() }, { name: 'b', p2p: await freePort(), http: await freePort() }]
    files = await writeNetwork(tmp.dir, nodes, [[0, 1]], { intervalMs: INTERVAL, graceMs: 1500, periodIntervals: 2, seed: 'intake', prices: ['0.000002', '0.000001'], usage: { source: 'http' } })
    for (const f of files) procs.push(spawnAgent(f))
    await waitFor('both agents answer', async () => (await getJson(`${files[0]!.http}/health`)) !== undefined && (await getJson(`${files[1]!.http}/health`)) !== undefined, 30_000, () => procs.map(p => p.tail()).join('\n'))
  })
  after(async () => { await killAll(); await tmp?.remove() })

  /** The first interval both agents settle, once it is open for pushes. */
  async function openInterval (): Promise<number> {
    const since = async (f: AgentFiles): Promise<number> => ((await getJson<Array<{ since: number }>>(`${f.http}/v1/neighbours`)) ?? [])[0]?.since ?? Infinity
    const s = Math.max(await since(files[0]!), await since(files[1]!))
    const start = Math.max(s, Math.floor(Date.now() / INTERVAL) * INTERVAL)
    // Wait for the start of a fresh interval: the pushes below need most of one.
    const at = Date.now() > start + 500 ? start + INTERVAL : start
    await new Promise(resolve => setTimeout(resolve, Math.max(0, at - Date.now() + 50)))
    return at
  }

  it('counts 200 parallel pushes on each side, and both attest 200', async () => {
    const start = await openInterval()
    const statuses = await Promise.all([
      ...Array.from({ length: 200 }, async () => await push(files[0]!.http, { neighbour: 'b', intervalStart: start, class: 'be', direction: 'out', volume: '1' })),
      ...Array.from({ length: 200 }, async () => await push(files[1]!.http, { neighbour: 'a', intervalStart: start, class: 'be', direction: 'in', volume: '1' }))
    ])
    assert.deepEqual(new Set(statuses), new Set([200]))
    await waitFor('the interval is attested on both sides', async () => {
      const got = await Promise.all(files.map(async f => (await getJson<Attestation[]>(`${f.http}/v1/attestations`)) ?? []))
      return got.every(list => list.some(a => a.intervalStart === start))
    }, 40_000, () => procs.map(p => p.tail()).join('\n'))
    for (const f of files) {
      const a = ((await getJson<Attestation[]>(`${f.http}/v1/attestations`)) ?? []).find(x => x.intervalStart === start)
      assert.equal(a?.lines.find(l => l.class === 'be')?.volume, '200', `${f.name} attests every acknowledged push`)
    }
  })

  it('loses nothing acknowledged across a kill -9, and retries with the same ids count once', async () => {
    // With b stopped, a cannot report the interval, so it stays open however long the test takes.
    await stopAgent(procs[1]!)
    const start = Math.floor(Date.now() / INTERVAL) * INTERVAL
    const ids = Array.from({ length: 150 }, (_, i) => `meter-7:${start}:${i}`)
    const acked = new Set<string>()
    let killed = false
    await pool(ids, 8, async (id) => {
      const status = await push(files[0]!.http, { neighbour: 'b', intervalStart: start, class: 'be', direction: 'out', volume: '2', id })
      if (status === 200) acked.add(id)
      if (acked.size >= 50 && !killed) { killed = true; procs[0]!.kill9() }
    })
    assert.ok(killed && acked.size >= 50 && acked.size < 150, `killed after ${acked.size} acknowledgements`)
    await procs[0]!.exited
    procs[0] = spawnAgent(files[0]!)
    await waitFor('a answers again', async () => (await getJson(`${files[0]!.http}/health`)) !== undefined, 30_000, () => procs[0]!.tail())
    const usage = async (): Promise<string | undefined> => (await getJson<UsageView>(`${files[0]!.http}/v1/usage?neighbour=b&interval=${start}`))?.lines.find(l => l.class === 'be' && l.direction === 'out')?.volume
    assert.ok(Number(await usage()) >= 2 * acked.size, 'every acknowledged push survived the kill')
    // The client retries everything with the same ids: the acknowledged ones are duplicates.
    await pool(ids, 8, async (id) => { assert.equal(await push(files[0]!.http, { neighbour: 'b', intervalStart: start, class: 'be', direction: 'out', volume: '2', id }), 200) })
    assert.equal(await usage(), '300', 'each of the 150 pushes counted once')
    await stopAgent(procs[0]!)
  })
})
