/**
 * @splitedge/agent: one operator's agent (docs/protocol.md).
 *
 * - `Agent.start(...)`: the libp2p node, tariff gossip and sync, border and settle protocols, usage
 *   sources, HTTP API and metrics, driven by a tick that resumes pending work after a restart.
 * - `loadConfig` / `checkConfig`: the agent's YAML configuration, with errors that name the field.
 * - `loadTariffFile` / `checkTariffFile`: an operator's hand-written tariff YAML.
 * - `reconcile`: the pure reconciliation rule of the border protocol.
 * - the networking and HTTP plumbing it runs on is `@splitedge/node`'s.
 */
export { Agent, type AgentOptions } from './agent.js'
export { loadConfig, checkConfig, checkAgainst, fieldName, nodeSettings, ConfigError, DEFAULTS, type AgentConfig, type Neighbour } from './config/load.js'
export { AgentConfigSchema, NodeConfigFields, type AgentConfigFile } from './config/schema.js'
export { loadTariffFile, checkTariffFile, tariffNeighbourKeys, MAX_NOTICE_MS, TariffFileSchema, type TariffFile, type TariffSource } from './tariff/file.js'
export { reconcile, attestationBodyOf, type Reconciled, type MetricRules } from './border/reconcile.js'
export { syntheticUsage } from './usage/synthetic.js'
export { UsageError, type UsagePush, type MetricPush } from './usage/source.js'
export { intervalStartOf, periodOf, intervalsOf, closedIntervals, closedPeriods, type Period } from './clock/intervals.js'
export { assembleStatement } from './settle/assemble.js'
export { TariffService, type IngestResult } from './tariff/service.js'
export { TariffView, type TariffInForce } from './tariff/view.js'
export { BorderService } from './border/service.js'
export { type ReviseInput, type ReviseOutcome } from './border/revise.js'
export { SettleService } from './settle/service.js'
export { UsageSource } from './usage/source.js'
export { createMetrics, type AgentMetrics } from './metrics.js'
export { sortedPair, DEFECTS, type AgentContext, type Defect } from './context.js'
export { Views, startHttpApi, type HttpApi } from './http/api.js'
export { agentRouteSpecs } from './http/api.js'
export { HttpTokenFields } from './config/schema.js'
export { httpSettings } from './config/load.js'
export { answerFor } from './http/errors.js'
export { CSV_COLUMNS, csvCell } from './http/csv.js'
export { FlowDecoder, IE, type FlowRecord, type DecodeResult, type DecoderOptions, type SequenceState } from './flow/decode.js'
export { Attributor, spread, parseAddress, parsePrefix, inPrefix, exporterKey, type BorderRule, type Direction, type TimeMode } from './flow/attribute.js'
export { FlowAggregator, type Pending } from './flow/aggregate.js'
export { FlowCollector, FLOW_COUNTERS, FLOW_SEQUENCES, type FlowCounters } from './flow/collector.js'
export { flowSettings, parseListen, checkFlowUnit, type FlowSettings } from './flow/config.js'
export { type UsageFeed } from './usage/source.js'
