/**
 * Crash safety with real processes (docs/protocol.md): two `splitedge agent` processes with
 * 1 s intervals and 2-interval periods; B is killed with SIGKILL mid-interval, right after it
 * logs an attestation, right after it logs a settled period, right after A does, and at a random
 * moment, and restarted on the same data dir each time. Afterwards every co-signed document
 * either side ever showed is held by both exactly once, no ledger entry is doubled, the ledgers
 * balance, and periods after the last restart settle.
 */
import assert from 'node:assert/strict'
import { openStore } from '@splitedge/store'
import {
  getJson, killAll, spawnAgent, stopAgent, tempDir, waitFor, writeNetwork, type AgentFiles, type AgentProcess, freePort
} from './helpers.js'
import { below, seededRng } from '@splitedge/model'

/** When to kill is drawn from a seed (CRASH_SEED to replay one). */
const rng = seededRng(Number(process.env.CRASH_SEED ?? 20261130))

interface StatementView { neighbour: string, id: string, period: { start: number, end: number }, net: string }
interface AttestationView { neighbour: string, intervalStart: number, id: string, signers: string[] }
interface LedgerView { entries: Array<{ id: string }>, check: { ok: boolean, problems: string[] } }

const sleep = async (ms: number): Promise<void> => await new Promise(resolve => setTimeout(resolve, ms))

describe('agent processes: kill -9 at any point loses nothing and doubles nothing', function () {
  this.timeout(60_000)
  let tmp: { dir: string, remove: () => Promise<void> } | undefined
  after(async () => {
    await killAll()
    await tmp?.remove()
  })

  it('keeps every acknowledged document on both sides once, balanced ledgers, and settles after restarts', async () => {
    tmp = await tempDir('splitedge-crash-')
    const [fa, fb] = await writeNetwork(tmp.dir, [{ name: 'a', p2p: await freePort(), http: await freePort() }, { name: 'b', p2p: await freePort(), http: await freePort() }], [[0, 1]], {
      intervalMs: 1000, graceMs: 200, periodIntervals: 2, seed: 'crash', prices: ['0.000002', '0.000001']
    }) as [AgentFiles, AgentFiles]
    const A = spawnAgent(fa)
    let B = spawnAgent(fb)
    const diag = (): string => `--- a\n${A.tail()}\n--- b\n${B.tail()}`

    const statements = async (f: AgentFiles): Promise<StatementView[]> => await getJson<StatementView[]>(`${f.http}/v1/statements`) ?? []
    const attestations = async (f: AgentFiles): Promise<AttestationView[]> => await getJson<AttestationView[]>(`${f.http}/v1/attestations`) ?? []
    // Everything either side has shown us: it must survive on both sides.
    const seenStatements = new Map<number, string>()
    const seenAttestations = new Map<number, string>()
    const observe = async (): Promise<void> => {
      for (const f of [fa, fb]) {
        for (const s of await statements(f)) {
          const prev = seenStatements.get(s.period.start)
          assert.ok(prev === undefined || prev === s.id, `period ${s.period.start} has two different statements`)
          seenStatements.set(s.period.start, s.id)
        }
        for (const a of await attestations(f)) {
          const prev = seenAttestations.get(a.intervalStart)
          assert.ok(prev === undefined || prev === a.id, `interval ${a.intervalStart} has two different attestations`)
          seenAttestations.set(a.intervalStart, a.id)
        }
      }
    }
    const restartB = async (): Promise<void> => {
      await B.exited
      await observe()
      B = spawnAgent(fb)
      await waitFor('b answers /health', async () => (await getJson(`${fb.http}/health`)) !== undefined, 15_000, diag)
    }
    const killWhen = async (who: AgentProcess, msg: string): Promise<void> => {
      const victim = B
      who.onLine(l => l.includes(`"msg":"${msg}`), () => { victim.kill9() })
      await waitFor(`b killed after "${msg}"`, async () => victim.child.signalCode === 'SIGKILL', 15_000, diag)
      await restartB()
    }

    await waitFor('a first co-signed statement on both sides', async () =>
      (await statements(fa)).length >= 1 && (await statements(fb)).length >= 1, 20_000, diag)
    await observe()

    // Mid-interval, at an arbitrary moment.
    await sleep(100 + below(rng, 800))
    B.kill9()
    await restartB()
    // Right after B stored an attestation (its delivery to A may still be in flight).
    await killWhen(B, 'usage attested')
    // Right after B stored a co-signed statement (A may not have it yet).
    await killWhen(B, 'period settled')
    // Right after A stored one (B, the other half of the exchange, is in the middle of it).
    await killWhen(A, 'period settled')
    // And once more at random.
    await sleep(200 + below(rng, 1500))
    B.kill9()
    await restartB()
    const restarted = Date.now()

    // The exchange completes: periods that began after the last restart settle, and both sides
    // converge on the same documents.
    const same = async (): Promise<boolean> => {
      const [sa, sb, aa, ab] = await Promise.all([statements(fa), statements(fb), attestations(fa), attestations(fb)])
      const key = (xs: Array<{ id: string }>): string => xs.map(x => x.id).sort().join(',')
      return sa.filter(s => s.period.start >= restarted).length >= 1 && key(sa) === key(sb) && key(aa) === key(ab)
    }
    await waitFor('both sides settle after the last restart and hold the same documents', same, 25_000, diag)
    await observe()

    const [sa, sb, aa, ab] = await Promise.all([statements(fa), statements(fb), attestations(fa), attestations(fb)])
    for (const [name, ss, as] of [['a', sa, aa], ['b', sb, ab]] as const) {
      assert.equal(new Set(ss.map(s => s.period.start)).size, ss.length, `${name}: one statement per period`)
      assert.equal(new Set(ss.map(s => s.id)).size, ss.length, `${name}: no statement twice`)
      assert.equal(new Set(as.map(a => a.intervalStart)).size, as.length, `${name}: one attestation per interval`)
      for (const [start, id] of seenStatements) assert.equal(ss.find(s => s.period.start === start)?.id, id, `${name} holds the statement of ${start} it or its neighbour acknowledged`)
      for (const [start, id] of seenAttestations) assert.equal(as.find(a => a.intervalStart === start)?.id, id, `${name} holds the attestation of ${start}`)
      for (const a of as) assert.equal(a.signers.length, 2)
    }
    for (const f of [fa, fb]) {
      const ledger = await getJson<LedgerView>(`${f.http}/v1/ledger`)
      assert.ok(ledger)
      assert.equal(ledger.check.ok, true, ledger.check.problems.join('; '))
      const ids = ledger.entries.map(e => e.id)
      assert.equal(new Set(ids).size, ids.length, `${f.name}: no ledger entry twice`)
      const nonzero = sa.filter(s => !/^-?0(\.0*)?$/.test(s.net)).map(s => s.id).sort()
      assert.deepEqual([...ids].sort(), nonzero, `${f.name}: one entry per statement with a non-zero net`)
    }

    // A clean stop, then the stores themselves say the same.
    assert.deepEqual(await Promise.all([stopAgent(A), stopAgent(B)]), [0, 0], 'both agents stop cleanly on SIGTERM')
    for (const f of [fa, fb]) {
      const store = await openStore({ path: f.dataDir })
      try {
        const check = await store.checkLedger()
        assert.equal(check.ok, true, check.problems.join('; '))
        const held = new Set((await store.listStatements()).map(s => s.id))
        for (const s of sa) assert.ok(held.has(s.id), `${f.name}'s store holds statement ${s.id}`)
      } finally {
        await store.close()
      }
    }
  })
})
