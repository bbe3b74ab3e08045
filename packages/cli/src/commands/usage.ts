/** `splitedge usage push|show|discard`: feed measured counters to a running agent, look at them, drop bad ones. */
import type { Command } from 'commander'
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { addTargetOptions, apiUrl, call, callWithHeaders, type ApiTarget } from '../api-client.js'

interface UsageShown {
  neighbour: string, source: string, unit: string | null, intervalStart: number, intervalLengthMs: number
  reported: boolean, state: 'open' | 'closed', closedBy?: string
  lines: Array<{ class: string, direction: string, volume: string, messages?: number, octets?: number, packets?: number, records?: number }>
  metrics: Array<{ class: string, subject: string, metric: string, value: string }>
}

/** Rows as aligned columns, each line ending with a space before the newline (easy to match). */
function table (rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map(r => (r[i] ?? '').length)))
  return rows.map(r => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ') + ' \n').join('')
}

interface PushOpts extends ApiTarget { neighbour?: string, class?: string, direction?: string, volume?: string, messages?: string, time?: string, interval?: string, file?: string, id?: string, key?: string }

/** The pushes in a JSON array or JSONL file. */
async function readPushFile (file: string): Promise<unknown[]> {
  const text = await readFile(file, 'utf8').catch((err: Error) => { throw new Error(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? err.message})`) })
  const trimmed = text.trim()
  if (trimmed.startsWith('[')) {
    try { return JSON.parse(trimmed) as unknown[] } catch { throw new Error(`${file}: not a JSON array`) }
  }
  return trimmed.split(/\r?\n/).filter(l => l.trim() !== '').map((l, i) => { try { return JSON.parse(l) as unknown } catch { throw new Error(`${file}:${i + 1}: not JSON`) } })
}

function onePush (opts: PushOpts): Record<string, unknown> {
  for (const k of ['neighbour', 'class', 'direction', 'volume'] as const) if (opts[k] === undefined) throw new Error(`--${k} is required (or give --file)`)
  return {
    neighbour: opts.neighbour, class: opts.class, direction: opts.direction, volume: opts.volume,
    ...(opts.messages !== undefined ? { messages: Number(opts.messages) } : {}),
    ...(opts.time !== undefined ? { time: Number(opts.time) } : {}),
    ...(opts.interval !== undefined ? { intervalStart: Number(opts.interval) } : {}),
    ...(opts.id !== undefined ? { id: opts.id } : {})
  }
}

/**
 * Push once, and once more if the answer was lost on the way: the request carries an
 * Idempotency-Key (given, or the digest of the file), so the retry cannot count twice.
 */
async function pushWithRetry (url: string, body: string, key: string | undefined): Promise<{ accepted: number, duplicates: number, replayed: boolean }> {
  const init = { method: 'POST', body, type: 'application/json', ...(key !== undefined ? { headers: { 'idempotency-key': key } } : {}) }
  const once = async (): Promise<{ accepted: number, duplicates: number, replayed: boolean }> => {
    const r = await callWithHeaders(url, '/v1/usage', init)
    return { ...(r.body as { accepted: number, duplicates: number }), replayed: r.headers.get('idempotent-replayed') === 'true' }
  }
  try {
    return await once()
  } catch (err) {
    if (key === undefined || !/cannot reach/.test((err as Error).message)) throw err
    return await once()
  }
}

export function register (program: Command): void {
  const usage = program.command('usage').description('feed measured usage to an agent, look at it, drop bad counters')
  addTargetOptions(usage.command('push')
    .description('push one counter (--neighbour --class --direction --volume) or a JSON/JSONL file of them'))
    .option('-n, --neighbour <name>', 'neighbour name or PeerId')
    .option('--class <id>', 'class of service, e.g. be')
    .option('--direction <in|out>', 'out: we sent it into the neighbour; in: we received it')
    .option('--volume <decimal>', 'volume in the tariff\'s unit, e.g. 1500000')
    .option('--messages <n>', 'number of messages (for per-message fees)')
    .option('--time <ms>', 'a time inside the interval, ms since the epoch (default: now)')
    .option('--interval <ms>', 'the interval\'s start instead of --time')
    .option('--id <id>', 'idempotency id of this counter: pushing it again counts it once')
    .option('-f, --file <file>', 'a JSON array or JSONL file of pushes (pushed once: its digest is the Idempotency-Key)')
    .option('--key <key>', 'Idempotency-Key for the request (default for --file: the file\'s digest)')
    .action(async (opts: PushOpts) => {
      const items = opts.file !== undefined ? await readPushFile(opts.file) : [onePush(opts)]
      const body = JSON.stringify(items)
      const key = opts.key ?? (opts.file !== undefined ? `file-sha256:${createHash('sha256').update(body).digest('hex')}` : undefined)
      const r = await pushWithRetry(await apiUrl(opts), body, key)
      if (r.replayed) process.stdout.write(`already pushed: this request was counted before (accepted ${r.accepted}); nothing was added\n`)
      else process.stdout.write(`accepted ${r.accepted}${r.duplicates > 0 ? `, ${r.duplicates} already counted` : ''}\n`)
    })
  addTargetOptions(usage.command('show').description('the counters an agent holds for one interval with a neighbour (any source: pushes, a file, the flow collector)'))
    .requiredOption('-n, --neighbour <name>', 'neighbour name or PeerId')
    .option('-i, --interval <ms>', 'the interval\'s start, ms since the epoch (default: the current interval)')
    .option('--json', 'print the agent\'s JSON answer')
    .action(async (opts: ApiTarget & { neighbour: string, interval?: string, json?: boolean }) => {
      if (opts.interval !== undefined && !/^\d+$/.test(opts.interval)) throw new Error(`--interval must be an interval start in ms since the epoch, got ${opts.interval}`)
      const q = new URLSearchParams({ neighbour: opts.neighbour, ...(opts.interval !== undefined ? { interval: opts.interval } : {}) })
      const v = await call(await apiUrl(opts), `/v1/usage?${q.toString()}`) as UsageShown
      if (opts.json === true) { process.stdout.write(JSON.stringify(v, null, 2) + '\n'); return }
      process.stdout.write(`neighbour ${v.neighbour}, interval ${new Date(v.intervalStart).toISOString()} (${v.intervalStart}, ${v.intervalLengthMs} ms), source ${v.source}, unit ${v.unit ?? '(no tariff yet)'}, ${v.reported ? 'reported to the neighbour (final)' : v.state === 'closed' ? `closed (${v.closedBy ?? ''})` : 'not reported yet'}\n`)
      if (v.lines.length === 0 && v.metrics.length === 0) { process.stdout.write('no usage counted\n'); return }
      const flows = v.lines.some(l => l.octets !== undefined)
      const rows = [['class', 'direction', 'volume', ...(flows ? ['octets', 'packets', 'records'] : [])]]
      for (const l of v.lines) rows.push([l.class, l.direction, l.volume, ...(flows ? [String(l.octets ?? ''), String(l.packets ?? ''), String(l.records ?? '')] : [])])
      process.stdout.write(table(rows))
      for (const m of v.metrics) process.stdout.write(`${m.class} ${m.subject} ${m.metric} = ${m.value}\n`)
    })
  addTargetOptions(usage.command('discard').description('drop counters of an interval not yet reported (or one closed as unreportable)'))
    .requiredOption('-n, --neighbour <name>', 'neighbour name or PeerId')
    .requiredOption('--interval <ms>', 'the interval\'s start, ms since the epoch')
    .option('--class <id...>', 'only these classes (default: every counter of the interval)')
    .action(async (opts: ApiTarget & { neighbour: string, interval: string, class?: string[] }) => {
      const body = JSON.stringify({ neighbour: opts.neighbour, intervalStart: Number(opts.interval), ...(opts.class !== undefined ? { classes: opts.class } : {}) })
      const r = await call(await apiUrl(opts), '/v1/usage/discard', { method: 'POST', body, type: 'application/json' }) as { discarded: number, reopened: boolean }
      process.stdout.write(`discarded ${r.discarded} counter${r.discarded === 1 ? '' : 's'}${r.reopened ? '; the interval is open again and will be reported' : ''}\n`)
    })
}
