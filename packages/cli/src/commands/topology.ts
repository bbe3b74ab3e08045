/** `splitedge topology compose FILE.yaml`: a docker-compose file, configs and keys for a topology. */
import type { Command } from 'commander'
import { readFile } from 'node:fs/promises'
import { composeTopology, ed25519KeyFactory, writeComposedTopology } from '../topology/index.js'

export function register (program: Command): void {
  const topology = program.command('topology').description('multi-agent topologies for docker')
  topology.command('compose')
    .description('write a docker-compose file and per-agent configs and keys; each border is its own docker network')
    .argument('<file>', 'topology YAML (see docker/topologies/)')
    .option('-o, --out <dir>', 'output directory', 'topology-out')
    .option('--image <name>', 'agent image', 'splitedge/agent:dev')
    .action(async (file: string, opts: { out: string, image: string }) => {
      const text = await readFile(file, 'utf8').catch((err: Error) => { throw new Error(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? err.message})`) })
      const r = await composeTopology(text, { keyFactory: ed25519KeyFactory, image: opts.image })
      if (!r.ok) throw new Error(`${file}: ${r.errors.map(e => `${e.field}: ${e.message}`).join('; ')}`)
      await writeComposedTopology(opts.out, r.value)
      process.stdout.write(`wrote ${opts.out}/docker-compose.yml for ${r.value.agents.length} agents and ${r.value.networks.length} networks\n`)
    })
}
