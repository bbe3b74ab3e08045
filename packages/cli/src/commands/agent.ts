/** `splitedge agent --config FILE.yaml`: run an operator's agent until SIGINT or SIGTERM. */
import type { Command } from 'commander'
import { Agent, loadConfig } from '@splitedge/agent'
import { ClearingParticipant } from '@splitedge/clearing'
import { untilStopSignal } from '../exit.js'

export function register (program: Command): void {
  program
    .command('agent')
    .description('run an agent: gossip tariffs, attest usage and settle with every configured neighbour')
    .requiredOption('-c, --config <file>', 'agent config (YAML); see "Running an agent" in the README')
    .action(async (opts: { config: string }) => {
      const config = await loadConfig(opts.config)
      const agent = await Agent.start({ config })
      // Operators that clear through clearing intermediaries co-sign their batch statements.
      const clearing = config.clearers.length > 0 ? await ClearingParticipant.attach(agent, { clearers: config.clearers }) : undefined
      process.stderr.write(`splitedge agent ${config.name}: ${agent.peerId} listening on ${agent.listening().join(' ')}${agent.url !== undefined ? `, API ${agent.url}` : ''}\n`)
      await untilStopSignal()
      await clearing?.detach()
      await agent.stop()
    })
}
