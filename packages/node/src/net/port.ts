/**
 * What the splitedge services need from the network, and nothing more: one-frame request/response
 * protocols, gossip topics, and which neighbours are connected. Services take a NetPort as a
 * component and never see libp2p, so the same code runs over a real libp2p node (libp2pNet) and
 * over the deterministic simulated network of `@splitedge/sim`.
 */
import type { NetNode } from './node.js'
import type { HandleOptions, RequestHandler, RequestOptions } from './reqres.js'
import type { MessageHandler, Validator } from './topics.js'
import { handle, request, unhandle } from './reqres.js'
import { publish, subscribe, unsubscribe } from './topics.js'
import { NeighbourSet, type NeighbourConfig } from './neighbours.js'
import { Redialer } from './redialer.js'

export type ConnectionEvent = 'connect' | 'disconnect'

export interface NetPort {
  /** Serve `protocol`: `handler` answers one request frame with one response frame. */
  handle: (protocol: string, handler: RequestHandler, opts: HandleOptions) => Promise<void>
  unhandle: (protocol: string) => Promise<void>
  /** One request to `peer`; the response frame, or a RequestError. */
  request: (peer: string, protocol: string, bytes: Uint8Array, opts: RequestOptions) => Promise<Uint8Array>
  /** Join a topic: `validate` decides what is accepted (and forwarded), `onMessage` gets it. */
  subscribe: (topic: string, validate: Validator, onMessage: MessageHandler) => void
  unsubscribe: (topic: string) => void
  /** Send to the topic; resolves with the number of peers it went to. */
  publish: (topic: string, bytes: Uint8Array) => Promise<number>
  /** Neighbours connected now. */
  connected: () => string[]
  /** Be told of every (re)connection and disconnection of a neighbour. */
  onConnection: (event: ConnectionEvent, listener: (peer: string) => void) => void
  /** Start keeping the neighbours connected; stop everything. */
  start: () => Promise<void>
  stop: () => Promise<void>
}

/** The port over a libp2p node: the neighbours are dialled and redialled with backoff. */
export function libp2pNet (node: NetNode, neighbours: Iterable<NeighbourConfig>): NetPort {
  const redialer = new Redialer(node, NeighbourSet.fromConfig(neighbours), { backoff: { baseMs: 200, maxMs: 10_000 } })
  return {
    handle: async (protocol, handler, opts) => { await handle(node, protocol, handler, opts) },
    unhandle: async (protocol) => { await unhandle(node, protocol) },
    request: async (peer, protocol, bytes, opts) => await request(node, peer, protocol, bytes, opts),
    subscribe: (topic, validate, onMessage) => { subscribe(node, topic, validate, onMessage) },
    unsubscribe: (topic) => { unsubscribe(node, topic) },
    publish: async (topic, bytes) => await publish(node, topic, bytes),
    connected: () => redialer.connected(),
    onConnection: (event, listener) => { redialer.on(event, ({ peerId }) => { listener(peerId) }) },
    start: async () => { await redialer.start() },
    stop: async () => { await redialer.stop(); await node.stop() }
  }
}
