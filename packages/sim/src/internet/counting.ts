/**
 * Per-agent accounting for the Internet-scale cycle, without touching the agent: its NetPort and
 * its Identity are wrapped, so every message it sends or receives and every signature it makes is
 * counted where it happens. CPU is attributed per event by the driver (cycle.ts).
 */
import type { NetPort } from '@splitedge/node'
import type { Identity } from '@splitedge/wire'

export interface AgentCost {
  /** Messages sent plus received: requests, answers and gossip. */
  messages: number
  /** Bytes of those messages. */
  bytes: number
  /** Ed25519 signatures made with the agent's key. */
  signatures: number
  /** CPU time (user + system) of the events this agent handled, in ms. */
  cpuMs: number
  /** Bytes the store committed (keys and values), from store.stats(). */
  storedBytes: number
  storedKeys: number
}

export const zeroCost = (): AgentCost => ({ messages: 0, bytes: 0, signatures: 0, cpuMs: 0, storedBytes: 0, storedKeys: 0 })

/** The identity, with each signature counted. */
export function countingIdentity (id: Identity, cost: AgentCost): Identity {
  return {
    peerId: id.peerId,
    publicKey: id.publicKey,
    privateKey: id.privateKey,
    sign: (data: Uint8Array) => { cost.signatures++; return id.sign(data) }
  }
}

/**
 * The port, with messages and bytes counted both ways. `connected` is answered from the
 * neighbour list and who is up: without faults no border is cut, and this avoids the simulated
 * network's scan of every endpoint on each call, which costs O(N) per tick at large N.
 */
export function countingPort (inner: NetPort, cost: AgentCost, neighbours: readonly string[], up: Set<string>, self: string): NetPort {
  const count = (bytes: Uint8Array, copies = 1): void => { cost.messages += copies; cost.bytes += copies * bytes.length }
  return {
    handle: async (protocol, handler, opts) => {
      await inner.handle(protocol, async (bytes, from, ctx) => {
        count(bytes)
        const answer = await handler(bytes, from, ctx)
        count(answer)
        return answer
      }, opts)
    },
    unhandle: async (protocol) => { await inner.unhandle(protocol) },
    request: async (peer, protocol, bytes, opts) => {
      count(bytes)
      const answer = await inner.request(peer, protocol, bytes, opts)
      count(answer)
      return answer
    },
    subscribe: (topic, validate, onMessage) => {
      inner.subscribe(topic, async (bytes, from, info) => { count(bytes); return await validate(bytes, from, info) }, onMessage)
    },
    unsubscribe: (topic) => { inner.unsubscribe(topic) },
    publish: async (topic, bytes) => {
      const n = await inner.publish(topic, bytes)
      count(bytes, n)
      return n
    },
    connected: () => up.has(self) ? neighbours.filter(p => up.has(p)) : [],
    onConnection: (event, listener) => { inner.onConnection(event, listener) },
    start: async () => { up.add(self); await inner.start() },
    stop: async () => { up.delete(self); await inner.stop() }
  }
}
