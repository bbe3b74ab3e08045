/**
 * Starting an agent: a bad config is one line naming the field and the fix, a store that belongs to
 * another key or is held by another process says so, and a start that fails leaves nothing running
 * (no port held, the store closed).
 */
import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { openStore, StoreError } from '@splitedge/store'
import type { Identity } from '@splitedge/wire'
import { Agent } from '../src/agent.js'
import { ConfigError } from '../src/config/load.js'
import { configFor, makeIdentities, freePort } from './agent-fixtures.js'

const silent = pino({ level: 'silent' })


/** Can we bind the port now? (A half-started agent would still hold it.) */
async function bindable (port: number): Promise<boolean> {
  const s = createServer()
  const ok = await new Promise<boolean>(resolve => { s.once('error', () => resolve(false)); s.listen(port, '127.0.0.1', () => resolve(true)) })
  if (ok) await new Promise<void>(resolve => s.close(() => resolve()))
  return ok
}

describe('agent: start-up checks', function () {
  this.timeout(30_000)
  let ids: Identity[]
  let dir = ''
  before(async () => { ids = await makeIdentities(3); dir = await mkdtemp(join(tmpdir(), 'splitedge-start-')) })
  after(async () => { await rm(dir, { recursive: true, force: true }) })

  const base = (): Record<string, unknown> => ({
    name: 'a', key: 'a.key', dataDir: 'data', listen: ['/ip4/127.0.0.1/tcp/0'],
    neighbours: [{ name: 'b', peerId: ids[1]!.peerId, addrs: ['/ip4/127.0.0.1/tcp/1'], status: 'peer' }]
  })

  it('refuses a neighbour address that is not a multiaddr, naming the field', async () => {
    const { checkConfig } = await import('../src/config/load.js')
    const raw = base()
    ;(raw.neighbours as Array<Record<string, unknown>>)[0]!.addrs = ['not-a-multiaddr']
    assert.throws(() => checkConfig(raw, dir), (e: unknown) => e instanceof ConfigError && e.field === 'neighbours[0].addrs[0]' && /not a multiaddr/.test(e.message) && /fix:/.test(e.message))
  })

  it('refuses a tolerance above 100 % and a listen address that is not a multiaddr', async () => {
    const { checkConfig } = await import('../src/config/load.js')
    const raw = base()
    ;(raw.neighbours as Array<Record<string, unknown>>)[0]!.tolerance = '5'
    assert.throws(() => checkConfig(raw, dir), (e: unknown) => e instanceof ConfigError && e.field === 'neighbours[0].tolerance' && /500 %/.test(e.message))
    assert.throws(() => checkConfig({ ...base(), listen: ['0.0.0.0:7000'] }, dir), (e: unknown) => e instanceof ConfigError && e.field === 'listen[0]')
  })

  it('refuses a neighbour whose PeerId is our own, naming the field', async () => {
    const config = configFor(0, ids, [0, 1], [[0, 1]], { intervalMs: 1000, periodIntervals: 2 })
    config.neighbours[0] = { ...config.neighbours[0]!, peerId: ids[0]!.peerId }
    const store = await openStore({ path: join(dir, 'self') })
    await assert.rejects(Agent.start({ config, identity: ids[0]!, store, logger: silent, http: false }),
      (e: unknown) => e instanceof ConfigError && e.field === 'neighbours[0].peerId' && /own PeerId/.test(e.message))
    await store.close()
  })

  it('refuses a data directory that belongs to another key, and leaves the port free', async () => {
    const path = join(dir, 'owned')
    const port = await freePort()
    const config = { ...configFor(0, ids, [port, 1], [[0, 1]], { intervalMs: 1000, periodIntervals: 2 }), dataDir: path }
    const first = await Agent.start({ config, identity: ids[0]!, logger: silent, http: false })
    await first.stop()
    const other = { ...configFor(2, ids, [0, 1, port], [[2, 1]], { intervalMs: 1000, periodIntervals: 2 }), dataDir: path }
    await assert.rejects(Agent.start({ config: other, identity: ids[2]!, logger: silent, http: false }),
      (e: unknown) => e instanceof ConfigError && e.field === 'key' && e.message.includes(ids[0]!.peerId) && /dataDir|data directory/.test(e.message))
    assert.ok(await bindable(port), 'the failed start holds no port')
    // The rightful key still opens it.
    const again = await Agent.start({ config, identity: ids[0]!, logger: silent, http: false })
    await again.stop()
  })

  it('says that a data directory is in use by another process, naming the path', async () => {
    const path = join(dir, 'locked')
    const holder = await openStore({ path })
    try {
      await assert.rejects(openStore({ path }), (e: unknown) => e instanceof StoreError && e.code === 'locked' && e.message.includes(path))
      const config = { ...configFor(0, ids, [0, 1], [[0, 1]], { intervalMs: 1000, periodIntervals: 2 }), dataDir: path }
      await assert.rejects(Agent.start({ config, identity: ids[0]!, logger: silent, http: false }),
        (e: unknown) => e instanceof ConfigError && e.field === 'dataDir' && /in use by another process/.test(e.message))
    } finally {
      await holder.close()
    }
  })

  it('says which address is in use when the p2p port is taken, in one line, and closes the store', async () => {
    const s = createServer()
    await new Promise<void>(resolve => s.listen(0, '127.0.0.1', resolve))
    const port = (s.address() as { port: number }).port
    const path = join(dir, 'port')
    try {
      const config = { ...configFor(0, ids, [port, 1], [[0, 1]], { intervalMs: 1000, periodIntervals: 2 }), dataDir: path }
      await assert.rejects(Agent.start({ config, identity: ids[0]!, logger: silent, http: false }),
        (e: unknown) => e instanceof ConfigError && e.field === 'listen' && !e.message.includes('\n') && e.message.includes(String(port)))
      // The store was closed: another process (here, this one) can open it.
      const store = await openStore({ path })
      await store.close()
    } finally {
      await new Promise<void>(resolve => s.close(() => resolve()))
    }
  })
})
