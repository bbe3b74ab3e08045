/**
 * @splitedge/cli: the operator-facing `splitedge` command (bin: `bin/splitedge.js` → `bin.ts`).
 * Commands are in `commands/`; their run functions are exported for reuse and tests.
 */
export { runSimulate, type SimulateResult } from './commands/simulate.js'
export { EXIT_OK, EXIT_FAILURE, EXIT_USAGE, oneLine } from './exit.js'
export * from './topology/index.js'
