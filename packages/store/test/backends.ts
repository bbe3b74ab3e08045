// The two backends every round-trip test runs on: classic-level in a temp dir, memory-level.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MemoryLevel } from 'memory-level'
import { openStore, type Store } from '../src/index.js'

export interface Backend {
  name: string
  /** Opens a fresh, empty store. */
  fresh: () => Promise<Store>
  /** Closes `store` and opens the same data again (a restart). */
  reopen: (store: Store) => Promise<Store>
  cleanup: () => Promise<void>
}

export function classic (): Backend {
  const dirs: string[] = []
  const paths = new WeakMap<Store, string>()
  return {
    name: 'classic-level',
    async fresh () {
      const dir = await mkdtemp(join(tmpdir(), 'splitedge-store-'))
      dirs.push(dir)
      const path = join(dir, 'db') // not yet existing: openStore creates it
      const s = await openStore({ path })
      paths.set(s, path)
      return s
    },
    async reopen (store) {
      const path = paths.get(store)
      if (path === undefined) throw new Error('not a store from this backend')
      await store.close()
      const s = await openStore({ path })
      paths.set(s, path)
      return s
    },
    async cleanup () {
      for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
    }
  }
}

/** `prefixed`: record kinds as key prefixes of the root, as the simulator opens its stores. */
export function memory (prefixed = false): Backend {
  const dbs = new WeakMap<Store, MemoryLevel<string, string>>()
  return {
    name: prefixed ? 'memory-level, prefixed' : 'memory-level',
    async fresh () {
      const db = new MemoryLevel<string, string>()
      const s = await openStore({ db, prefixed })
      dbs.set(s, db)
      return s
    },
    async reopen (store) {
      const db = dbs.get(store)
      if (db === undefined) throw new Error('not a store from this backend')
      await store.close() // leaves the caller's db open, as a simulator would
      const s = await openStore({ db, prefixed })
      dbs.set(s, db)
      return s
    },
    async cleanup () {}
  }
}
