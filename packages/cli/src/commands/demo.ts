/**
 * `splitedge demo` (the main job, `npm start`): a local network of five operators, each its own
 * agent process on loopback — two edge ISPs, two transit networks that peer with each other, and
 * a backbone — publishing tariffs, attesting synthetic traffic at every border and settling
 * bilaterally for several periods, plus a clearing intermediary serving the two edge ISPs that
 * clears one flow whose sender pays for both ends. It prints progress, a table of every co-signed settlement and
 * each operator's brokerage view, and writes `report.json`, which restates every settled period in
 * docs/pricing.md, "splitedge simulate"'s scenario format next to the co-signed statement lines, so anyone can check
 * the money with `splitedge simulate` (the demo does that check itself before it exits).
 */
import type { Command } from 'commander'
import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { mkdir, open, rm, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { stringify as toYaml } from 'yaml'
import { randomBytes } from 'node:crypto'
import { generateKeyFile, loadKeyFile, sign, type Identity } from '@splitedge/wire'
import { runClearingDemoFlow, type EndSigner } from '@splitedge/clearing'
import { simulate, type PricingTariff, type SlaCriterion } from '@splitedge/model'

const BIN = fileURLToPath(new URL('../../../bin/splitedge.js', import.meta.url))

interface Operator { name: string, kind: string, tariff: Record<string, unknown> }
/** A border: `b` is `a`'s `status`; `a` is the inverse to `b`. */
interface Border { a: string, b: string, status: 'customer' | 'peer' | 'transit' }

const inverse = (s: Border['status']): Border['status'] => s === 'customer' ? 'transit' : s === 'transit' ? 'customer' : 'peer'

const tariffOf = (be: string, ef: string, weights: Record<string, { send: string, receive: string }>, sla?: SlaCriterion[], extra: Record<string, unknown> = {}, efExtra: Record<string, unknown> = {}): Record<string, unknown> => ({
  currency: 'EUR',
  decimals: 6,
  unit: 'octet',
  classes: {
    be: { mode: 'unicast', quality: 'BE', price: be },
    ef: { mode: 'unicast', quality: 'EF', price: ef, ...(sla !== undefined ? { sla } : {}), ...efExtra }
  },
  weights,
  ...extra
})

const TRANSIT_2_WEIGHTS = { 'status:customer': { send: '2', receive: '1.5' }, 'status:peer': { send: '1', receive: '1' }, 'status:transit': { send: '0.5', receive: '0.5' } }

/**
 * The demo network. Prices are per octet; weights follow each neighbour's status. It shows every
 * kind of statement line: transit-1 weights its customers' ef traffic more (a per-class weight)
 * and charges a flat fee per ef message (a message fee, counted by the synthetic source);
 * the backbone judges ef against transit-2 by a bilateral SLA that differs from the one its other
 * border (transit-1) gets, and pays transit-2 a flat fee each period (a negative period fee);
 * transit-2 changes its be price in the middle of a period (`DEMO_TARIFF_CHANGE`).
 */
export const DEMO_OPERATORS: Operator[] = [
  { name: 'edge-a', kind: 'edge ISP', tariff: tariffOf('0.0000015', '0.000004', { 'status:transit': { send: '0.5', receive: '0.5' }, 'status:customer': { send: '1', receive: '1' } }) },
  { name: 'edge-b', kind: 'edge ISP', tariff: tariffOf('0.0000015', '0.000004', { 'status:transit': { send: '0.5', receive: '0.5' }, 'status:customer': { send: '1', receive: '1' } }) },
  {
    name: 'transit-1',
    kind: 'transit',
    tariff: tariffOf('0.000001', '0.000003', {
      'status:customer': { send: '2', receive: '2' }, 'status:peer': { send: '1', receive: '1' }, 'status:transit': { send: '0.5', receive: '0.5' }
    }, undefined, {}, { weights: { 'status:customer': { send: '3', receive: '2.5' } }, messageFee: '0.0005' })
  },
  { name: 'transit-2', kind: 'transit', tariff: tariffOf('0.0000012', '0.0000028', TRANSIT_2_WEIGHTS) },
  {
    name: 'backbone',
    kind: 'backbone',
    tariff: tariffOf('0.0000008', '0.000003', { 'status:customer': { send: '2', receive: '2' } }, [
      // Patent-style sliding scales: the backbone is paid less when it misses its targets.
      { metric: 'delay_ms', bands: [{ upTo: '20', factor: '1' }, { upTo: '40', factor: '0.8' }, { upTo: '50', factor: '0.5' }, { factor: '0' }] },
      { metric: 'availability_pct', bands: [{ atLeast: '99.9', factor: '1' }, { atLeast: '99.5', factor: '0.9' }, { factor: '0.5' }] }
    ], {
      // transit-2's agreement: a stricter delay scale, judged on the period's worst value.
      bilateralSla: { 'transit-2': { ef: [{ metric: 'delay_ms', window: 'period', bands: [{ upTo: '10', factor: '1' }, { upTo: '30', factor: '0.7' }, { factor: '0.4' }] }] } },
      periodFee: { 'transit-2': '-0.05' }
    })
  }
]

/** transit-2's second version: be up from 0.0000012 to 0.0000013, published inside a period. */
export const DEMO_TARIFF_CHANGE = { name: 'transit-2', tariff: tariffOf('0.0000013', '0.0000028', TRANSIT_2_WEIGHTS) }

export const DEMO_BORDERS: Border[] = [
  { a: 'edge-a', b: 'transit-1', status: 'transit' },
  { a: 'edge-b', b: 'transit-2', status: 'transit' },
  { a: 'transit-1', b: 'backbone', status: 'transit' },
  { a: 'transit-2', b: 'backbone', status: 'transit' },
  { a: 'transit-1', b: 'transit-2', status: 'peer' }
]

interface Options { dir: string, intervalMs: string, periodIntervals: string, periods: string, timeout: string, keep?: boolean }

export function register (program: Command): void {
  program
    .command('demo')
    .description('run a local network of five agents that tariff, attest and settle; print the settlements and write report.json')
    .option('-d, --dir <dir>', 'working directory for keys, configs, stores, logs and report.json (emptied first)', '.splitedge-demo')
    .option('--interval-ms <ms>', 'usage interval length', '2000')
    .option('--period-intervals <n>', 'intervals per settlement period', '3')
    .option('--periods <n>', 'complete periods to settle on every border', '2')
    .option('--timeout <s>', 'give up after this many seconds', '180')
    .option('--keep', 'keep the network running after the report, until Ctrl-C, so the dashboards can be looked at')
    .action(async (opts: Options) => { await runDemo(opts) })
}

interface Running { name: string, peerId: string, url: string, child: ChildProcess, log: string }

const int = (s: string, name: string, min: number): number => {
  const n = Number(s)
  if (!Number.isSafeInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}, got ${JSON.stringify(s)}`)
  return n
}

async function freePort (): Promise<number> {
  return await new Promise((resolvePort, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const a = s.address()
      s.close(() => { resolvePort(typeof a === 'object' && a !== null ? a.port : 0) })
    })
  })
}

async function getJson<T> (url: string): Promise<T> {
  const res = await fetch(url)
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`)
  return await res.json() as T
}

