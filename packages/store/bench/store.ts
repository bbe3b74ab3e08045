// Store throughput: synced atomic batches on classic-level (disk) and memory-level (simulator).
// Usage: node dist/bench/store.js [N]. Prints figures, then one JSON object on the last line.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MemoryLevel } from 'memory-level'
import { borderOf, openStore, type Store } from '../src/index.js'

const n = Number(process.argv[2] ?? 2000)
const border = borderOf('12D3KooWA', '12D3KooWB')
const doc = new Uint8Array(600) // about the size of a co-signed attestation

async function run (name: string, store: Store): Promise<Record<string, number>> {
  let t = performance.now()
  for (let i = 0; i < n; i++) {
    await store.batch()
      .putAttestation({ border, intervalStart: i * 300, id: `att-${i}`, bytes: doc })
      .deletePending('border', String(i))
      .write()
  }
  const attMs = performance.now() - t
  const afterAtt = store.stats()
  t = performance.now()
  for (let i = 0; i < n; i++) {
    await store.post({ id: `t-${i}`, debit: 'interconnect:expense', credit: 'neighbour:B', amount: BigInt(i + 1), currency: 'EUR', decimals: 6, ref: `st-${i}`, time: i })
  }
  const postMs = performance.now() - t
  const s = store.stats()
  t = performance.now()
  const listed = (await store.listAttestations(border, 0, n * 300)).length
  const listMs = performance.now() - t
  const r = {
    attestationsPerSec: Math.round(n / (attMs / 1000)),
    postsPerSec: Math.round(n / (postMs / 1000)),
    bytesPerAttestation: Math.round(afterAtt.bytesWritten / n),
    bytesPerPost: Math.round((s.bytesWritten - afterAtt.bytesWritten) / n),
    keys: s.keys,
    listAttestationsMs: Math.round(listMs),
    listed
  }
  console.log(`${name}: ${JSON.stringify(r)}`)
  await store.close()
  return r
}

const dir = await mkdtemp(join(tmpdir(), 'splitedge-bench-'))
try {
  const memory = await run('memory-level', await openStore({ db: new MemoryLevel() }))
  const classic = await run('classic-level (sync)', await openStore({ path: join(dir, 'db') }))
  console.log(JSON.stringify({ bench: 'store', n, memory, classic }))
} finally {
  await rm(dir, { recursive: true, force: true })
}
