/**
 * Topology files → docker deployments: `parseTopology` checks a topology YAML, `composeTopology`
 * turns it into a docker-compose file, per-agent configs and keys (one network per border), and
 * `writeComposedTopology` writes them. Backs `splitedge topology compose FILE.yaml`.
 */
export { AGENT_CONTRACT } from './contract.js'
export {
  parseTopology, checkTopology, inverseStatus, borderNetworkName,
  type Topology, type Operator, type Border, type Clearing, type Role, type Status,
  type TopologyError, type TopologyErrorCode, type TopologyResult
} from './schema.js'
export { ed25519KeyFactory, seededKeyFactory, type KeyFactory, type AgentKey } from './keys.js'
export {
  composeTopology, agentFiles, edgeTariff,
  type ComposeOptions, type ComposeOutcome, type ComposedTopology, type PlannedAgent, type PlannedNetwork,
  type AgentConfigDoc, type ClearerConfigDoc, type NeighbourEntry, type GeneratedFile
} from './compose.js'
export { writeComposedTopology } from './write.js'
