/** `splitedge usage push`: push measured counters to a running agent. */
import type { Command } from 'commander'
import { readFile } from 'node:fs/promises'
import { addTargetOptions, apiUrl, call, type ApiTarget } from '../api-client.js'

interface Opts extends ApiTarget { neighbour?: string, class?: string, direction?: string, volume?: string, messages?: string, time?: string, file?: string }

export function register (program: Command): void {
  const usage = program.command('usage').description('feed measured usage to an agent')
  addTargetOptions(usage.command('push')
    .description('push one counter (--neighbour --class --direction --volume) or a JSON/JSONL file of them'))
    .option('-n, --neighbour <name>', 'neighbour name or PeerId')
    .option('--class <id>', 'class of service, e.g. be')
    .option('--direction <in|out>', 'out: we sent it into the neighbour; in: we received it')
    .option('--volume <decimal>', 'volume in the tariff\'s unit, e.g. 1500000')
    .option('--messages <n>', 'number of messages (for per-message fees)')
    .option('--time <ms>', 'a time inside the interval, ms since the epoch (default: now)')
    .option('-f, --file <file>', 'a JSON array or JSONL file of pushes')
    .action(async (opts: Opts) => {
      let body: string
      if (opts.file !== undefined) {
        const text = await readFile(opts.file, 'utf8').catch((err: Error) => { throw new Error(`${opts.file ?? ''}: cannot read (${(err as NodeJS.ErrnoException).code ?? err.message})`) })
        const trimmed = text.trim()
        const items = trimmed.startsWith('[')
          ? JSON.parse(trimmed) as unknown[]
          : trimmed.split(/\r?\n/).filter(l => l.trim() !== '').map((l, i) => { try { return JSON.parse(l) as unknown } catch { throw new Error(`${opts.file ?? ''}:${i + 1}: not JSON`) } })
        body = JSON.stringify(items)
      } else {
        for (const k of ['neighbour', 'class', 'direction', 'volume'] as const) if (opts[k] === undefined) throw new Error(`--${k} is required (or give --file)`)
        body = JSON.stringify({
          neighbour: opts.neighbour, class: opts.class, direction: opts.direction, volume: opts.volume,
          ...(opts.messages !== undefined ? { messages: Number(opts.messages) } : {}),
          ...(opts.time !== undefined ? { time: Number(opts.time) } : {})
        })
      }
      const r = await call(await apiUrl(opts), '/v1/usage', { method: 'POST', body, type: 'application/json' }) as { accepted: number }
      process.stdout.write(`accepted ${r.accepted}\n`)
    })
}
