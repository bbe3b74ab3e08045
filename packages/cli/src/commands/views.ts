/** `splitedge statements` and `splitedge ledger`: read-only views of a running agent. */
import type { Command } from 'commander'
import { addTargetOptions, apiUrl, call, callAll, type ApiTarget } from '../api-client.js'

interface Statement { neighbour: string, period: { start: number, end: number }, payer: string, payee: string, amount: string, currency: string, id: string }

export function register (program: Command): void {
  addTargetOptions(program.command('statements').description('co-signed settlement statements'))
    .option('-n, --neighbour <name>', 'only this neighbour')
    .option('--json', 'print JSON')
    .action(async (opts: ApiTarget & { neighbour?: string, json?: boolean }) => {
      const list = await callAll(await apiUrl(opts), `/v1/statements${opts.neighbour !== undefined ? `?neighbour=${encodeURIComponent(opts.neighbour)}` : ''}`) as Statement[]
      if (opts.json === true) { process.stdout.write(JSON.stringify(list, null, 2) + '\n'); return }
      if (list.length === 0) { process.stdout.write('no co-signed statements yet\n'); return }
      for (const s of list) {
        process.stdout.write(`${new Date(s.period.start).toISOString()}  ${s.neighbour.padEnd(16)} ${s.payer} pays ${s.payee} ${s.amount} ${s.currency}  ${s.id}\n`)
      }
    })
  addTargetOptions(program.command('ledger').description('double-entry ledger balances per neighbour'))
    .option('--json', 'print JSON (balances and entries)')
    .action(async (opts: ApiTarget & { json?: boolean }) => {
      const l = await call(await apiUrl(opts), '/v1/ledger') as { balances: Array<{ account: string, currency: string, net: string }>, check: { ok: boolean, problems: string[] } }
      if (opts.json === true) { process.stdout.write(JSON.stringify(l, null, 2) + '\n'); return }
      for (const b of l.balances) process.stdout.write(`${b.account.padEnd(70)} ${b.net.padStart(16)} ${b.currency}\n`)
      process.stdout.write(l.check.ok ? 'ledger balances (sum of all accounts is zero)\n' : `LEDGER PROBLEMS: ${l.check.problems.join('; ')}\n`)
    })
}