const sleep = async (ms: number): Promise<void> => { await new Promise(r => setTimeout(r, ms)) }
const out = (s: string): void => { process.stdout.write(s + '\n') }

interface StatementView { neighbour: string, id: string, period: { start: number, end: number }, currency: string, net: string, payer: string, payee: string, amount: string, attestations: number, lines: Array<{ kind: string, class: string | null, from: string, to: string, volume: string, amount: string, factors: Record<string, string>, tariffs: Record<string, string>, note?: string }> }
interface AttestationView { neighbour: string, intervalStart: number, id: string, lines: Array<{ class: string, from: string, to: string, volume: string, messages?: number | string }>, metrics: Array<{ subject: string, class: string, metric: string, value: string }> }
interface TariffView { peerId: string, id: string, effective: number, pricing: PricingTariff }

export async function runDemo (opts: Options): Promise<void> {
  const intervalMs = int(opts.intervalMs, 'interval-ms', 200)
  const periodIntervals = int(opts.periodIntervals, 'period-intervals', 1)
  const periods = int(opts.periods, 'periods', 1)
  const timeoutMs = int(opts.timeout, 'timeout', 10) * 1000
  const dir = resolve(opts.dir)
  await rm(dir, { recursive: true, force: true })
  await mkdir(dir, { recursive: true })
  out(`splitedge demo: ${DEMO_OPERATORS.length} operators, ${DEMO_BORDERS.length} borders, ${intervalMs} ms intervals, ${periodIntervals} intervals per period; working in ${dir}`)

  // Keys, ports, tariffs and configs.
  const ids = new Map<string, string>()
  const ports = new Map<string, { p2p: number, http: number }>()
  for (const op of DEMO_OPERATORS) {
    const id = await generateKeyFile(join(dir, `${op.name}.key`))
    ids.set(op.name, id.peerId)
    ports.set(op.name, { p2p: await freePort(), http: await freePort() })
  }
  // One write token for every node (http.tokenFile): the demo's own writes send it, and a person
  // at the dashboards pastes it to act (resolve a dispute, ask for a quote).
  const tokenPath = join(dir, 'http.token')
  const token = randomBytes(32).toString('base64url')
  await writeFile(tokenPath, token + '\n', { mode: 0o600 })
  const clearerId = await generateKeyFile(join(dir, 'clearer.key'))
  const clearerPorts = { p2p: await freePort(), http: await freePort() }
  const cleared = ['edge-a', 'edge-b']
  await writeFile(join(dir, 'clearer.yaml'), toYaml({
    name: 'clearer',
    key: 'clearer.key',
    dataDir: 'data/clearer',
    listen: [`/ip4/127.0.0.1/tcp/${clearerPorts.p2p}`],
    http: { host: '127.0.0.1', port: clearerPorts.http, tokenFile: 'http.token' },
    operators: cleared.map(name => ({ name, peerId: ids.get(name), addrs: [`/ip4/127.0.0.1/tcp/${ports.get(name)?.p2p ?? 0}`] })),
    margin: { percent: '1', fixed: '0' },
    periodMs: intervalMs * periodIntervals,
    logLevel: 'info'
  }))
  for (const op of DEMO_OPERATORS) {
    const neighbours = DEMO_BORDERS.filter(b => b.a === op.name || b.b === op.name).map(b => {
      const other = b.a === op.name ? b.b : b.a
      return {
        name: other,
        peerId: ids.get(other),
        addrs: [`/ip4/127.0.0.1/tcp/${ports.get(other)?.p2p ?? 0}`],
        status: b.a === op.name ? b.status : inverse(b.status),
        tolerance: '0.01'
      }
    })
    await writeFile(join(dir, `${op.name}.tariff.yaml`), toYaml(op.tariff))
    const config = {
      name: op.name,
      key: `${op.name}.key`,
      dataDir: `data/${op.name}`,
      listen: [`/ip4/127.0.0.1/tcp/${ports.get(op.name)?.p2p ?? 0}`],
      http: { host: '127.0.0.1', port: ports.get(op.name)?.http ?? 0, tokenFile: 'http.token' },
      tariff: `${op.name}.tariff.yaml`,
      interval: { lengthMs: intervalMs },
      settlement: { periodIntervals },
      usage: { source: 'synthetic', seed: 'splitedge-demo', meanVolume: 1_000_000, noise: 0.002 },
      neighbours,
      ...(cleared.includes(op.name) ? { clearers: [clearerId.peerId] } : {}),
      logLevel: 'info'
    }
    await writeFile(join(dir, `${op.name}.yaml`), toYaml(config))
  }

  // Start every agent as its own process.
  const running: Running[] = []
  let clearerRef: Running | undefined
  const stopAll = async (): Promise<void> => {
    await Promise.all(running.map(async r => {
      if (r.child.exitCode !== null || r.child.signalCode !== null) return
      const exited = new Promise<void>(res => r.child.once('exit', () => { res() }))
      r.child.kill('SIGTERM')
      await Promise.race([exited, sleep(5000).then(() => { r.child.kill('SIGKILL') })])
    }))
  }
  const onSignal = (): void => { void stopAll().then(() => process.exit(130)) }
  process.once('SIGINT', onSignal)
  try {
    for (const op of DEMO_OPERATORS) {
      const log = join(dir, `${op.name}.log`)
      const fh = await open(log, 'w')
      const child = spawn(process.execPath, [BIN, 'agent', '--config', join(dir, `${op.name}.yaml`)], { stdio: ['ignore', fh.fd, fh.fd] })
      await fh.close()
      running.push({ name: op.name, peerId: ids.get(op.name) ?? '', url: `http://127.0.0.1:${ports.get(op.name)?.http ?? 0}`, child, log })
    }
    const clearerLog = join(dir, 'clearer.log')
    const clearerFh = await open(clearerLog, 'w')
    const clearer: Running = {
      name: 'clearer', peerId: clearerId.peerId, url: `http://127.0.0.1:${clearerPorts.http}`, log: clearerLog,
      child: spawn(process.execPath, [BIN, 'clearer', '--config', join(dir, 'clearer.yaml')], { stdio: ['ignore', clearerFh.fd, clearerFh.fd] })
    }
    await clearerFh.close()
    clearerRef = clearer
    const started = Date.now()
    const deadline = started + timeoutMs
    for (const r of [...running, clearer]) {
      for (;;) {
        if (r.child.exitCode !== null) throw new Error(`agent ${r.name} exited with code ${r.child.exitCode}; see ${r.log}`)
        if (Date.now() > deadline) throw new Error(`agent ${r.name} did not become healthy; see ${r.log}`)
        try { await getJson(`${r.url}/health`); break } catch { await sleep(200) }
      }
    }
    out(`all ${running.length} agents and the clearer healthy; tariffs published; waiting for ${periods} complete settlement periods on every border`)
    out(`dashboards: ${[...running, ...(clearerRef !== undefined ? [clearerRef] : [])].map(r => `${r.name} ${r.url}/`).join(' · ')}`)
    out(`write token (paste it into a dashboard's Token box to act): ${tokenPath}`)

    // Progress until every border has `periods` complete periods co-signed on both sides.
    const full = (s: StatementView): boolean => s.attestations === periodIntervals
    let changePeriod: number | undefined
    let lastLine = 0
    for (;;) {
      for (const r of running) if (r.child.exitCode !== null) throw new Error(`agent ${r.name} exited with code ${r.child.exitCode}; see ${r.log}`)
      const stmts = new Map<string, StatementView[]>()
      const attested = new Set<string>()
      let disputes = 0
      for (const r of running) {
        stmts.set(r.name, await getAll<StatementView>(`${r.url}/v1/statements`))
        for (const a of await getAll<AttestationView>(`${r.url}/v1/attestations`)) attested.add(a.id)
        disputes += (await getAll<unknown>(`${r.url}/v1/disputes`)).length
      }
      // Periods co-signed on both sides of a border, complete (every interval attested).
      const completeOn = (b: Border): Set<number> => {
        const theirs = new Set((stmts.get(b.b) ?? []).filter(s => s.neighbour === b.a).map(s => s.id))
        return new Set((stmts.get(b.a) ?? []).filter(s => s.neighbour === b.b && full(s) && theirs.has(s.id)).map(s => s.period.start))
      }
      const perBorder = DEMO_BORDERS.map(completeOn)
      const done = perBorder.map(p => p.size)
      // Once every border settles, transit-2 changes its tariff inside a period; the report
      // restates periods that every border settled completely, from that period on.
      const allStarts = [...(perBorder[0] ?? [])].filter(start => perBorder.every(p => p.has(start)))
      if (changePeriod === undefined && allStarts.length > 0) {
        changePeriod = await changeTariffMidPeriod(running, intervalMs, periodIntervals, deadline, token)
        out(`transit-2 published a new tariff version inside the period starting ${new Date(changePeriod).toISOString().slice(11, 19)} (be 0.0000012 -> 0.0000013 from its next interval)`)
      }
      const everywhere = changePeriod === undefined ? 0 : allStarts.filter(start => start >= (changePeriod as number)).length
      const settled = new Set([...stmts.values()].flat().map(s => s.id)).size
      if (Date.now() - lastLine >= 2000 || everywhere >= periods) {
        out(`[${String(Math.round((Date.now() - started) / 1000)).padStart(4)}s] attestations ${attested.size} · co-signed statements ${settled} · complete periods per border ${done.join('/')}, on every border ${everywhere} (target ${periods}) · disputes ${disputes}`)
        lastLine = Date.now()
      }
      if (everywhere >= periods) break
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000}s with complete periods per border ${done.join('/')}; logs are in ${dir}`)
      await sleep(500)
    }

    const report = await buildReport(running, periodIntervals, periods, intervalMs, changePeriod ?? 0)
    if (report.periods.length < periods) throw new Error(`only ${report.periods.length} of ${periods} periods are complete on every border; logs are in ${dir}`)
    await printSummary(running, report)

    // Clearing: edge-a's customer calls edge-b's customer and pays for both ends.
    out('\nClearing (a flow whose sender pays for both ends, cleared through the clearer without touching the transits)')
    for (;;) {
      const books = await getJson<unknown[]>(`${clearer.url}/v1/tariffs`).catch(() => [])
      if (books.length >= cleared.length) break
      if (Date.now() > deadline) throw new Error(`the clearer has not received the edge operators' tariffs; see ${clearerLog}`)
      await sleep(250)
    }
    const signerOf = (identity: Identity): EndSigner => {
      let seq = 0
      return {
        peerId: identity.peerId,
        issueReceipt: async (r) => {
          const d = sign(identity, 'receipt', { operator: identity.peerId, seq: ++seq, ...r })
          if (!d.ok) throw new Error(`receipt: ${d.error.message}`)
          return d.value
        },
        consent: (c) => {
          const d = sign(identity, 'consent', { operator: identity.peerId, nonce: randomBytes(16).toString('hex'), ...c })
          if (!d.ok) throw new Error(`consent: ${d.error.message}`)
          return d.value
        }
      }
    }
    // The clearer's client takes the token from the URL's password and sends it only as a header.
    const withToken = new URL(clearer.url)
    withToken.password = token
    const flow = await runClearingDemoFlow({
      clearer: withToken.toString(),
      clearerPeerId: clearer.peerId,
      sender: signerOf(await loadKeyFile(join(dir, 'edge-a.key'))),
      receiver: signerOf(await loadKeyFile(join(dir, 'edge-b.key'))),
      settleTimeoutMs: Math.max(30_000, 4 * intervalMs * periodIntervals)
    })
    for (const line of flow.summary) out(`  ${line}`)
    if (!flow.settled) throw new Error(`the cleared flow did not settle in time; see ${clearerLog}`)
    const reportPath = join(dir, 'report.json')
    await writeFile(reportPath, JSON.stringify(report, null, 2) + '\n')
    // Independent check: the model, fed the report's scenarios, reproduces every statement line.
    const checked = checkReport(report)
    out(`\ncheck: splitedge simulate on report.json reproduces all ${checked.lines} statement lines of ${report.periods.length} periods exactly (${Object.entries(checked.kinds).map(([k, n]) => `${n} ${k}`).join(', ')})`)
    out(`report: ${reportPath}`)
    out(`logs, configs, keys and stores: ${dir}`)
    if (opts.keep === true) {
      process.off('SIGINT', onSignal)
      out(`\n--keep: the network keeps running. Dashboards: ${[...running, ...(clearerRef !== undefined ? [clearerRef] : [])].map(r => `${r.name} ${r.url}/`).join(' · ')}`)
      out(`Writes need the token in ${tokenPath} (paste it into the Token box of a dashboard). Ctrl-C stops it.`)
      await new Promise<void>(resolve => { process.once('SIGINT', () => { resolve() }); process.once('SIGTERM', () => { resolve() }) })
    }
  } finally {
    process.off('SIGINT', onSignal)
    running.push(...(clearerRef !== undefined ? [clearerRef] : []))
    await stopAll()
  }
}

