/**
 * The agent's libp2p networking layer: pure wiring, no splitedge rules
 * (those arrive as callbacks).
 *
 * - createNode: libp2p with the operator's Ed25519 key, TCP or in-memory
 *   transport, noise, yamux, identify, ping, gossipsub with peer scoring.
 * - NeighbourSet, Redialer: keep configured neighbours connected, with
 *   backoff, and report every (re)connection.
 * - handle/request: one-frame request/response protocols with size limits,
 *   peer allow-lists, deadlines and typed errors (RequestError).
 * - subscribe/publish/unsubscribe, tariffTopic, peerScore: gossip topics
 *   whose validators drop and penalise invalid messages.
 * - nodeCounters: messages and bytes per protocol and topic.
 */
export { createNode, gossipOptions, DEFAULT_LIMITS, PING_TIMEOUT_MIN_MS } from './node.js';
export type { CreateNodeOptions, ConnectionLimits, NetNode, NetServices, TransportKind } from './node.js';
export { NeighbourSet } from './neighbours.js';
export type { Neighbour, NeighbourConfig } from './neighbours.js';
export { Redialer, NEIGHBOUR_TAG, systemTimers } from './redialer.js';
export type { RedialerOptions, RedialerEvent, RedialerEventDetail, RedialerListener, TimerClock } from './redialer.js';
export { backoffDelay, DEFAULT_BACKOFF } from './backoff.js';
export type { BackoffOptions } from './backoff.js';
export { handle, unhandle, request, onInboundRejection } from './reqres.js';
export type { HandleOptions, HandlerContext, RequestHandler, RequestOptions, InboundRejection, InboundRejectionReason, RejectionListener } from './reqres.js';
export { countRejections, rejectionRecorder, rejectionKind, PeerLogLimiter } from './rejections.js';
export type { CountRejectionsOptions, RejectedCounter, WarnLogger } from './rejections.js';
export { RequestError, HandlerError, isRequestError } from './errors.js';
export type { RequestErrorCode } from './errors.js';
export { Status, MAX_REASON_BYTES, MAX_VARINT_BYTES, MalformedLengthError, encodeOk, encodeError, decodeResponse, decodeLength, encodeLength, lengthPrefixed } from './frame.js';
export type { StatusCode, DecodedResponse } from './frame.js';
export { subscribe, unsubscribe, publish, tariffTopic, peerScore, restrictRelay, TOPIC_SCORE_PARAMS } from './topics.js';
export type { Verdict, Validator, MessageHandler, MessageOrigin, SubscribeOptions, RelayPolicy } from './topics.js';
export { nodeCounters, totalTraffic } from './counters.js';
export type { NetCounters, TrafficCounter, RequestResponseCounter, GossipCounter } from './counters.js';
