/**
 * @splitedge/clearing: the clearing intermediary (paper sections 4, 7, 9; README.md).
 *
 * - `Clearer.start(...)`: the clearer's libp2p node: follows its operators' tariffs, announces
 *   itself on the directory topic, quotes, clears receipts, settles per period: `clearer.ts`, the
 *   composition root of its services: `announce.ts`, `quotes.ts`, `receipts.ts`, `books.ts`, and
 *   batch settlement, a pure lifecycle (`batch.ts`) run by its shell (`settlement.ts`)
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
  assessClaim, checkSignatures, checkCoverage, claimFrom,
  type Claim, type Evidence as ClaimEvidence, type ClaimCode, type ClaimRejection, type Clearing, type AssessContext
} from './claims.js'
export { ClearerDirectory, DIRECTORY_TOPIC, type DirectoryEntry, type AnnouncementVerdict } from './directory.js'
export { ClearerConfigSchema, checkClearerConfig, loadClearerConfig, type ClearerConfig, type ClearerConfigFile, type ServedOperator } from './config.js'
export { Clearer, type ClearerOptions } from './clearer.js'
export type { ClearedRecord, IssuedQuote } from '@splitedge/store'
export type { ClearerApi } from './api.js'
export type { ClearerContext, ClearerMetrics, ClearerParts } from './components.js'
export { ReceiptClearing, type ClearOutcome, type ReceiptClearingInit } from './receipts.js'
export { QuoteDesk, QUOTES_KEPT, type QuoteOutcome, type QuoteDeskInit } from './quotes.js'
export { ClearingBooks, type Evidence, type HeldStatement } from './books.js'
export { Announcer, type AnnouncerInit } from './announce.js'
export {
  step, openBatch, isFinal, resultOf, PHASES, EVENTS, RETRY_REFUSED_MS, RETRY_FAILED_MS,
  type BatchState, type BatchPhase, type BatchEvent, type BatchEvents, type BatchEffect, type Transition, type SettleResult
} from './batch.js'
export { BatchSettlement, type SettlementInit, type SettlementParts, type SettleAttempt } from './settlement.js'
export { Serial } from './serial.js'
export { ClearingParticipant, type AgentHandle, type ParticipantContext, type ParticipantOptions, type SettleRefusal } from './participant.js'
export { startClearerHttp, type ClearerHttp } from './http.js'
export { ClearerClient, ClearerApiError } from './client.js'
export { CLEARING_PROTOCOLS, MAX_CLEARING_FRAME_BYTES } from './frames.js'
