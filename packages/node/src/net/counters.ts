/**
 * Traffic counters kept per node, as plain mutable objects so a metrics
 * endpoint or the simulator can read them without any library in between.
 *
 * Bytes are application payload bytes (request/response bodies, gossip
 * message data), not wire bytes: framing, encryption and muxing overhead
 * are deliberately left out so totals are comparable across transports.
 *
 * Request/response: one message each way per successful exchange; a request
 * counts out once written, a response in once decoded.
 * Gossip: messagesOut/bytesOut count one message per recipient of our own
 * publishes (gossipsub's forwarding of others' messages is not seen here);
 * messagesIn/bytesIn count messages reaching our validator, i.e. after
 * gossipsub's duplicate and signature checks, whatever the verdict.
 */
import type { Libp2p } from '@libp2p/interface';

export interface TrafficCounter {
  messagesIn: number;
  messagesOut: number;
  bytesIn: number;
  bytesOut: number;
}

export interface RequestResponseCounter extends TrafficCounter {
  /** Inbound requests answered with an error frame or reset (refused, oversize, malformed, timeout, handler failure). */
  inboundFailed: number;
  /** Outbound requests that ended in a RequestError. */
  outboundFailed: number;
}

export interface GossipCounter extends TrafficCounter {
  /** Inbound messages the validator rejected (sender penalised). */
  rejected: number;
  /** Inbound messages the validator ignored (dropped, no penalty). */
  ignored: number;
}

export interface NetCounters {
  /** Keyed by protocol id. */
  requestResponse: Record<string, RequestResponseCounter>;
  /** Keyed by topic. */
  gossip: Record<string, GossipCounter>;
}

const registry = new WeakMap<Libp2p, NetCounters>();

/** The counters of a node; created empty on first use. */
export function nodeCounters(node: Libp2p): NetCounters {
  let c = registry.get(node);
  if (c === undefined) {
    c = { requestResponse: {}, gossip: {} };
    registry.set(node, c);
  }
  return c;
}

export function rrCounter(node: Libp2p, protocol: string): RequestResponseCounter {
  const all = nodeCounters(node).requestResponse;
  let c = all[protocol];
  if (c === undefined) {
    c = { messagesIn: 0, messagesOut: 0, bytesIn: 0, bytesOut: 0, inboundFailed: 0, outboundFailed: 0 };
    all[protocol] = c;
  }
  return c;
}

export function gossipCounter(node: Libp2p, topic: string): GossipCounter {
  const all = nodeCounters(node).gossip;
  let c = all[topic];
  if (c === undefined) {
    c = { messagesIn: 0, messagesOut: 0, bytesIn: 0, bytesOut: 0, rejected: 0, ignored: 0 };
    all[topic] = c;
  }
  return c;
}

/** Sum of every counter of one kind, for a one-line summary. */
export function totalTraffic(counters: Record<string, TrafficCounter>): TrafficCounter {
  const t: TrafficCounter = { messagesIn: 0, messagesOut: 0, bytesIn: 0, bytesOut: 0 };
  for (const c of Object.values(counters)) {
    t.messagesIn += c.messagesIn;
    t.messagesOut += c.messagesOut;
    t.bytesIn += c.bytesIn;
    t.bytesOut += c.bytesOut;
  }
  return t;
}
