/**
 * The dashboard in a real browser (Debian's chromium through playwright-core; nothing is
 * downloaded) against a real network: two agent processes that attest counters pushed over HTTP
 * and settle, and a clearer process serving both. It loads each view and checks the figures shown
 * against the API, resolves a dispute from the browser and sees the interval attested on both
 * agents, downloads the CSV and checks it sums to the ledger, checks that a write without the
 * token is refused, and saves a screenshot of each view in docs/screenshots/.
 *
 * Without /usr/bin/chromium the suite is skipped with a message, except under CI=true, where
 * that is a failure (.ci/run installs chromium).
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parse, stringify } from 'yaml'
import type { BrowserContext, Page } from 'playwright-core'
import { generateKeyFile } from '@splitedge/wire'
import { resolveWeights, type PricingTariff } from '@splitedge/model'
import { CLI, ROOT, freePort, killAll, spawnAgent, tempDir, waitFor, writeNetwork, type AgentFiles, type AgentProcess } from '../agent/helpers.js'

const CHROMIUM = '/usr/bin/chromium'
const TOKEN = 'dashboard-test-token-0123456789'
const INTERVAL = 1000
const PERIOD_INTERVALS = 15
const LEN = INTERVAL * PERIOD_INTERVALS
const SHOTS = join(ROOT, 'docs/screenshots')

const auth = { authorization: `Bearer ${TOKEN}` }
async function api<T> (base: string, path: string): Promise<T> {
  const res = await fetch(base + path, { headers: auth, signal: AbortSignal.timeout(5000) })
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`)
  return await res.json() as T
}
async function push (base: string, items: unknown[]): Promise<number> {
  const res = await fetch(`${base}/v1/usage`, { method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body: JSON.stringify(items), signal: AbortSignal.timeout(5000) })
  return res.status
}

/** Poll the page until `fn` holds (figures refresh every two seconds). */
async function until (page: Page, what: string, fn: () => Promise<boolean>, ms = 20_000): Promise<void> {
  await waitFor(what, async () => { try { return await fn() } catch { return false } }, ms, () => page.url())
}

