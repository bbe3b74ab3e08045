/** `splitedge tariff publish FILE.yaml` and `splitedge tariff show`: an operator's tariff. */
import type { Command } from 'commander'
import { readFile } from 'node:fs/promises'
import { parse as parseYaml } from 'yaml'
import { checkTariffFile, tariffNeighbourKeys } from '@splitedge/agent'
import { addTargetOptions, apiUrl, call, callAll, type ApiTarget } from '../api-client.js'

export function register (program: Command): void {
  const tariff = program.command('tariff').description('publish or show tariffs')
  addTargetOptions(tariff.command('publish')
    .description('sign a tariff YAML with the agent\'s key and gossip it to the neighbours')
    .argument('<file>', 'tariff YAML (see "Running an agent" in the README)'))
    .option('--check', 'only check the file, do not publish')
    .action(async (file: string, opts: ApiTarget & { check?: boolean }) => {
      const text = await readFile(file, 'utf8').catch((err: Error) => { throw new Error(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? err.message})`) })
      let raw: unknown
      try { raw = parseYaml(text) } catch (err) { throw new Error(`${file}: not valid YAML: ${(err as Error).message}`) }
      // Check the shape here for a quick answer; neighbour names are resolved by the agent.
      const names = new Map(tariffNeighbourKeys(raw).map(k => [k, k]))
      try { checkTariffFile(raw, names, {}) } catch (err) { throw new Error(`${file}: ${(err as Error).message}`) }
      if (opts.check === true) { process.stdout.write(`${file}: ok\n`); return }
      const r = await call(await apiUrl(opts), '/v1/tariff', { method: 'POST', body: text, type: 'application/yaml' }) as { id: string, seq: number, status: string }
      process.stdout.write(`${r.status === 'unchanged' ? 'unchanged: current' : 'published'} version ${r.seq} ${r.id}\n`)
    })
  addTargetOptions(tariff.command('show').description('show the tariff book (ours and our neighbours\')'))
    .action(async (opts: ApiTarget) => {
      process.stdout.write(JSON.stringify(await callAll(await apiUrl(opts), '/v1/tariffs'), null, 2) + '\n')
    })
}
