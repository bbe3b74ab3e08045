/**
 * `splitedge simulate FILE.json`: evaluate a scenario (docs/pricing.md, "splitedge simulate") and print the output
 * JSON on stdout. `-` reads the scenario from stdin. Bad input: one line on stderr naming the
 * field, exit 1; never a stack trace.
 */
import { readFile } from 'node:fs/promises'
import type { Command } from 'commander'
import { isModelError, simulate } from '@splitedge/model'
import { EXIT_FAILURE, oneLine } from '../exit.js'

export function register (program: Command): void {
  program
    .command('simulate')
    .description('evaluate a split-edge scenario file and print surpluses and border nets as JSON')
    .argument('<file>', 'scenario JSON file, or - for stdin')
    .action(async (file: string) => {
      const r = await runSimulate(file)
      if (r.ok) process.stdout.write(r.output)
      else {
        process.stderr.write(`splitedge simulate: ${oneLine(r.error)}\n`)
        process.exitCode = EXIT_FAILURE
      }
    })
}

export type SimulateResult = { ok: true, output: string } | { ok: false, error: string }

/** Read, parse and evaluate; every failure becomes one message (`field: problem`). */
export async function runSimulate (file: string): Promise<SimulateResult> {
  let text: string
  try {
    text = file === '-' ? await readStdin() : await readFile(file, 'utf8')
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    return { ok: false, error: `${file}: cannot read${code !== undefined ? ` (${code})` : ''}` }
  }
  try {
    return { ok: true, output: simulate(text) }
  } catch (e) {
    if (isModelError(e)) return { ok: false, error: e.message }
    if (e instanceof SyntaxError) return { ok: false, error: `${file === '-' ? 'stdin' : file}: invalid JSON: ${e.message}` }
    return { ok: false, error: `internal error: ${e instanceof Error ? e.message : String(e)}` }
  }
}

async function readStdin (): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}
