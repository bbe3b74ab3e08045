/**
 * `splitedge demo` (the main job, `npm start`): a local network of five operators, each its own
 * agent process on loopback — two edge ISPs, two transit networks that peer with each other, and
 * a backbone — publishing tariffs, attesting synthetic traffic at every border and settling
 * bilaterally for several periods, plus a clearing intermediary serving the two edge ISPs that
 * clears one flow whose sender pays for both ends. It prints progress, a table of every co-signed
 * settlement and each operator's brokerage view, and writes `report.json`, which restates every
 * settled period in docs/pricing.md, "splitedge simulate"'s scenario format next to the co-signed
 * statement lines, so anyone can check the money with `splitedge simulate` (the demo does that
 * check itself before it exits). The steps are in ../demo/.
 */
import type { Command } from 'commander'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { loadKeyFile } from '@splitedge/wire'
import { call } from '../api-client.js'
import { untilStopSignal } from '../exit.js'
import { keySigner, runClearingFlow } from '../demo/clearing-flow.js'
import { DEMO_BORDERS, DEMO_CLEARED, DEMO_OPERATORS } from '../demo/network.js'
import { out } from '../demo/out.js'
import { spawnNode, stopAll, waitHealthy, type Running } from '../demo/processes.js'
import { waitForPeriods, type Clock, type Goal } from '../demo/progress.js'
import { buildReport, checkReport } from '../demo/report.js'
import { writeDemoFiles, type DemoFiles } from '../demo/setup.js'
import { printSummary } from '../demo/summary.js'

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

const int = (s: string, name: string, min: number): number => {
  const n = Number(s)
  if (!Number.isSafeInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}, got ${JSON.stringify(s)}`)
  return n
}

/** The started network: the operators' agents and the clearer. */
interface Network { agents: Running[], clearer: Running }

export async function runDemo (opts: Options): Promise<void> {
  const goal: Goal = {
    intervalMs: int(opts.intervalMs, 'interval-ms', 200),
    periodIntervals: int(opts.periodIntervals, 'period-intervals', 1),
    periods: int(opts.periods, 'periods', 1),
    timeoutMs: int(opts.timeout, 'timeout', 10) * 1000,
    dir: resolve(opts.dir)
  }
  const { dir } = goal
  await rm(dir, { recursive: true, force: true })
  await mkdir(dir, { recursive: true })
  out(`splitedge demo: ${DEMO_OPERATORS.length} operators, ${DEMO_BORDERS.length} borders, ${goal.intervalMs} ms intervals, ${goal.periodIntervals} intervals per period; working in ${dir}`)
  const files = await writeDemoFiles(dir, goal)
  const started: Running[] = []
  const onSignal = (): void => { void stopAll(started).then(() => process.exit(130)) }
  process.once('SIGINT', onSignal)
  try {
    const net = await startNetwork(dir, files, started)
    const clock: Clock = { started: Date.now(), deadline: Date.now() + goal.timeoutMs }
    await waitHealthy([...net.agents, net.clearer], clock.deadline)
    out(`all ${net.agents.length} agents and the clearer healthy; tariffs published; waiting for ${goal.periods} complete settlement periods on every border`)
    out(`dashboards: ${dashboards(net)}`)
    out(`write token (paste it into a dashboard's Token box to act): ${files.tokenPath}`)
    const changePeriod = await waitForPeriods(net.agents, goal, clock, files.token)
    const report = await buildReport(net.agents, goal.periodIntervals, goal.periods, goal.intervalMs, changePeriod)
    if (report.periods.length < goal.periods) throw new Error(`only ${report.periods.length} of ${goal.periods} periods are complete on every border; logs are in ${dir}`)
    await printSummary(net.agents, report)
    await clearOneFlow(net.clearer, files, goal, clock.deadline)
    const reportPath = join(dir, 'report.json')
    await writeFile(reportPath, JSON.stringify(report, null, 2) + '\n')
    // Independent check: the model, fed the report's scenarios, reproduces every statement line.
    const checked = checkReport(report)
    out(`\ncheck: splitedge simulate on report.json reproduces all ${checked.lines} statement lines of ${report.periods.length} periods exactly (${Object.entries(checked.kinds).map(([k, n]) => `${n} ${k}`).join(', ')})`)
    out(`report: ${reportPath}`)
    out(`logs, configs, keys and stores: ${dir}`)
    if (opts.keep === true) {
      process.off('SIGINT', onSignal)
      await keepRunning(net, files.tokenPath)
    }
  } finally {
    process.off('SIGINT', onSignal)
    await stopAll(started)
  }
}

/** Start every agent, then the clearer, each as its own process; `started` lists them as they start. */
async function startNetwork (dir: string, files: DemoFiles, started: Running[]): Promise<Network> {
  for (const op of DEMO_OPERATORS) started.push(await spawnNode(dir, files, op.name, 'agent'))
  const agents = [...started]
  const clearer = await spawnNode(dir, files, 'clearer', 'clearer')
  started.push(clearer)
  return { agents, clearer }
}

const dashboards = (net: Network): string => [...net.agents, net.clearer].map(r => `${r.name} ${r.url}/`).join(' · ')

/** Clearing: edge-a's customer calls edge-b's customer and pays for both ends. */
async function clearOneFlow (clearer: Running, files: DemoFiles, goal: Goal, deadline: number): Promise<void> {
  out('\nClearing (a flow whose sender pays for both ends, cleared through the clearer without touching the transits)')
  for (;;) {
    const books = await call(clearer.url, '/v1/tariffs').catch(() => [])
    if (Array.isArray(books) && books.length >= DEMO_CLEARED.length) break
    if (Date.now() > deadline) throw new Error(`the clearer has not received the edge operators' tariffs; see ${clearer.log}`)
    await sleep(250)
  }
  const flow = await runClearingFlow({
    clearer: clearer.url,
    token: files.token,
    sender: keySigner(await loadKeyFile(join(goal.dir, 'edge-a.key'))),
    receiver: keySigner(await loadKeyFile(join(goal.dir, 'edge-b.key'))),
    settleTimeoutMs: Math.max(30_000, 4 * goal.intervalMs * goal.periodIntervals)
  })
  for (const line of flow.summary) out(`  ${line}`)
  if (!flow.settled) throw new Error(`the cleared flow did not settle in time; see ${clearer.log}`)
}

/** --keep: leave the network up for the dashboards until Ctrl-C (or SIGTERM). */
async function keepRunning (net: Network, tokenPath: string): Promise<void> {
  out(`\n--keep: the network keeps running. Dashboards: ${dashboards(net)}`)
  out(`Writes need the token in ${tokenPath} (paste it into the Token box of a dashboard). Ctrl-C stops it.`)
  await untilStopSignal()
}