describe('dashboard: the browser against a running network', function () {
  this.timeout(180_000)
  let dir: { dir: string, remove: () => Promise<void> }
  let files: AgentFiles[]
  let A: AgentProcess
  let B: AgentProcess
  let clearer: ReturnType<typeof spawn> | undefined
  let clearerUrl = ''
  let context: BrowserContext | undefined
  let page: Page
  let pushing = true
  let disputed = 0
  let pusher: Promise<void> = Promise.resolve()
  const pageErrors: string[] = []

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      if (process.env.CI === 'true') throw new Error(`${CHROMIUM} is missing: .ci/run installs Debian's chromium (apt-get install -y chromium)`)
      console.log(`    (skipped: no ${CHROMIUM}; install Debian's chromium to run the browser tests)`)
      this.skip()
    }
    dir = await tempDir('splitedge-dashboard-')
    const nodes = [{ name: 'isp-a', p2p: await freePort(), http: await freePort() }, { name: 'isp-b', p2p: await freePort(), http: await freePort() }]
    files = await writeNetwork(dir.dir, nodes, [[0, 1]], { intervalMs: INTERVAL, graceMs: 200, periodIntervals: PERIOD_INTERVALS, seed: 'dash', prices: ['0.000003', '0.000001'], usage: { source: 'http' } })
    const clearerId = await generateKeyFile(join(dir.dir, 'clearer.key'))
    for (const f of files) {
      const c = parse(await readFile(f.config, 'utf8')) as Record<string, unknown> & { http: object }
      await writeFile(f.config, stringify({ ...c, http: { ...c.http, token: TOKEN }, clearers: [clearerId.peerId] }))
    }
    A = spawnAgent(files[0]!)
    B = spawnAgent(files[1]!)
    clearerUrl = await startClearer(dir.dir, files, nodes)
    await waitFor('both agents connected', async () => {
      const h = await Promise.all(files.map(async f => await api<{ neighboursConnected: number }>(f.http, '/health').catch(() => undefined)))
      return h.every(x => x?.neighboursConnected === 1)
    }, 30_000, () => A.tail() + '\n' + B.tail())
    pusher = pushAgreeingCounters()
    const { chromium } = await import('playwright-core')
    context = await chromium.launchPersistentContext(join(dir.dir, 'chromium-profile'), {
      executablePath: CHROMIUM,
      headless: true,
      acceptDownloads: true,
      viewport: { width: 1280, height: 860 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run']
    })
    page = context.pages()[0] ?? await context.newPage()
    page.on('pageerror', e => { pageErrors.push(e.message) })
    page.on('console', m => { if (m.type() === 'error') pageErrors.push(m.text()) })
    await mkdir(SHOTS, { recursive: true })
  })

  after(async () => {
    pushing = false
    await pusher.catch(() => {})
    await context?.close().catch(() => {})
    if (clearer !== undefined && clearer.exitCode === null) clearer.kill('SIGKILL')
    await killAll()
    await dir?.remove()
  })

  /** Both sides count the same traffic each interval (ids make repeats count once), except `disputed`. */
  async function pushAgreeingCounters (): Promise<void> {
    const [a, b] = files as [AgentFiles, AgentFiles]
    while (pushing) {
      const start = Math.floor(Date.now() / INTERVAL) * INTERVAL
      const theirs = start === disputed ? '800000' : '1000000'
      await push(a.http, [{ neighbour: b.name, intervalStart: start, class: 'be', direction: 'out', volume: '1000000', id: `i${start}` }]).catch(() => 0)
      await push(b.http, [{ neighbour: a.name, intervalStart: start, class: 'be', direction: 'in', volume: theirs, id: `i${start}` }]).catch(() => 0)
      await new Promise(resolve => setTimeout(resolve, 250))
    }
  }

  async function startClearer (d: string, agents: AgentFiles[], nodes: Array<{ name: string, p2p: number }>): Promise<string> {
    const http = await freePort()
    await writeFile(join(d, 'clearer.yaml'), stringify({
      name: 'clearer', key: 'clearer.key', dataDir: 'clearer-data', listen: [`/ip4/127.0.0.1/tcp/${await freePort()}`],
      http: { host: '127.0.0.1', port: http, token: TOKEN },
      operators: agents.map((f, i) => ({ name: f.name, peerId: f.identity.peerId, addrs: [`/ip4/127.0.0.1/tcp/${nodes[i]!.p2p}`] })),
      periodMs: LEN, logLevel: 'warn'
    }))
    clearer = spawn(process.execPath, [CLI, 'clearer', '--config', join(d, 'clearer.yaml')], { cwd: ROOT, stdio: 'ignore' })
    const url = `http://127.0.0.1:${http}`
    await waitFor('the clearer answers', async () => (await api<{ ok: boolean }>(url, '/health').catch(() => undefined))?.ok === true, 20_000)
    return url
  }

  const open = async (base: string, view: string): Promise<void> => {
    await page.goto(`${base}/#${view}`)
    await page.waitForSelector('main', { timeout: 10_000 }).catch((e: Error) => { throw new Error(`${e.message}\npage errors: ${pageErrors.join('\n')}`) })
  }
  const shot = async (name: string): Promise<void> => { await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true }) }

  /** A usage line of a statement, as the page shows it: the weight and price of the tariff version the line names. */
  async function checkStatementLine (a: AgentFiles): Promise<void> {
    type Line = { kind: string, class: string, from: string, to: string, tariffs: Record<string, string>, applied: { to: { weight: string, price: string, charge: string } } }
    const sts = await api<Array<{ id: string, lines: Line[] }>>(a.http, '/v1/statements')
    const st = sts.findLast(x => x.lines.some(l => l.kind === 'usage'))!
    const j = st.lines.findIndex(l => l.kind === 'usage')
    const l = st.lines[j]!
    const peer = (name: string): string => files.find(f => f.name === name)!.identity.peerId
    const tariff = (await api<Array<{ id: string, pricing: PricingTariff }>>(a.http, '/v1/tariffs?limit=1000')).find(t => t.id === l.tariffs[peer(l.to)])!
    const want = { price: tariff.pricing.classes[l.class]!.price, weight: resolveWeights(tariff.pricing, peer(l.from), l.class).send }
    const cell = async (f: string): Promise<string> => (await page.textContent(`details.statement[data-id="${st.id}"] tr[data-line="${j}"] [data-field="${f}"]`))?.trim() ?? ''
    await until(page, `statement ${st.id} line ${j} shows the tariff's price and weight`, async () => await cell('to-price') === want.price && await cell('to-weight') === want.weight)
    assert.equal(await cell('to-charge'), l.applied.to.charge, 'the fee shown is the API\'s')
  }

  it('shows the overview with the figures of the API, and saves a screenshot of each agent view', async () => {
    const [a] = files as [AgentFiles]
    // The first period may hold no pushed traffic: wait for one that moved money.
    await waitFor('a co-signed statement with a charge on isp-a', async () => (await api<Array<{ amount: string }>>(a.http, '/v1/statements')).some(st => Number(st.amount) > 0), 60_000, () => A.tail())
    await open(a.http, 'overview')
    await until(page, 'the overview row of isp-b matches /v1/overview', async () => {
      const o = await api<{ neighbours: Array<{ name: string, balance: string, openDisputes: number }> }>(a.http, '/v1/overview')
      const row = o.neighbours.find(n => n.name === 'isp-b')!
      const shown = await page.textContent('tr[data-neighbour="isp-b"] [data-field="balance"]')
      return shown?.trim().startsWith(row.balance) === true && (await page.textContent('tr[data-neighbour="isp-b"] [data-field="disputes"]'))?.trim() === String(row.openDisputes)
    })
    await shot('overview')

    await open(a.http, 'tariffs')
    const tariffs = await api<Array<{ issuer: string, seq: number }>>(a.http, '/v1/tariffs')
    await until(page, 'the tariff in force is shown', async () => (await page.textContent('section[data-issuer="isp-a"] [data-field="in-force-seq"]'))?.trim() === String(Math.max(...tariffs.filter(t => t.issuer === 'isp-a').map(t => t.seq))))
    await shot('tariffs')

    await open(a.http, 'border/isp-b')
    await until(page, 'attested intervals and a chart', async () => (await page.locator('#intervals button[data-status="attested"]').count()) > 0 && (await page.locator('#volumes canvas').count()) > 0)
    await shot('border')

    await open(a.http, 'statements')
    await until(page, 'the statements shown are those of the API', async () => {
      const n = (await api<unknown[]>(a.http, '/v1/statements')).length
      return (await page.locator('details.statement').count()) === n
    })
    const ledger = await api<{ balances: Array<{ account: string, net: string }> }>(a.http, '/v1/ledger')
    const account = ledger.balances.find(b => b.account === `neighbour:${files[1]!.identity.peerId}`)
    assert.ok(account !== undefined, 'a ledger account for isp-b')
    await checkStatementLine(a)
    await until(page, 'the ledger balance shown', async () => (await page.textContent('tr[data-account="isp-b"] [data-field="net"]'))?.startsWith((await api<{ balances: Array<{ account: string, net: string }> }>(a.http, '/v1/ledger')).balances.find(b => b.account === account.account)!.net) === true)
    await shot('statements')

    await open(a.http, 'brokerage')
    // A period may settle with no traffic (a fee-only statement, no classes): count the periods that moved be.
    const withBe = async (): Promise<number> => (await api<Array<{ classes?: Array<{ class: string }> }>>(a.http, '/v1/brokerage')).filter(p => p.classes?.some(c => c.class === 'be') === true).length
    await until(page, 'a brokerage row per class and period', async () => (await page.locator('#brokerage tr[data-class="be"]').count()) === await withBe())
    await shot('brokerage')
  })

  it('downloads the statements CSV, and its net_to_us sums to the ledger', async () => {
    const [a, b] = files as [AgentFiles, AgentFiles]
    await open(a.http, 'statements')
    await page.waitForSelector('button[data-action="csv"]')
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('button[data-action="csv"]')])
    const text = await readFile(await download.path(), 'utf8')
    const rows = text.trimEnd().split('\r\n').map(r => r.split(','))
    const head = rows[0]!
    const to = Math.max(...rows.slice(1).map(r => Number(r[head.indexOf('period_end')])))
    const micro = (d: string): bigint => { const [i, f = ''] = d.replace('-', '').split('.'); const v = BigInt(i!) * 1_000_000n + BigInt((f + '000000').slice(0, 6)); return d.startsWith('-') ? -v : v }
    const csvSum = rows.slice(1).filter(r => r[head.indexOf('neighbour')] === b.name).reduce((s, r) => s + micro(r[head.indexOf('net_to_us')]!), 0n)
    const ledger = await api<{ entries: Array<{ debit: string, credit: string, amount: string, time: number }> }>(a.http, '/v1/ledger?limit=1000')
    const acct = `neighbour:${b.identity.peerId}`
    const ledgerSum = ledger.entries.filter(e => e.time <= to).reduce((s, e) => s + (e.debit === acct ? micro(e.amount) : e.credit === acct ? -micro(e.amount) : 0n), 0n)
    assert.ok(rows.length > 1, 'the CSV has lines')
    assert.equal(csvSum, ledgerSum, `CSV net_to_us ${csvSum} = ledger ${ledgerSum} (micro-units) up to ${to}`)
    assert.notEqual(ledgerSum, 0n, 'money moved')
  })

  it('resolves a dispute from the browser: the interval is attested on both agents; a write without the token is refused', async () => {
    const [a, b] = files as [AgentFiles, AgentFiles]
    // The second interval of the next period: the period stays open while the browser acts.
    const target = Math.ceil((Date.now() + INTERVAL) / LEN) * LEN + INTERVAL
    disputed = target
    const key = String(target).padStart(16, '0')
    const open2 = async (f: AgentFiles): Promise<boolean> => (await api<Array<{ key: string, status: string }>>(f.http, '/v1/disputes')).some(d => d.key === key && d.status === 'open')
    await waitFor('both agents record the dispute', async () => await open2(a) && await open2(b), target + LEN - Date.now(), () => A.tail() + B.tail())

    await open(a.http, 'disputes')
    const row = `#disputes-open tr[data-key="${key}"]`
    await page.waitForSelector(`${row} button[data-action="accept"]`)
    // Without the token: refused, and the reason is shown.
    await page.fill('#token', '')
    await page.click('form.token button')
    await page.click(`${row} button[data-action="accept"]`)
    await page.waitForSelector(`${row} [data-confirm]`)
    assert.match(await page.textContent(`${row} [data-confirm]`) ?? '', /800000/, 'the confirmation shows the figures that will be signed')
    await shot('disputes')
    await page.click(`${row} button[data-action="confirm"]`)
    await page.waitForSelector(`${row} [data-error]`)
    assert.match(await page.textContent(`${row} [data-error]`) ?? '', /token/)
    const direct = await page.evaluate(async () => (await fetch('/v1/disputes/revise', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status)
    assert.equal(direct, 401)
    // With it: signed, and both sides attest the interval with the accepted figures.
    await page.fill('#token', TOKEN)
    await page.click('form.token button')
    await page.click(`${row} button[data-action="confirm"]`)
    await page.waitForSelector('[data-done]', { timeout: 10_000 }).catch(async () => {
      throw new Error(`no confirmation: ${await page.textContent(row) ?? ''}`)
    })
    const attested = async (f: AgentFiles): Promise<boolean> => {
      const atts = await api<Array<{ intervalStart: number, lines: Array<{ volume: string }> }>>(f.http, `/v1/attestations?from=${target}&to=${target + INTERVAL}`)
      return atts.some(x => x.intervalStart === target && x.lines.some(l => l.volume === '800000'))
    }
    await waitFor('the interval attested on both agents', async () => await attested(a) && await attested(b), 20_000, () => A.tail() + B.tail())
    const ivs = await api<Array<{ intervalStart: number, status: string }>>(b.http, `/v1/intervals?neighbour=isp-a&from=${target}&to=${target + INTERVAL}`)
    assert.equal(ivs[0]?.status, 'attested')
  })

  it('shows the clearer\'s operators and statements, and saves its screenshots', async () => {
    await open(clearerUrl, 'operators')
    await until(page, 'both operators listed as connected with a tariff', async () => {
      const ops = await api<Array<{ name: string, connected: boolean }>>(clearerUrl, '/v1/operators')
      const shown = await page.locator('#operators tr[data-operator] td.ok').count()
      return ops.every(o => o.connected) && shown === ops.length && ((await page.textContent('#operators')) ?? '').includes('version')
    }, 30_000)
    await shot('clearer-operators')
    await open(clearerUrl, 'statements')
    await until(page, 'the audit and the balances shown', async () => (await page.textContent('main'))?.includes('Audit: consistent') === true)
    await shot('clearer-statements')
    // A quote asked from the browser (a write: the token, kept per origin) is listed with its expiry.
    await open(clearerUrl, 'quote')
    await page.waitForSelector('form select option[value]:not([value=""])', { state: 'attached' })
    await page.fill('#token', TOKEN)
    await page.click('form.token button')
    await page.getByLabel('Sender\'s operator').selectOption(files[0]!.identity.peerId)
    await page.getByLabel('Receiver\'s operator').selectOption(files[1]!.identity.peerId)
    await page.click('main form button[type="submit"]')
    await until(page, 'the quote listed as the API lists it', async () => {
      const [q] = await api<Array<{ id: string, total: string, status: string }>>(clearerUrl, '/v1/quotes?limit=1')
      return q !== undefined && (await page.textContent(`#quotes tr[data-quote="${q.id}"] [data-field="status"]`))?.trim() === q.status &&
        (await page.textContent(`#quotes tr[data-quote="${q.id}"] [data-field="total"]`))?.trim().startsWith(q.total) === true
    })
    await shot('clearer-quote')
  })
})
