/**
 * @splitedge/clearing: the clearing intermediary (paper sections 4, 7, 9; README.md).
 *
 * - `Clearer.start(...)`: the clearer's libp2p node: follows its operators' tariffs, announces
 *   itself on the directory topic, quotes, clears receipts, settles per period: `clearer.ts`
 * - `ClearingParticipant.attach(agent, ...)`: an operator's side: signs receipts and consents,
 *   checks and co-signs the clearer's statements: `participant.ts`
 * - pure rules: end-to-end pricing `pricing.ts`; receipts and their evidence `claims.ts`;
 *   the clearer directory `directory.ts`
 * - the YAML config `config.ts`, the HTTP API `http.ts` and its client `client.ts`, the
 *   libp2p frames `frames.ts`, and the demo flow `demo.ts`
 */
export {
  customerWeight, localCharge, percentOf, marginOn, priceQuote,
  type Role, type End, type Apportion, type MarginPolicy, type PricedTariff, type PricingCode, type PricingError,
  type QuoteRequest, type PricedQuote
} from './pricing.js'
export {
  assessClaim, checkSignatures, checkCoverage,
  type Claim, type Evidence as ClaimEvidence, type ClaimCode, type ClaimRejection, type Clearing, type AssessContext
} from './claims.js'
export { ClearerDirectory, DIRECTORY_TOPIC, type DirectoryEntry, type AnnouncementVerdict } from './directory.js'
export { ClearerConfigSchema, checkClearerConfig, loadClearerConfig, type ClearerConfig, type ClearerConfigFile, type ServedOperator } from './config.js'
export {
  Clearer, claimFrom, memoryStore,
  type ClearerOptions, type ClearedRecord, type ClearOutcome, type SettleResult, type Evidence
} from './clearer.js'
export { ClearingParticipant, type AgentHandle, type ParticipantOptions, type SettleRefusal } from './participant.js'
export { startClearerHttp, type ClearerHttp } from './http.js'
export { ClearerClient, ClearerApiError } from './client.js'
export { CLEARING_PROTOCOLS, MAX_CLEARING_FRAME_BYTES } from './frames.js'
