/**
 * The `splitedge` command. Each subcommand lives in `commands/<name>.ts` and exports a
 * `register(program)` function; add a new one by writing a sibling file and listing it here.
 *
 * Exit codes: 0 success, 1 bad input or failure (one line on stderr), 2 usage error.
 */
import { Command, CommanderError } from 'commander'
import { register as registerSimulate } from './commands/simulate.js'
import { register as registerKeygen } from './commands/keygen.js'
import { register as registerAgent } from './commands/agent.js'
import { register as registerTariff } from './commands/tariff.js'
import { register as registerUsage } from './commands/usage.js'
import { register as registerViews } from './commands/views.js'
import { register as registerTopology } from './commands/topology.js'
import { register as registerClearer } from './commands/clearer.js'
import { register as registerDemo } from './commands/demo.js'
import { register as registerVopr } from './commands/vopr.js'
import { register as registerDisputes } from './commands/disputes.js'
import { EXIT_USAGE } from './exit.js'

const program = new Command('splitedge')
  .description('Peer-to-peer tariff and settlement agents for network operators (split-edge pricing)')
  .showHelpAfterError('(run splitedge --help for usage)')
  .exitOverride()

registerSimulate(program)
registerKeygen(program)
registerAgent(program)
registerTariff(program)
registerUsage(program)
registerViews(program)
registerTopology(program)
registerClearer(program)
registerDemo(program)
registerVopr(program)
registerDisputes(program)

try {
  await program.parseAsync(process.argv)
} catch (e) {
  if (e instanceof CommanderError) {
    // Help and version exit 0; commander already printed its one-line message for usage errors.
    process.exitCode = e.exitCode === 0 ? 0 : EXIT_USAGE
  } else {
    process.stderr.write(`splitedge: ${e instanceof Error ? e.message : String(e)}\n`.replace(/\n(?!$)/g, ' '))
    process.exitCode = 1
  }
}
