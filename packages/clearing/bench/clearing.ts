/**
 * Clearing throughput in one process: quotes signed per second, receipts cleared per second
 * (signature checks, tariff lookup, one synced batch each, in-memory LevelDB), and the time to
 * build and sign one operator's statement of N lines. Ends with one JSON line on stdout.
 * Run: node packages/clearing/dist/bench/clearing.js [receipts=2000]
 */
import { performance } from 'node:perf_hooks'
import { pino } from 'pino'
import { MemoryLevel } from 'memory-level'
import { encodeDocument, generateIdentity, sign, type Identity } from '@splitedge/wire'
import { openStore } from '@splitedge/store'
import { Clearer, checkClearerConfig } from '../src/index.js'

const N = Number(process.argv[2] ?? 2000)

async function main (): Promise<void> {
  const [ic, ia, ib] = await Promise.all([generateIdentity(), generateIdentity(), generateIdentity()]) as [Identity, Identity, Identity]
  const t0 = Date.now() - 3_600_000
  const config = checkClearerConfig({
    name: 'bench', key: '/x', dataDir: '/x', listen: ['/ip4/127.0.0.1/tcp/0'],
    operators: [{ name: 'A', peerId: ia.peerId, addrs: ['/ip4/127.0.0.1/tcp/9'] }, { name: 'B', peerId: ib.peerId, addrs: ['/ip4/127.0.0.1/tcp/9'] }],
    margin: { percent: '1', fixed: '0.000001' }, periodMs: 86_400_000, logLevel: 'silent'
  }, '/')
  const store = await openStore({ db: new MemoryLevel<string, Uint8Array>({ valueEncoding: 'view' }) as never })
  const clearer = await Clearer.start({ config, identity: ic, store, logger: pino({ level: 'silent' }), http: false, tickMs: 3_600_000 })
  try {
    for (const id of [ia, ib]) {
      const t = sign(id, 'tariff', {
        issuer: id.peerId, seq: 1, previous: null, published: t0, effective: t0, noticeMs: 0,
        pricing: { currency: 'EUR', decimals: 6, unit: 'octet', classes: { be: { mode: 'unicast', quality: 'BE', price: '0.000001' } }, weights: { 'status:customer': { send: '1', receive: '1' } } }
      })
      if (!t.ok) throw t.error
      const r = await clearer.tariffs.ingest(encodeDocument(t.value), id.peerId, 'sync')
      if (!r.ok) throw new Error(r.message)
    }
    const ends = [{ operator: ia.peerId, role: 'sender' as const }, { operator: ib.peerId, role: 'receiver' as const }]
    let s = performance.now()
    for (let i = 0; i < N; i++) {
      const q = await clearer.quote({ ends, class: 'be', volume: String(1000 + i), apportion: { kind: 'shares', shares: { [ia.peerId]: '30', [ib.peerId]: '70' } } })
      if (!q.ok) throw new Error(q.error.message)
    }
    const quoteMs = performance.now() - s
    const consent = sign(ia, 'consent', { operator: ia.peerId, nonce: '00112233445566778899aabbccddeeff', src: 'a', dst: 'b', class: 'be', maxVolume: String(N * 1000), share: '100', window: { start: t0, end: Date.now() + 3_600_000 } })
    if (!consent.ok) throw consent.error
    const receipts = Array.from({ length: N }, (_, i) => {
      const r = sign(ib, 'receipt', { operator: ib.peerId, seq: i + 1, src: 'a', dst: 'b', class: 'be', volume: '1000', interval: { start: t0 + i, length: 1 } })
      if (!r.ok) throw r.error
      return r.value
    })
    s = performance.now()
    for (const receipt of receipts) {
      const c = await clearer.clear({ receipt, role: 'receiver', remote: ia.peerId, evidence: { kind: 'consent', consent: consent.value } })
      if (!c.ok) throw new Error(c.error.message)
    }
    const clearMs = performance.now() - s
    s = performance.now()
    const start = Date.now() - (Date.now() % config.periodMs)
    const st = await clearer.statementFor(ib.peerId, start)
    const statementMs = performance.now() - s
    const audit = await clearer.audit()
    const result = {
      receipts: N,
      quotesPerSec: Math.round(N / (quoteMs / 1000)),
      clearsPerSec: Math.round(N / (clearMs / 1000)),
      statementLines: st?.doc.body.lines.length ?? 0,
      statementMs: Math.round(statementMs),
      ledgerOk: audit.ok
    }
    process.stdout.write(`quotes: ${result.quotesPerSec}/s; receipts cleared: ${result.clearsPerSec}/s; statement of ${result.statementLines} lines built and signed in ${result.statementMs} ms; ledger ok: ${String(audit.ok)}\n`)
    process.stdout.write(JSON.stringify(result) + '\n')
  } finally {
    await clearer.stop()
  }
}

await main()
