/**
 * `splitedge clearer --config CLEARER.yaml`: run a clearing intermediary until SIGINT or SIGTERM.
 * `splitedge clearing <view>`: talk to a running clearer's HTTP API (quote, receipts, statements,
 * ledger, directory, evidence, settle), found by `--url` or by its config file.
 */
import type { Command } from 'commander'
import { Clearer, ClearerClient, loadClearerConfig, type Apportion, type End } from '@splitedge/clearing'
import { untilStopSignal } from '../exit.js'

interface Target { url?: string, config?: string, json?: boolean }

async function clientOf (t: Target): Promise<ClearerClient> {
  if (t.url !== undefined) return new ClearerClient(t.url.replace(/\/$/, ''))
  if (t.config === undefined) throw new Error('say which clearer: --config CLEARER.yaml or --url http://HOST:PORT')
  const c = await loadClearerConfig(t.config)
  if (c.http === undefined) throw new Error(`${t.config}: http is not configured, so the clearer has no API (fix: add http: { host: 127.0.0.1, port: 8480 })`)
  const host = c.http.host === '0.0.0.0' || c.http.host === '::' ? '127.0.0.1' : c.http.host
  return new ClearerClient(`http://${host.includes(':') ? `[${host}]` : host}:${c.http.port}`)
}

const print = (v: unknown): void => { process.stdout.write(JSON.stringify(v, null, 2) + '\n') }

function target (cmd: Command): Command {
  return cmd.option('-u, --url <url>', 'the clearer\'s HTTP API, e.g. http://127.0.0.1:8480')
    .option('-c, --config <file>', 'the clearer\'s config (YAML), to find its API')
}

/** `--end OPERATOR:sender` pairs and `--apportion sender-pays|receiver-pays|OP=PCT,OP=PCT`. */
function parseQuote (ends: string[], apportion: string): { ends: End[], apportion: Apportion } {
  const list = ends.map(e => {
    const [operator, role] = e.split(':')
    if (operator === undefined || (role !== 'sender' && role !== 'receiver')) throw new Error(`--end ${e}: expected PEERID:sender or PEERID:receiver`)
    return { operator, role } as End
  })
  if (apportion === 'sender-pays' || apportion === 'receiver-pays') return { ends: list, apportion: { kind: apportion } }
  const shares: Record<string, string> = {}
  for (const p of apportion.split(',')) {
    const [op, pct] = p.split('=')
    if (op === undefined || pct === undefined) throw new Error(`--apportion ${apportion}: expected sender-pays, receiver-pays or PEERID=PERCENT,...`)
    shares[op] = pct
  }
  return { ends: list, apportion: { kind: 'shares', shares } }
}

export function register (program: Command): void {
  program
    .command('clearer')
    .description('run a clearing intermediary: follow operators\' tariffs, quote, clear receipts, settle per period')
    .requiredOption('-c, --config <file>', 'clearer config (YAML); see packages/clearing/src/config.ts')
    .action(async (opts: { config: string }) => {
      const config = await loadClearerConfig(opts.config)
      const clearer = await Clearer.start({ config })
      process.stderr.write(`splitedge clearer ${config.name}: ${clearer.peerId} listening on ${clearer.listening().join(' ')}${clearer.url !== undefined ? `, API ${clearer.url}` : ''}; clears for ${config.operators.map(o => o.name).join(', ')}\n`)
      await untilStopSignal()
      await clearer.stop()
    })

  const clearing = program.command('clearing').description('views and requests of a running clearer')
  target(clearing.command('quote').description('ask for a signed end-to-end quote'))
    .requiredOption('-e, --end <peer:role...>', 'an end: its operator\'s PeerId and sender or receiver (give two or more)')
    .requiredOption('--class <id>', 'class of service, e.g. be')
    .requiredOption('--volume <n>', 'volume in the tariffs\' unit')
    .option('-a, --apportion <how>', 'sender-pays, receiver-pays, or PEERID=PERCENT,...', 'sender-pays')
    .action(async (opts: Target & { end: string[], class: string, volume: string, apportion: string }) => {
      const q = await (await clientOf(opts)).quote({ ...parseQuote(opts.end, opts.apportion), class: opts.class, volume: opts.volume })
      print({ total: q.total, currency: q.quote.currency, margin: q.quote.margin, charges: q.quote.charges, tariffs: q.quote.tariffs, expires: new Date(q.quote.expires).toISOString(), encoded: q.encoded })
    })
  target(clearing.command('receipts').description('receipts cleared')).action(async (opts: Target) => { print(await (await clientOf(opts)).receipts()) })
  target(clearing.command('statements').description('co-signed clearing statements with each operator')).action(async (opts: Target) => { print(await (await clientOf(opts)).statements()) })
  target(clearing.command('ledger').description('the clearer\'s double-entry ledger')).action(async (opts: Target) => { print(await (await clientOf(opts)).ledger()) })
  target(clearing.command('audit').description('check the ledger balances and matches every statement')).action(async (opts: Target) => {
    const a = await (await clientOf(opts)).audit()
    print(a)
    if (!a.ok) process.exitCode = 1
  })
  target(clearing.command('directory').description('clearers serving all of the given operators'))
    .option('-o, --operator <peer...>', 'operator PeerIds', [])
    .action(async (opts: Target & { operator: string[] }) => { print(await (await clientOf(opts)).directory(opts.operator)) })
  target(clearing.command('evidence').description('evidence that a cleared receipt was settled with its operator'))
    .requiredOption('-r, --receipt <id>', 'the receipt\'s document id')
    .action(async (opts: Target & { receipt: string }) => { print(await (await clientOf(opts)).evidence(opts.receipt)) })
  target(clearing.command('settle').description('settle every closed period now (loopback only)')).action(async (opts: Target) => { print(await (await clientOf(opts)).settle()) })
}
