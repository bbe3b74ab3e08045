/**
 * Docker: the internet6 topology with the real agent (`splitedge agent`), 2 s intervals and
 * 2-interval periods, usage pushed by the harness on every border through `POST /v1/usage`.
 * In order, on one running topology:
 *   1. two periods settle on every border; every co-signed statement is what the model computes
 *      from the same attestations and tariffs; money is conserved per period;
 *   2. a border cut (docker network disconnect) for three intervals, then healed: the cut
 *      intervals are attested after the heal and their periods settle;
 *   3. an agent SIGKILLed mid-interval, right after counters were acknowledged, and started again
 *      on the same volume: nothing acknowledged is lost or duplicated;
 *   4. non-neighbours: no name, no route; and a throwaway libp2p identity that does reach an
 *      agent is refused by every splitedge protocol;
 *   5. over the whole run: both sides of every border hold the same attestations and statements,
 *      all recompute exactly, money is conserved, no disputes, ledgers check.
 * The clearer runs too (`splitedge clearer`, on its own link to each edge it serves): it follows
 * the served edges' tariffs, quotes exactly what the model computes from them plus its margin, and
 * lists itself in the directory. Bilateral settlement does not involve it.
 * Skipped without an engine (a failure under CI=true).
 */
import assert from 'node:assert/strict'
import { add, dec, format, isZero, mul, roundHalfEven, ZERO } from '@splitedge/model'
import type { PricingTariff } from '@splitedge/model'
import { parse as parseYaml, stringify as toYaml } from 'yaml'
import { buildImages, requireDocker, sleep, TopologyRun } from './harness.js'
import { readViews, recheckStatement, surplusByPeriod, type AgentViews, type AttestationView, type StatementView, type TariffView } from './settlement-check.js'
import { UsageDriver } from './usage-driver.js'

const INTERVAL = 2000
const PERIOD_INTERVALS = 2
const PERIOD = INTERVAL * PERIOD_INTERVALS
const CLASSES = ['be', 'ef']

const periodOf = (t: number): number => Math.floor(t / PERIOD) * PERIOD
const intervalOf = (t: number): number => Math.floor(t / INTERVAL) * INTERVAL

interface LedgerView { entries: Array<{ id: string, amount: string }>, check: { ok: boolean, problems?: string[] } }

