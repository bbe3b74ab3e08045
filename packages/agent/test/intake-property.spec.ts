/**
 * The intake's promise as a property: whatever mix of concurrent pushes, retries with the same id,
 * closes of intervals (reports sealing their counters) and crashes (the store closed under load,
 * then reopened), the total counted per interval, class and direction equals the total of the
 * pushes that were acknowledged, each counted once. Real UsageSource and store over memory-level;
 * seeded, so a failure replays.
 */
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { MemoryLevel } from 'memory-level'
import { pino } from 'pino'
import { openStore, type Store } from '@splitedge/store'
import { UsageSource } from '../src/usage/source.js'
import { UsageError } from '../src/usage/push.js'
import type { Neighbour } from '../src/config/load.js'

const ME = '12D3KooWMe'
const PEER = '12D3KooWPeer'
const INTERVAL = 1000
const neighbours = new Map<string, Neighbour>([[PEER, { name: 'p', peerId: PEER, addrs: [], status: 'peer', tolerance: '0.01' }]])

type Op =
  | { k: 'push', interval: number, cls: 'be' | 'ef', dir: 'in' | 'out', volume: number }
  | { k: 'retry', of: number }
  | { k: 'close', interval: number }
  | { k: 'crash' }

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ k: fc.constant('push' as const), interval: fc.integer({ min: 0, max: 2 }), cls: fc.constantFrom('be' as const, 'ef' as const), dir: fc.constantFrom('in' as const, 'out' as const), volume: fc.integer({ min: 0, max: 1000 }) }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('retry' as const), of: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('close' as const), interval: fc.integer({ min: 0, max: 2 }) }) },
  { weight: 1, arbitrary: fc.constant({ k: 'crash' as const }) }
)

function source (store: Store): UsageSource {
  return new UsageSource({
    config: { intervalMs: INTERVAL, clockSkewMs: 0, usage: { source: 'http' } },
    me: ME, store, neighbours, clock: { now: () => 10 * INTERVAL }, log: pino({ level: 'silent' }),
    since: async () => 0,
    priced: async () => ({ classes: new Set(['be', 'ef']), unit: 'octet' }),
    classesFor: async () => []
  })
}

/** A stand-in signer: the report's bytes are its lines as JSON. */
const close = async (usage: UsageSource, start: number): Promise<void> => {
  await usage.closeInto(PEER, start, async (m) => {
    const bytes = new TextEncoder().encode(JSON.stringify(m.lines))
    return { id: `report-${start}-${bytes.length}-${m.lines.length}`, bytes }
  }, (bytes) => ({ id: 'held', bytes }))
}

async function counted (store: Store, usage: UsageSource, start: number): Promise<Map<string, number>> {
  const out = new Map<string, number>()
  const report = await store.getReport(`${ME}|${PEER}`, start, ME)
  const lines = report !== undefined
    ? JSON.parse(new TextDecoder().decode(report.bytes)) as Array<{ class: string, from: string, volume: string }>
    : Object.values((await usage.counters(PEER, start)).lines)
  for (const l of lines) out.set(`${start}|${l.class}|${l.from === ME ? 'out' : 'in'}`, Number(l.volume))
  return out
}

describe('intake property: counted = acknowledged, per interval, class and direction', function () {
  this.timeout(120_000)

  it('holds under concurrent pushes, retries, closes and crashes (seeded)', async () => {
    await fc.assert(fc.asyncProperty(fc.array(op, { minLength: 5, maxLength: 60 }), async (ops) => {
      const db = new MemoryLevel<string, Uint8Array>({ valueEncoding: 'view' })
      let store = await openStore({ db })
      let usage = source(store)
      const pushes: Array<{ id: string, body: Record<string, unknown> }> = []
      const acked = new Map<string, { key: string, volume: number }>()
      const send = async (p: { id: string, body: Record<string, unknown> }): Promise<void> => {
        try {
          await usage.push(p.body)
          acked.set(p.id, { key: `${String(p.body.intervalStart)}|${String(p.body.class)}|${String(p.body.direction)}`, volume: Number(p.body.volume) })
        } catch (err) {
          // Refused (interval closed) or the store closed under it by a crash: not acknowledged.
          if (!(err instanceof UsageError) && !/closed/.test((err as Error).message)) throw err
        }
      }
      // Ops run four at a time; a crash closes the store while the others of its group are in flight.
      for (let i = 0; i < ops.length; i += 4) {
        const group = ops.slice(i, i + 4)
        await Promise.all(group.map(async (o) => {
          if (o.k === 'push') {
            const p = { id: `p${pushes.length}`, body: { neighbour: PEER, intervalStart: o.interval * INTERVAL, class: o.cls, direction: o.dir, volume: String(o.volume), id: `p${pushes.length}` } }
            pushes.push(p)
            await send(p)
          } else if (o.k === 'retry') {
            const p = pushes[o.of % Math.max(1, pushes.length)]
            if (p !== undefined) await send(p)
          } else if (o.k === 'close') {
            await close(usage, o.interval * INTERVAL).catch((err: Error) => { if (!/closed/.test(err.message)) throw err })
          } else {
            await store.close()
          }
        }))
        if (group.some(o => o.k === 'crash')) { store = await openStore({ db }); usage = source(store) }
      }
      const expected = new Map<string, number>()
      for (const a of acked.values()) expected.set(a.key, (expected.get(a.key) ?? 0) + a.volume)
      const got = new Map<string, number>()
      for (const s of [0, 1, 2]) for (const [k, v] of await counted(store, usage, s * INTERVAL)) if (v !== 0 || expected.has(k)) got.set(k, v)
      for (const [k, v] of expected) if (v === 0 && !got.has(k)) got.set(k, 0)
      assert.deepEqual(Object.fromEntries([...got].sort()), Object.fromEntries([...expected].sort()))
      await store.close()
    }), { seed: 20261130, numRuns: 80 })
  })
})
