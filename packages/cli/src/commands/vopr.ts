/**
 * `splitedge vopr`: a seeded fault simulation of a network of real agents (packages/sim, docs/
 * simulation.md). Progress on stderr; the last line of stdout is one JSON object; exit 0 if and
 * only if every checker held. A failing run prints the command that replays it.
 */
import type { Command } from 'commander'
import { BREAK_NAMES, FAULTS, runVopr, type Fault } from '@splitedge/sim'
import type { Defect } from '@splitedge/agent'

interface Opts { seed?: string, agents: string, intervals: string, faults?: string, break?: string, listBreaks?: boolean }

function parseFaults (list: string | undefined): Set<Fault> {
  if (list === undefined || list === 'all') return new Set(FAULTS)
  if (list === 'none') return new Set()
  const out = new Set<Fault>()
  for (const f of list.split(',').map(s => s.trim()).filter(s => s !== '')) {
    if (!(FAULTS as readonly string[]).includes(f)) throw new Error(`--faults: unknown fault "${f}" (use ${FAULTS.join(', ')}, all or none)`)
    out.add(f as Fault)
  }
  return out
}

function whole (v: string, name: string, min: number, max: number): number {
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw new Error(`--${name}: a whole number from ${min} to ${max}, got ${v}`)
  return Number(v)
}

export function register (program: Command): void {
  program
    .command('vopr')
    .description('run real agents under seeded faults on a simulated network and check that nothing is lost, doubled or disagreed')
    .option('--seed <n>', 'the seed: the same seed replays the same run')
    .option('--agents <n>', 'agents on a ring', '4')
    .option('--intervals <n>', 'intervals with faults, before the faults stop and liveness is checked', '24')
    .option('--faults <list>', `comma-separated: ${FAULTS.join(', ')} (default all; none for a clean run)`)
    .option('--break <name>', 'switch on one deliberate defect in the agent, to see its checker fail')
    .option('--list-breaks', 'print the names of the deliberate defects, one per line')
    .action(async (opts: Opts) => {
      if (opts.listBreaks === true) { process.stdout.write(BREAK_NAMES.join('\n') + '\n'); return }
      if (opts.break !== undefined && !(BREAK_NAMES as readonly string[]).includes(opts.break)) throw new Error(`--break: unknown defect "${opts.break}" (see --list-breaks)`)
      const seed = opts.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : whole(opts.seed, 'seed', 0, 2 ** 31 - 1)
      const faults = parseFaults(opts.faults)
      let shown = -1
      const r = await runVopr({
        seed, agents: whole(opts.agents, 'agents', 2, 64), intervals: whole(opts.intervals, 'intervals', 3, 10_000), faults,
        ...(opts.break !== undefined ? { break: opts.break as Defect } : {}),
        progress: (done, total) => {
          const pct = Math.floor(100 * done / total / 10) * 10
          if (pct > shown) { shown = pct; process.stderr.write(`vopr seed ${seed}: ${pct}% of virtual time\n`) }
        }
      })
      if (!r.ok) {
        for (const v of r.violations) process.stderr.write(`violation [${v.checker}] ${v.detail}\n`)
        const args = [`--seed ${seed}`, `--agents ${r.agents}`, `--intervals ${r.intervals}`, ...(opts.faults !== undefined ? [`--faults ${opts.faults}`] : []), ...(opts.break !== undefined ? [`--break ${opts.break}`] : [])]
        process.stderr.write(`replay: npx splitedge vopr ${args.join(' ')}\n`)
        process.exitCode = 1
      }
      const { logDigest: _d, ...summary } = r
      process.stdout.write(JSON.stringify(summary) + '\n')
    })
}