describe('docker: internet6 with the real agent (settlement, cuts, kills, non-neighbours)', function () {
  let run: TopologyRun | undefined
  let driver: UsageDriver | undefined
  let firstPush = 0
  const timings: string[] = []

  const up = (): TopologyRun => { assert.ok(run !== undefined, 'topology is up'); return run }
  const drv = (): UsageDriver => { assert.ok(driver !== undefined, 'usage driver runs'); return driver }

  before(async function () {
    this.timeout(600_000)
    await requireDocker(this)
    const t0 = performance.now()
    const times = await buildImages()
    const t1 = performance.now()
    run = await TopologyRun.up('internet6')
    await run.waitHealthy(90_000)
    await run.waitConnected(60_000)
    const r = run
    const borders = r.agents.flatMap(a => a.config.neighbours.filter(n => a.name < n.name && !r.omitted.has(n.name)).map(n => ({ a: a.name, b: n.name })))
    driver = new UsageDriver(r, borders, INTERVAL, CLASSES)
    driver.start()
    firstPush = await driver.pushedThrough(Date.now() + INTERVAL)
    timings.push(`images ${times.cached ? 'built earlier in this run' : `${((times.baseMs + times.agentMs) / 1000).toFixed(1)} s`}, ` +
      `up+healthy+connected ${((performance.now() - t1) / 1000).toFixed(1)} s (${r.agents.length} containers, ${borders.length} borders, clearer serving ${r.agent('clearer').serves.join(', ')}; before ${((performance.now() - t0) / 1000).toFixed(1)} s)`)
  })

  after(async function () {
    this.timeout(120_000)
    await driver?.stop()
    if (run !== undefined && this.currentTest?.state === 'failed') console.log(await run.logs())
    for (const t of timings) console.log(`      ${t}`)
    await run?.down()
  })

  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && run !== undefined) console.log(await run.logs())
  })

  // ---- reading the agents ---------------------------------------------------------------------

  const peerIdOf = (name: string): string => up().agent(name).peerId
  const nameOf = (peerId: string): string => up().composed.agents.find(a => a.peerId === peerId)?.name ?? peerId
  const borders = (): Array<{ a: string, b: string }> => drv().borders.slice()

  /** Statements before attestations and tariffs (readViews says why). */
  async function views (name: string): Promise<AgentViews> {
    const r = up()
    return await readViews(async <T>(path: string): Promise<T> => await r.view<T>(name, path), name, peerIdOf(name))
  }

  /**
   * An agent's whole ledger: `view` returns only the first page of an object, and the ledger pages
   * its entries (X-Next-Cursor; the entries are the append-only log, so later pages stay in place).
   */
  async function ledgerOf (name: string): Promise<LedgerView> {
    const r = up()
    const get = async (path: string): Promise<{ body: LedgerView, next?: string }> => {
      const page = await r.getJson(name, path)
      if (page.status !== 200) throw new Error(`${name} GET ${path}: ${page.status} ${JSON.stringify(page.body)}`)
      return { body: page.body as LedgerView, ...(page.next !== undefined ? { next: page.next } : {}) }
    }
    let page = await get('/v1/ledger')
    const ledger = page.body
    const entries = [...ledger.entries]
    while (page.next !== undefined) {
      page = await get(`/v1/ledger?cursor=${encodeURIComponent(page.next)}`)
      entries.push(...page.body.entries)
    }
    return { ...ledger, entries }
  }

  /** The agents that settle borders (the clearer settles with its operators, not on borders). */
  const settling = (): Array<{ name: string }> => up().agents.filter(a => a.role !== 'clearer')
  const allViews = async (): Promise<AgentViews[]> => await Promise.all(settling().map(async a => await views(a.name)))

  /** Has every border (both sides) a statement for every period from `from` to `through`? */
  async function settled (from: number, through: number, only?: (b: { a: string, b: string }) => boolean): Promise<boolean> {
    const vs = new Map((await allViews()).map(v => [v.name, v]))
    for (const b of borders().filter(x => only?.(x) ?? true)) {
      for (let p = from; p <= through; p += PERIOD) {
        for (const [me, other] of [[b.a, b.b], [b.b, b.a]] as const) {
          if (vs.get(me)?.statements.some(s => s.neighbour === other && s.period.start === p) !== true) return false
        }
      }
    }
    return true
  }

  async function waitFor (what: string, timeoutMs: number, cond: () => Promise<boolean>): Promise<number> {
    const t0 = performance.now()
    const deadline = Date.now() + timeoutMs
    while (!(await cond())) {
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
      await sleep(500)
    }
    return performance.now() - t0
  }

  /** Statements recompute exactly; both sides hold the same one; conservation per fully settled period. */
  async function checkSettlement (vs: AgentViews[], periods: (p: number) => boolean): Promise<{ statements: number, periods: number }> {
    const problems: string[] = []
    let statements = 0
    const byName = new Map(vs.map(v => [v.name, v]))
    for (const v of vs) {
      for (const s of v.statements.filter(x => periods(x.period.start))) {
        statements++
        problems.push(...await recheckStatement(v, s, peerIdOf, nameOf, PERIOD_INTERVALS))
        const twin = byName.get(s.neighbour)?.statements.find(x => x.neighbour === v.name && x.period.start === s.period.start)
        if (twin === undefined) problems.push(`${v.name}/${s.neighbour} ${s.period.start}: only one side holds the statement`)
        else if (twin.id !== s.id) problems.push(`${v.name}/${s.neighbour} ${s.period.start}: the two sides hold different statements`)
      }
    }
    assert.deepEqual(problems, [])
    const sums = surplusByPeriod(vs.map(v => ({ ...v, statements: v.statements.filter(s => periods(s.period.start)) })))
    for (const [p, sum] of sums) assert.ok(isZero(dec(sum)), `period ${p}: received − paid over all agents is ${sum}, not 0`)
    return { statements, periods: sums.size }
  }

  /** Attestations of driven intervals hold the agreed (lower) pushed figures, on both sides, once each. */
  function checkAttestations (vs: AgentViews[], intervals: (s: number) => boolean): number {
    const problems: string[] = []
    let checked = 0
    const byName = new Map(vs.map(v => [v.name, v]))
    for (const b of borders()) {
      const sa = byName.get(b.a)?.attestations.filter(x => x.neighbour === b.b) ?? []
      const sb = byName.get(b.b)?.attestations.filter(x => x.neighbour === b.a) ?? []
      for (const side of [sa, sb]) {
        const starts = side.map(x => x.intervalStart)
        if (new Set(starts).size !== starts.length) problems.push(`${b.a}|${b.b}: an interval is attested twice`)
      }
      for (const s of drv().intervals().filter(intervals)) {
        const exp = drv().expected(b.a, b.b, s)
        if (exp === undefined) continue
        const [x, y] = [sa.find(a => a.intervalStart === s), sb.find(a => a.intervalStart === s)]
        if (x === undefined || y === undefined) { problems.push(`${b.a}|${b.b} ${s}: not attested on ${x === undefined ? b.a : b.b}`); continue }
        if (x.id !== y.id) problems.push(`${b.a}|${b.b} ${s}: the sides hold different attestations`)
        const got = x.lines.filter(l => !isZero(dec(l.volume)))
          .map(l => `${l.class} ${nameOf(l.from)}>${nameOf(l.to)} ${l.volume}`).sort()
        const want = exp.map(l => `${l.class} ${l.from}>${l.to} ${l.volume}`).sort()
        if (JSON.stringify(got) !== JSON.stringify(want)) problems.push(`${b.a}|${b.b} ${s}: attested ${JSON.stringify(got)}, pushed ${JSON.stringify(want)}`)
        checked++
      }
    }
    assert.deepEqual(problems, [])
    return checked
  }

  // ---- the tests --------------------------------------------------------------------------------

  it('settles two periods on every border; statements match the model and money is conserved', async function () {
    this.timeout(90_000)
    const p1 = periodOf(firstPush) + PERIOD // the first period wholly after the first push
    const p2 = p1 + PERIOD
    const ms = await waitFor('two periods settled on every border', 60_000, async () => await settled(p1, p2))
    const vs = await allViews()
    const { statements, periods } = await checkSettlement(vs, p => p <= p2)
    const att = checkAttestations(vs, s => s >= firstPush && s < p2 + PERIOD)
    assert.ok(statements >= 2 * 2 * borders().length, `${statements} statements`)
    const withMoney = vs.flatMap(v => v.statements).filter(s => s.period.start >= p1 && s.period.start <= p2 && !isZero(dec(s.amount)))
    assert.ok(withMoney.length > 0, 'some statement moves money')
    timings.push(`two periods settled ${(ms / 1000).toFixed(1)} s after the first push; ${statements} statements over ${periods} periods recomputed, ${att} attested intervals checked`)
  })

  it('runs the clearer: it follows the served edges\' tariffs, quotes them plus its margin, and is in the directory', async function () {
    this.timeout(60_000)
    const r = up()
    const clearer = r.agent('clearer')
    const config = clearer.clearer
    assert.ok(config !== undefined, 'the composer wrote a clearer config')
    const [ea, eb] = clearer.serves
    assert.ok(ea !== undefined && eb !== undefined, 'it serves two edges')
    const health = await r.view<{ ok: boolean, peerId: string, operators: number, connected: number }>('clearer', '/health')
    assert.deepEqual([health.ok, health.peerId, health.operators, health.connected], [true, clearer.peerId, 2, 2])

    // Its tariff book: each served edge's current version (as the edge itself holds it), nobody else's.
    interface ClearerTariff { operator: string, peerId: string, inForce: { id: string, seq: number, pricing: PricingTariff } | null }
    const own = async (edge: string): Promise<TariffView | undefined> =>
      (await r.view<TariffView[]>(edge, '/v1/tariffs')).filter(t => t.peerId === peerIdOf(edge)).sort((x, y) => y.seq - x.seq)[0]
    let book: ClearerTariff[] = []
    const ms = await waitFor('the clearer to hold the served edges\' current tariffs', 30_000, async () => {
      book = await r.view<ClearerTariff[]>('clearer', '/v1/tariffs')
      for (const e of [ea, eb]) {
        const mine = await own(e)
        if (mine === undefined || book.find(t => t.peerId === peerIdOf(e))?.inForce?.id !== mine.id) return false
      }
      return true
    })
    assert.deepEqual(book.map(t => t.operator).sort(), [ea, eb].sort())
    for (const other of r.agents.filter(a => a.name !== ea && a.name !== eb)) {
      assert.ok(!book.some(t => t.peerId === other.peerId || t.operator === other.name), `no tariff of ${other.name}`)
    }
    const pricingOf = (e: string): PricingTariff => {
      const p = book.find(t => t.peerId === peerIdOf(e))?.inForce?.pricing
      assert.ok(p !== undefined, `tariff of ${e}`)
      return p
    }

    // A quote from ea (sender) to eb (receiver), sender pays: each end's local charge at its own
    // tariff, V * w(status:customer, role) * p(class), rounded once; then the margin on their sum.
    const volume = '123456789'
    const quote = await r.postJson('clearer', '/v1/quotes', {
      ends: [{ operator: peerIdOf(ea), role: 'sender' }, { operator: peerIdOf(eb), role: 'receiver' }],
      class: 'be', volume, apportion: { kind: 'sender-pays' }
    })
    assert.equal(quote.status, 200, JSON.stringify(quote.body))
    const q = quote.body as { total: string, quote: { margin: string, currency: string, tariffs: string[], charges: Array<{ operator: string, amount: string, payer: string }> } }
    const charge = (e: string, role: 'send' | 'receive'): ReturnType<typeof dec> => {
      const p = pricingOf(e)
      const w = p.weights['status:customer'] ?? p.weights['*']
      const price = p.classes['be']?.price
      assert.ok(w !== undefined && price !== undefined, `${e} prices be for its customers`)
      return roundHalfEven(mul(mul(dec(volume), dec(w[role])), dec(price)), p.decimals)
    }
    const decimals = pricingOf(ea).decimals
    const sum = add(charge(ea, 'send'), charge(eb, 'receive'))
    const margin = roundHalfEven(add(mul(mul(sum, dec(config.margin.percent)), dec('0.01')), dec(config.margin.fixed)), decimals)
    assert.ok(!isZero(sum) && !isZero(margin), 'the quote moves money and the clearer takes a margin')
    assert.equal(q.quote.margin, format(margin))
    assert.equal(q.total, format(add(sum, margin)), `total of ${format(sum)} in local charges plus the margin ${format(margin)}`)
    assert.equal(q.quote.currency, pricingOf(ea).currency)
    assert.deepEqual(q.quote.tariffs.slice().sort(), [ea, eb].map(e => book.find(t => t.peerId === peerIdOf(e))?.inForce?.id).sort())
    assert.ok(q.quote.charges.every(c => c.payer === peerIdOf(ea)), 'sender pays all')
    assert.equal(format(q.quote.charges.reduce((acc, c) => add(acc, dec(c.amount)), ZERO)), format(sum))
    // The clearer follows a tariff change: eb publishes a new version (its customers' be price up),
    // and the next quote prices eb's charge at it.
    const file = r.composed.files.find(f => f.path === `${eb}/tariff.yaml`)
    assert.ok(file !== undefined)
    const changed = parseYaml(String(file.content)) as { classes: Record<string, { price: string }> }
    const be = changed.classes['be']
    assert.ok(be !== undefined)
    be.price = format(mul(dec(be.price), dec('3')))
    const published = await r.publishTariff(eb, toYaml(changed))
    assert.equal(published.status, 200, JSON.stringify(published.body))
    const followMs = await waitFor(`the clearer to follow ${eb}'s new tariff`, 30_000, async () => {
      const mine = await own(eb)
      book = await r.view<ClearerTariff[]>('clearer', '/v1/tariffs')
      return mine !== undefined && mine.pricing.classes['be']?.price === be.price && book.find(t => t.peerId === peerIdOf(eb))?.inForce?.id === mine.id
    })
    const again = await r.postJson('clearer', '/v1/quotes', {
      ends: [{ operator: peerIdOf(ea), role: 'sender' }, { operator: peerIdOf(eb), role: 'receiver' }],
      class: 'be', volume, apportion: { kind: 'sender-pays' }
    })
    assert.equal(again.status, 200, JSON.stringify(again.body))
    const q2 = again.body as typeof q
    const sum2 = add(charge(ea, 'send'), charge(eb, 'receive'))
    const margin2 = roundHalfEven(add(mul(mul(sum2, dec(config.margin.percent)), dec('0.01')), dec(config.margin.fixed)), decimals)
    assert.notEqual(format(sum2), format(sum), 'the new price changes eb\'s charge')
    assert.equal(q2.total, format(add(sum2, margin2)))
    assert.ok(q2.quote.tariffs.includes((await own(eb))?.id ?? '?'), 'the quote names eb\'s new version')

    // An operator it does not serve is refused.
    const refused = await r.postJson('clearer', '/v1/quotes', {
      ends: [{ operator: peerIdOf(ea), role: 'sender' }, { operator: peerIdOf('peer-1'), role: 'receiver' }],
      class: 'be', volume, apportion: { kind: 'sender-pays' }
    })
    assert.equal(refused.status, 422)
    assert.equal((refused.body as { code: string }).code, 'not-served')

    // The directory: clearers serving both edges include this one.
    const dir = await r.view<Array<{ clearer: string, operators: string[], url: string | null }>>('clearer', `/v1/directory?operators=${peerIdOf(ea)},${peerIdOf(eb)}`)
    const me = dir.find(d => d.clearer === clearer.peerId)
    assert.ok(me !== undefined, `directory: ${JSON.stringify(dir)}`)
    assert.deepEqual(me.operators.slice().sort(), [peerIdOf(ea), peerIdOf(eb)].sort())
    assert.equal(me.url, config.http.publicUrl, 'announced where the operators it serves reach it')
    assert.equal(await r.probe(ea, 'clearer', 8080), 'connected', `${ea} reaches the announced API`)
    assert.equal(await r.probe('peer-1', 'clearer', 8080), 'no-name', 'an operator it does not serve has no link to it')
    assert.deepEqual(await r.view<unknown[]>('clearer', `/v1/directory?operators=${peerIdOf(ea)},${peerIdOf('peer-1')}`), [], 'nobody clears for edge-a and peer-1 together')
    timings.push(`clearer: held ${ea}'s and ${eb}'s tariffs ${(ms / 1000).toFixed(1)} s into the test and ${eb}'s new version ${(followMs / 1000).toFixed(1)} s after it was published; quotes ${q.total} then ${q2.total} ${q.quote.currency} (margins ${q.quote.margin}, ${q2.quote.margin}) for ${volume} octets`)
  })

  it('completes the attestations of a cut border after the heal, and both periods still settle', async function () {
    this.timeout(120_000)
    const r = up()
    const [a, b] = ['edge-a', 'peer-1']
    const cutAt = Date.now()
    await r.cut(a, b)
    let attestedDuringCut: number[] = []
    try {
      await sleep(3 * INTERVAL + INTERVAL / 2)
      const during = await r.view<AttestationView[]>(a, `/v1/attestations?neighbour=${b}`)
      attestedDuringCut = during.filter(x => x.intervalStart >= intervalOf(cutAt)).map(x => x.intervalStart)
    } finally {
      await r.heal(a, b)
    }
    const healAt = Date.now()
    const cut: number[] = []
    for (let s = intervalOf(cutAt); s < healAt; s += INTERVAL) cut.push(s)
    // The cut took effect: intervals that closed well inside it were not attested while it lasted.
    assert.ok(cut.some(s => s + INTERVAL < healAt - INTERVAL && !attestedDuringCut.includes(s)), `cut intervals ${cut.join(',')} were attested during the cut: ${attestedDuringCut.join(',')}`)
    const lastPeriod = periodOf(cut[cut.length - 1] ?? healAt)
    const ms = await waitFor('the cut border\'s periods to settle', 90_000,
      // Every border, not only the cut one's: the settlement check below covers them all.
      async () => await settled(periodOf(cut[0] ?? cutAt), lastPeriod))
    const vs = await allViews()
    const checked = checkAttestations(vs, s => cut.includes(s))
    assert.ok(checked >= cut.length, `${checked} attestations checked for ${cut.length} cut intervals`)
    for (const s of cut) assert.ok(drv().drove(a, b, s), `usage was pushed on the cut border for ${s}`)
    await checkSettlement(vs, p => p >= periodOf(cut[0] ?? cutAt) && p <= lastPeriod)
    timings.push(`cut ${a}|${b} for ${cut.length} intervals (${((healAt - cutAt) / 1000).toFixed(1)} s); periods settled ${(ms / 1000).toFixed(1)} s after the heal`)
  })

  it('loses and duplicates nothing acknowledged when an agent is SIGKILLed mid-period and restarted', async function () {
    this.timeout(150_000)
    const r = up()
    const victim = 'peer-2'
    const mine = borders().filter(x => x.a === victim || x.b === victim)
    // Kill right after this interval's counters were acknowledged on both sides, before it closes.
    await sleep(INTERVAL - (Date.now() % INTERVAL) + 50)
    const s = await drv().pushedThrough(Date.now())
    const before = await views(victim)
    const ledgerBefore = await ledgerOf(victim)
    await drv().hold(victim)
    const killedAt = Date.now()
    await r.kill(victim)
    assert.ok(killedAt < s + INTERVAL, 'killed inside the interval whose counters were just acknowledged')
    for (const x of mine) assert.ok(drv().expected(x.a, x.b, s) !== undefined, `counters for ${s} were acknowledged on ${x.a}|${x.b}`)
    await sleep(2 * INTERVAL)
    const t0 = performance.now()
    await r.start(victim)
    await r.waitHealthy(60_000)
    await r.waitConnected(60_000)
    const restartMs = performance.now() - t0
    drv().release(victim)
    const through = periodOf(Date.now()) + PERIOD
    const ms = await waitFor(`${victim}'s periods to settle after the restart`, 90_000,
      async () => await settled(periodOf(s), through, x => mine.includes(x)))

    const after = await views(victim)
    const ids = (v: AgentViews): string[] => [...v.attestations.map(x => x.id), ...v.statements.map(x => x.id)]
    const now = new Set(ids(after))
    const lost = ids(before).filter(id => !now.has(id))
    assert.deepEqual(lost, [], 'every document held before the kill is still held')
    assert.equal(new Set(ids(after)).size, ids(after).length, 'no document twice')
    const keys = after.statements.map(x => `${x.neighbour}@${x.period.start}`)
    assert.equal(new Set(keys).size, keys.length, 'one statement per border and period')
    // Periods keep settling while this reads: the ledger is read between two statement listings.
    // A statement and its ledger entry are stored in one write, so every entry of `after`'s
    // statements is in the ledger, and every entry in the ledger is of a statement of `later`.
    const ledger = await ledgerOf(victim)
    const later = await r.view<StatementView[]>(victim, '/v1/statements')
    assert.equal(ledger.check.ok, true, JSON.stringify(ledger.check))
    const entryIds = ledger.entries.map(e => e.id)
    assert.equal(new Set(entryIds).size, entryIds.length, 'no ledger entry twice')
    for (const e of ledgerBefore.entries) assert.ok(entryIds.includes(e.id), `ledger entry ${e.id} survived`)
    const paid = (sts: StatementView[]): string[] => sts.filter(x => !isZero(dec(x.amount))).map(x => x.id)
    assert.deepEqual(paid(after.statements).filter(id => !entryIds.includes(id)), [], 'every statement that moves money has its ledger entry')
    assert.deepEqual(entryIds.filter(id => !paid(later).includes(id)), [], 'every ledger entry is a statement that moves money')
    // The counters acknowledged just before the kill made it into the attestations.
    const vs = await allViews()
    const checked = checkAttestations(vs, x => x >= s && x <= s + 3 * INTERVAL)
    assert.ok(checked >= mine.length, `${checked} attestations checked around the kill`)
    await checkSettlement(vs, p => p >= periodOf(s) && p <= through)
    timings.push(`killed ${victim} ${killedAt - s} ms into interval ${s}; restart to connected ${(restartMs / 1000).toFixed(1)} s; periods settled ${(ms / 1000).toFixed(1)} s later`)
  })

  it('keeps non-neighbours off the border protocol: no name, no route, and a foreign PeerId is refused', async function () {
    this.timeout(120_000)
    const r = up()
    // Network level: edge-a shares a network with peer-1 only (and with the clearer's link).
    for (const other of ['edge-b', 'peer-2', 'backbone']) assert.equal(await r.probe('edge-a', other), 'no-name', `edge-a -> ${other}`)
    const addr = await r.address('peer-2', r.borderOf('peer-2', 'backbone'))
    assert.equal(await r.probe('edge-a', addr), 'unreachable', `edge-a -> peer-2 at ${addr}`)
    assert.equal(await r.probe('backbone', addr), 'connected', 'control: the neighbour reaches that address')
    // Protocol level: a throwaway identity that does reach an agent (on a border network, and on
    // the clearer's link to edge-a) is refused by the allow-list of every splitedge protocol.
    for (const [network, target] of [[r.borderOf('edge-a', 'peer-1'), 'peer-1'], ['clearer--edge-a', 'edge-a']] as const) {
      const got = await r.intruder(network, target, peerIdOf(target))
      assert.equal(got.connected, true, `the intruder reached ${target}: ${got.dialError ?? ''}`)
      assert.deepEqual(got.results, { border: 'refused', settle: 'refused', tariffSync: 'refused' }, `${target} via ${network}`)
    }
  })

  it('ends with the same documents on both sides of every border, exact statements, conserved money, no disputes', async function () {
    this.timeout(120_000)
    const r = up()
    const through = periodOf(Date.now()) - PERIOD
    await waitFor('every border settled', 60_000, async () => await settled(periodOf(firstPush) + PERIOD, through))
    const vs = await allViews()
    const { statements, periods } = await checkSettlement(vs, p => p <= through)
    const checked = checkAttestations(vs, s => s >= firstPush && s < through + PERIOD)
    for (const a of settling()) {
      assert.deepEqual(await r.view<unknown[]>(a.name, '/v1/disputes'), [], `${a.name} has no dispute`)
      assert.equal((await r.view<LedgerView>(a.name, '/v1/ledger')).check.ok, true, `${a.name}'s ledger checks`)
    }
    assert.deepEqual(drv().failures, [], 'every usage push was accepted')
    assert.equal((await r.view<LedgerView>('clearer', '/v1/ledger')).check.ok, true, 'the clearer\'s ledger checks')
    timings.push(`whole run: ${statements} statements over ${periods} periods recomputed exactly and conserved; ${checked} attested intervals match the pushes`)
  })
})