interface ReportLine { kind: string, class: string | null, from: string, to: string, volume: string, tariffs: Record<string, string>, factors: Record<string, string>, amount: string, note?: string }

interface Report {
  networks: Record<string, string>
  intervalMs: number
  periodIntervals: number
  periods: Array<{
    period: { start: number, end: number }
    /** Scenario format 2: `splitedge simulate` on it prints every statement below, line by line. */
    scenario: Record<string, unknown>
    /** The co-signed statements, with network names for PeerIds. */
    statements: Array<{ border: [string, string], id: string, lines: ReportLine[] }>
    statementIds: string[]
  }>
}

/** Every page of a list endpoint (they are paginated: `x-next-cursor` names the next page). */
async function getAll<T> (url: string): Promise<T[]> {
  const items: T[] = []
  let cursor: string | null = null
  for (;;) {
    const res: Response = await fetch(cursor === null ? url : `${url}${url.includes('?') ? '&' : '?'}cursor=${cursor}`)
    if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`)
    items.push(...(await res.json() as T[]))
    cursor = res.headers.get('x-next-cursor')
    if (cursor === null) return items
  }
}

/** Publish transit-2's second version in the middle of a period's first interval; returns that period's start. */
async function changeTariffMidPeriod (running: Running[], intervalMs: number, periodIntervals: number, deadline: number, token: string): Promise<number> {
  const len = intervalMs * periodIntervals
  const t2 = running.find(r => r.name === DEMO_TARIFF_CHANGE.name) as Running
  for (;;) {
    const phase = Date.now() % len
    if (phase >= intervalMs * 0.2 && phase <= intervalMs * 0.6) break
    if (Date.now() > deadline) throw new Error('timed out waiting to change a tariff mid-period')
    await sleep(Math.max(10, Math.min(100, (len + intervalMs * 0.3 - phase) % len)))
  }
  const at = Date.now()
  const res = await fetch(`${t2.url}/v1/tariff`, { method: 'POST', body: toYaml(DEMO_TARIFF_CHANGE.tariff), headers: { 'content-type': 'application/yaml', authorization: `Bearer ${token}` } })
  if (!res.ok) throw new Error(`publishing transit-2's new tariff: HTTP ${res.status} ${await res.text()}`)
  return Math.floor(at / len) * len
}

/** A model pricing with network names for PeerIds, as a format-2 tariff version. */
function namedPricing (p: PricingTariff, nameOf: (id: string) => string): Record<string, unknown> {
  const keys = <T>(m: Record<string, T> | undefined): Record<string, T> | undefined => m === undefined ? undefined : Object.fromEntries(Object.entries(m).map(([k, v]) => [nameOf(k), v]))
  return {
    currency: p.currency,
    decimals: p.decimals,
    unit: p.unit,
    classes: Object.fromEntries(Object.entries(p.classes).map(([c, v]) => [c, { ...v, ...(v.weights !== undefined ? { weights: keys(v.weights) } : {}) }])),
    weights: keys(p.weights),
    ...(p.statuses !== undefined ? { statuses: keys(p.statuses) } : {}),
    ...(p.periodFee !== undefined ? { periodFee: typeof p.periodFee === 'string' ? p.periodFee : keys(p.periodFee) } : {}),
    ...(p.bilateralSla !== undefined ? { bilateralSla: keys(p.bilateralSla) } : {}),
    ...(p.classMap !== undefined ? { classMap: keys(p.classMap) } : {})
  }
}

/**
 * Restate each fully settled period as a format-2 scenario (every operator's tariff versions in
 * force, each border's attested volumes and SLA values per interval) next to the co-signed lines.
 */
async function buildReport (running: Running[], periodIntervals: number, periods: number, intervalMs: number, fromStart: number): Promise<Report> {
  const nameOf = new Map(running.map(r => [r.peerId, r.name]))
  const name = (id: string): string => nameOf.get(id) ?? id
  const tariffs = new Map<string, TariffView>()
  const stmts = new Map<string, StatementView[]>()
  const atts = new Map<string, AttestationView[]>()
  for (const r of running) {
    for (const t of await getAll<TariffView>(`${r.url}/v1/tariffs`)) tariffs.set(t.id, t)
    stmts.set(r.name, await getAll<StatementView>(`${r.url}/v1/statements`))
    atts.set(r.name, await getAll<AttestationView>(`${r.url}/v1/attestations`))
  }
  const complete = (b: Border, start: number): StatementView | undefined =>
    (stmts.get(b.a) ?? []).find(s => s.neighbour === b.b && s.period.start === start && s.attestations === periodIntervals)
  const starts = [...new Set([...stmts.values()].flat().map(s => s.period.start))].sort((x, y) => x - y)
    .filter(start => start >= fromStart && DEMO_BORDERS.every(b => complete(b, start) !== undefined)).slice(0, periods)
  const report: Report = { networks: Object.fromEntries(running.map(r => [r.name, r.peerId])), intervalMs, periodIntervals, periods: [] }
  for (const start of starts) {
    const used = new Map<string, Set<string>>() // operator name -> tariff ids its lines use
    const statements: Report['periods'][number]['statements'] = []
    const flows: unknown[] = []
    const measured: unknown[] = []
    for (const b of DEMO_BORDERS) {
      const s = complete(b, start) as StatementView
      statements.push({
        border: [b.a, b.b],
        id: s.id,
        lines: s.lines.map(l => ({
          kind: l.kind, class: l.class, from: name(l.from), to: name(l.to), volume: l.volume,
          tariffs: Object.fromEntries(Object.entries(l.tariffs).map(([k, v]) => { ((used.get(name(k)) ?? used.set(name(k), new Set()).get(name(k))) as Set<string>).add(v); return [name(k), v] })),
          factors: Object.fromEntries(Object.entries(l.factors).map(([k, v]) => [name(k), v])),
          amount: l.amount,
          ...(l.note !== undefined ? { note: l.note } : {})
        }))
      })
      for (const a of (atts.get(b.a) ?? []).filter(x => x.neighbour === b.b && x.intervalStart >= s.period.start && x.intervalStart < s.period.end)) {
        const interval = (a.intervalStart - start) / intervalMs
        for (const l of a.lines) flows.push({ path: [name(l.from), name(l.to)], class: l.class, volume: l.volume, ...(l.messages !== undefined ? { messages: String(l.messages) } : {}), interval })
        for (const m of a.metrics) measured.push({ border: [b.a, b.b], subject: name(m.subject), class: m.class, metric: m.metric, value: m.value, interval })
      }
    }
    // Each operator's versions in force in the period, each from the first interval it applies to.
    const versions: Record<string, unknown[]> = {}
    for (const [op, ids] of used) {
      const list = [...ids].map(id => tariffs.get(id)).filter((t): t is TariffView => t !== undefined).sort((x, y) => x.effective - y.effective)
      versions[op] = list.map((t, k) => ({ ref: t.id, fromInterval: k === 0 ? 0 : Math.max(0, Math.ceil((t.effective - start) / intervalMs)), ...namedPricing(t.pricing, name) }))
    }
    report.periods.push({
      period: { start, end: start + intervalMs * periodIntervals },
      scenario: {
        format: 2,
        currency: 'EUR',
        decimals: [...tariffs.values()][0]?.pricing.decimals ?? 6,
        unit: 'octet',
        intervals: periodIntervals,
        networks: running.map(r => ({ id: r.name, role: 'provider' })),
        tariffs: versions,
        borders: DEMO_BORDERS.map(b => [b.a, b.b]),
        flows,
        measured
      },
      statements,
      statementIds: statements.map(s => s.id)
    })
  }
  return report
}

/**
 * Run `simulate` on each period's scenario and compare every line of every border's statement
 * with the co-signed one (lines compared as a set: their order depends on how ids sort). Also
 * checks the demo shows each kind of line it promises.
 */
export function checkReport (report: Report): { lines: number, kinds: Record<string, number> } {
  let lines = 0
  const kinds: Record<string, number> = { usage: 0, 'message-fee': 0, 'period-fee': 0, 'SLA-adjusted': 0, 'tariff-change': 0 }
  const canon = (ls: ReportLine[]): string[] => ls.map(l => JSON.stringify([l.kind, l.class, l.from, l.to, l.volume, Object.entries(l.tariffs).sort(), Object.entries(l.factors).sort(), l.amount, l.note ?? null])).sort()
  for (const [i, p] of report.periods.entries()) {
    const sim = JSON.parse(simulate(JSON.stringify(p.scenario))) as { statements: Array<{ parties: string[], lines: ReportLine[] }> }
    for (const st of p.statements) {
      const mine = sim.statements.find(x => x.parties.includes(st.border[0]) && x.parties.includes(st.border[1]))
      const want = canon(st.lines)
      const got = canon(mine?.lines ?? [])
      for (const [j, w] of want.entries()) {
        if (got[j] !== w) throw new Error(`report check failed: period ${i} border ${st.border.join('-')}: statement line ${w}, simulate gives ${got[j] ?? 'nothing'}`)
      }
      if (got.length !== want.length) throw new Error(`report check failed: period ${i} border ${st.border.join('-')}: ${want.length} statement lines, simulate gives ${got.length}`)
      lines += want.length
      for (const l of st.lines) {
        kinds[l.kind] = (kinds[l.kind] ?? 0) + 1
        if (Object.values(l.factors).some(f => f !== '1')) kinds['SLA-adjusted']!++
      }
      if (new Set(st.lines.filter(l => l.kind === 'usage').map(l => JSON.stringify(l.tariffs))).size > 1) kinds['tariff-change']!++
    }
  }
  for (const k of ['message-fee', 'period-fee']) if (kinds[k] === 0) throw new Error(`report check failed: no ${k} line in any statement`)
  return { lines, kinds }
}

async function printSummary (running: Running[], report: Report): Promise<void> {
  out('\nCo-signed settlements (each line: the statement both neighbours signed for that period and border)')
  out(`${'period (UTC)'.padEnd(21)} ${'border'.padEnd(22)} ${'who pays whom'.padEnd(28)} ${'amount'.padStart(12)}`)
  const byBorderSide = new Map<string, StatementView[]>()
  for (const r of running) byBorderSide.set(r.name, await getAll<StatementView>(`${r.url}/v1/statements`))
  for (const p of report.periods) {
    const when = new Date(p.period.start).toISOString().slice(11, 19) + '–' + new Date(p.period.end).toISOString().slice(11, 19)
    for (const b of DEMO_BORDERS) {
      const s = (byBorderSide.get(b.a) ?? []).find(x => x.neighbour === b.b && x.period.start === p.period.start)
      if (s === undefined) continue
      out(`${when.padEnd(21)} ${`${b.a} ↔ ${b.b}`.padEnd(22)} ${`${s.payer} pays ${s.payee}`.padEnd(28)} ${s.amount.padStart(12)} ${s.currency}`)
    }
  }
  out('\nBrokerage view (per operator and class, all settled periods: charged to originators = retained + paid to terminators)')
  for (const r of running) {
    const views = await getJson<Array<{ periodStart: number, currency?: string, classes?: Array<{ class: string, chargedToOriginators: string, paidToTerminators: string, retained: string, factors: Record<string, string[]> }>, error?: string }>>(`${r.url}/v1/brokerage`)
    const last = views.filter(v => report.periods.some(p => p.period.start === v.periodStart))
    for (const v of last) {
      for (const c of v.classes ?? []) {
        const f = Object.entries(c.factors).filter(([, fs]) => fs.some(x => x !== '1')).map(([n, fs]) => `${n} ×${fs.join('/')}`).join(', ')
        out(`${r.name.padEnd(10)} ${new Date(v.periodStart).toISOString().slice(11, 19)} ${c.class.padEnd(3)} charged ${c.chargedToOriginators.padStart(10)}  paid ${c.paidToTerminators.padStart(10)}  retained ${c.retained.padStart(10)} ${v.currency ?? ''}${f !== '' ? `  (SLA: ${f})` : ''}`)
      }
    }
  }
}
