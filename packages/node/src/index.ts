/**
 * @splitedge/node: what an agent and a clearer both run on. No splitedge rules live here; they
 * arrive as callbacks and schemas.
 *
 * - `net`: the libp2p node (TCP or in-memory, noise, yamux, identify, ping, gossipsub with peer
 *   scoring), neighbours and redialing, one-frame request/response with size limits and typed
 *   errors, gossip topics whose validators drop and penalise, and the `NetPort` the services use
 *   (libp2p here, the simulator's network in `packages/sim`).
 * - frames: every protocol's request/response schemas and their strict DAG-CBOR codec.
 * - HTTP plumbing: one error type and JSON answers, bodies read with size limits, list paging,
 *   route descriptions checked against TypeBox schemas and served as OpenAPI, bearer-token
 *   access, the dashboard's static files, and listening.
 * - `Scheduler` and `Clock`: periodic work and the time, passed in.
 * - the tariff book (`tariffBook(init)(components)`): tariff gossip ingest with every wire rule,
 *   tariff sync, publishing our own versions, equivocation evidence; and `TariffView`, its decoded
 *   read side. An agent and a clearer both run one.
 */
export * as net from './net/index.js'
export * from './net/index.js'
export { libp2pNet, type NetPort, type ConnectionEvent } from './net/port.js'
export {
  PROTOCOLS, MAX_FRAME_BYTES, FrameError, encodeFrame, decodeFrame,
  TariffSyncRequest, TariffSyncResponse, BorderRequest, BorderResponse, SettleRequest, SettleResponse
} from './frames.js'
export { HttpError, answerHttp, sendJson, type ErrorBody } from './http/errors.js'
export { HTTP_STATUS } from './http/status.js'
export { listenHttp, type HttpApi } from './http/listen.js'
export { MAX_BODY, readBody, readJson, listQuery, nextPageHeaders, pageOf, DEFAULT_LIMIT, MAX_LIMIT, type ListQuery } from './http/body.js'
export { check, checkQuery, openApi, specTable, assertDescribed, type RouteSpec, type Access } from './http/spec.js'
export { authorize, loadToken, isLoopback, type Gate, type TokenSettings } from './http/auth.js'
export { servePage, serveAsset, uiRoutes } from './http/ui.js'
export { systemScheduler, type Scheduler } from './clock/scheduler.js'
export { ConfigError, fieldName, checkAgainst, nodeSettings, httpSettings, NodeConfigFields, HttpTokenFields } from './config.js'
export { systemClock, type Clock } from './clock/clock.js'
export { TariffBook, tariffBook, type IngestResult, type Via } from './tariff/book.js'
export type { TariffBookComponents, TariffBookInit, TariffCounters, TariffLog } from './tariff/components.js'
export { TariffSignError, nextVersion, fingerprint, type PublishResult, type NextVersion } from './tariff/publish.js'
export { MAX_CHAIN, fetchChain, fetchTariff, serveTariffSync } from './tariff/sync.js'
export { keepEquivocation } from './tariff/evidence.js'
export { TariffView, type TariffInForce } from './tariff/view.js'
export { createNodeMetrics, type NodeMetrics } from './metrics.js'
export { nodeLogger, type LogLevel } from './log.js'
