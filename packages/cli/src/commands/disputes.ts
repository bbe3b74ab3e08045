/**
 * `splitedge disputes`: list an agent's usage and settlement disputes; `splitedge disputes revise`:
 * resolve a usage dispute on our side by revising our figures for the interval, either adopting the
 * neighbour's (`--accept`) or giving corrected absolute ones (`--line class:direction:volume`). The
 * agent signs a new report revision and runs the border protocol again; it refuses once the
 * interval's period is settled (statements are immutable), and takes revisions from loopback only.
 */
import type { Command } from 'commander'
import { addTargetOptions, apiUrl, call, callAll, type ApiTarget } from '../api-client.js'

interface Dispute { kind: string, neighbour: string, key: string, status: string, opened: number, detail: { differences?: Array<{ key: string, ours: string | null, theirs: string | null }> } }
interface ReviseOpts extends ApiTarget { neighbour?: string, interval?: string, accept?: boolean, line?: string[] }

/** `class:direction:volume[:messages]`, e.g. `be:out:1500000`. */
export function parseLine (text: string): { class: string, direction: string, volume: string, messages?: number } {
  const parts = text.split(':')
  const [cls, direction, volume, messages] = parts
  if (parts.length < 3 || parts.length > 4 || cls === undefined || cls === '' || direction === undefined || volume === undefined || volume === '') {
    throw new Error(`--line ${text}: expected class:direction:volume[:messages], e.g. be:out:1500000`)
  }
  if (direction !== 'in' && direction !== 'out') throw new Error(`--line ${text}: direction must be in or out`)
  if (messages !== undefined && !/^[0-9]+$/.test(messages)) throw new Error(`--line ${text}: messages must be a whole number`)
  return { class: cls, direction, volume, ...(messages !== undefined ? { messages: Number(messages) } : {}) }
}

export function register (program: Command): void {
  const disputes = addTargetOptions(program.command('disputes').description('usage and settlement disputes (and resolving usage ones: disputes revise)'))
    .option('--json', 'print JSON')
    .action(async (opts: ApiTarget & { json?: boolean }) => {
      const list = await callAll(await apiUrl(opts), '/v1/disputes') as Dispute[]
      if (opts.json === true) { process.stdout.write(JSON.stringify(list, null, 2) + '\n'); return }
      if (list.length === 0) { process.stdout.write('no disputes\n'); return }
      for (const d of list) {
        const start = Number(d.key)
        const diffs = (d.detail?.differences ?? []).map(x => `${x.key}: ours ${x.ours ?? '-'} theirs ${x.theirs ?? '-'}`).join('; ')
        process.stdout.write(`${d.status.padEnd(8)} ${d.kind.padEnd(10)} ${d.neighbour.padEnd(16)} ${Number.isFinite(start) ? `${new Date(start).toISOString()} (${start})` : d.key}${diffs !== '' ? `  ${diffs}` : ''}\n`)
      }
    })
  addTargetOptions(disputes.command('revise')
    .description('resolve a usage dispute here: adopt the neighbour\'s figures (--accept) or give corrected ones (--line ...)'))
    .requiredOption('-n, --neighbour <name>', 'neighbour name or PeerId')
    .requiredOption('-i, --interval <start>', 'start of the disputed interval, ms since the epoch (as listed by splitedge disputes)')
    .option('--accept', 'adopt the neighbour\'s reported figures')
    .option('--line <class:direction:volume[:messages]>', 'a corrected absolute figure for the interval (repeat per class and direction)', (v: string, prev: string[] = []) => [...prev, v])
    .action(async (_opts: ReviseOpts, cmd: Command) => {
      // --config/--url may be parsed by the parent `disputes` command: read them from both.
      const opts = cmd.optsWithGlobals<ReviseOpts>()
      const lines = opts.line ?? []
      if ((opts.accept === true) === (lines.length > 0)) throw new Error('give either --accept or one or more --line class:direction:volume')
      const intervalStart = Number(opts.interval)
      if (!Number.isSafeInteger(intervalStart) || intervalStart < 0) throw new Error(`--interval ${opts.interval ?? ''}: must be an interval start in ms since the epoch`)
      const body = { neighbour: opts.neighbour, intervalStart, ...(opts.accept === true ? { accept: true } : { lines: lines.map(parseLine) }) }
      const r = await call(await apiUrl(opts), '/v1/disputes/revise', { method: 'POST', body: JSON.stringify(body), type: 'application/json' }) as { neighbour: string, revision: number, report: string, lines: Array<{ class: string, from: string, to: string, volume: string }> }
      process.stdout.write(`revised our report for ${r.neighbour} interval ${intervalStart} (revision ${r.revision}, ${r.report}); the border protocol runs again\n`)
    })
}
