/**
 * Gossipsub topics with validators. Each topic gets peer-score parameters
 * when subscribed, so a message the validator rejects lowers the score of
 * the peer that propagated it (gossipsub P4: invalid message deliveries).
 */
import { TopicValidatorResult } from '@libp2p/gossipsub';
import { createTopicScoreParams } from '@libp2p/gossipsub/score';
import { gossipCounter } from './counters.js';
import type { NetNode } from './node.js';
import type { GossipSub, Message, TopicValidatorFn } from '@libp2p/gossipsub';
import type { TopicScoreParams } from '@libp2p/gossipsub/score';
import type { PeerId } from '@libp2p/interface';

export type Verdict = 'accept' | 'reject' | 'ignore';

export interface MessageOrigin {
  /** Author of the message (strict signing: authenticated by gossipsub). */
  from: string;
  /** The neighbour that forwarded it to us (equals `from` when the author sent it directly). */
  propagationSource: string;
}

/** Decides the fate of an incoming message: 'reject' drops it and penalises the sender, 'ignore' only drops it. */
export type Validator = (bytes: Uint8Array, fromPeerId: string, origin: MessageOrigin) => Verdict | Promise<Verdict>;
export type MessageHandler = (bytes: Uint8Array, fromPeerId: string) => void;

/** Per-issuer tariff topic (docs/protocol.md). */
export function tariffTopic(issuer: PeerId | string): string {
  return `/splitedge/tariff/1/${issuer.toString()}`;
}

/**
 * Score parameters for a low-rate, neighbour-only topic. Tariffs are rare, so
 * the mesh-delivery-rate penalties (P3, P3b) would punish honest neighbours
 * for silence and are off; invalid messages (P4) weigh heavily: one reject
 * takes a peer below gossipsub's default gossip threshold (-10), three below
 * its graylist threshold (-80).
 */
export const TOPIC_SCORE_PARAMS: TopicScoreParams = createTopicScoreParams({
  topicWeight: 1,
  timeInMeshWeight: 0.01,
  timeInMeshQuantum: 1_000,
  timeInMeshCap: 100,
  firstMessageDeliveriesWeight: 1,
  firstMessageDeliveriesDecay: 0.9,
  firstMessageDeliveriesCap: 5,
  meshMessageDeliveriesWeight: 0,
  meshFailurePenaltyWeight: 0,
  invalidMessageDeliveriesWeight: -20,
  invalidMessageDeliveriesDecay: 0.999
});

/** What gossipsub's class offers beyond its public interface; checked at run time. */
interface ScoredGossipSub extends GossipSub {
  getScore(peerId: string): number;
  score: { params: { topics: Record<string, TopicScoreParams> } };
}

function scored(pubsub: GossipSub): ScoredGossipSub {
  const s = pubsub as Partial<ScoredGossipSub>;
  if (typeof s.getScore !== 'function' || typeof s.score?.params?.topics !== 'object') {
    throw new TypeError('pubsub service does not expose gossipsub peer scoring');
  }
  return pubsub as ScoredGossipSub;
}

/** The local gossipsub score of a peer (0 when unknown). */
export function peerScore(node: NetNode, peerId: PeerId | string): number {
  return scored(node.services.pubsub).getScore(peerId.toString());
}

const handlers = new WeakMap<NetNode, Map<string, MessageHandler>>();

function handlerMap(node: NetNode): Map<string, MessageHandler> {
  let m = handlers.get(node);
  if (m === undefined) {
    const map = new Map<string, MessageHandler>();
    // One listener per node dispatches by topic.
    node.services.pubsub.addEventListener('message', (evt) => {
      const msg: Message = evt.detail;
      const h = map.get(msg.topic);
      if (h === undefined || msg.type !== 'signed') return;
      h(msg.data, msg.from.toString());
    });
    handlers.set(node, map);
    m = map;
  }
  return m;
}

export interface SubscribeOptions {
  /** Score parameters for this topic. @default TOPIC_SCORE_PARAMS */
  scoreParams?: TopicScoreParams;
}

export function subscribe(
  node: NetNode,
  topic: string,
  validate: Validator,
  onMessage: MessageHandler,
  opts: SubscribeOptions = {}
): void {
  const pubsub = scored(node.services.pubsub);
  const counter = gossipCounter(node, topic);
  pubsub.score.params.topics[topic] ??= opts.scoreParams ?? TOPIC_SCORE_PARAMS;

  const validator: TopicValidatorFn = async (propagationSource, msg) => {
    // Strict signing makes unsigned messages impossible here; reject defensively.
    if (msg.type !== 'signed') return TopicValidatorResult.Reject;
    counter.messagesIn++;
    counter.bytesIn += msg.data.length;
    const from = msg.from.toString();
    let verdict: Verdict;
    try {
      verdict = await validate(msg.data, from, { from, propagationSource: propagationSource.toString() });
    } catch {
      // Our own validator failing is not the sender's fault.
      verdict = 'ignore';
    }
    switch (verdict) {
      case 'accept':
        return TopicValidatorResult.Accept;
      case 'reject':
        counter.rejected++;
        return TopicValidatorResult.Reject;
      default:
        counter.ignored++;
        return TopicValidatorResult.Ignore;
    }
  };
  pubsub.topicValidators.set(topic, validator);
  handlerMap(node).set(topic, onMessage);
  pubsub.subscribe(topic);
}

export function unsubscribe(node: NetNode, topic: string): void {
  const pubsub = node.services.pubsub;
  pubsub.unsubscribe(topic);
  pubsub.topicValidators.delete(topic);
  handlers.get(node)?.delete(topic);
  // Score parameters stay: the topic's penalties keep counting against peers for retainScore.
}

/**
 * Publishes on a topic; resolves with the number of peers it was sent to
 * (0 is fine: tariff sync fills the gap on the next connection).
 */
export async function publish(node: NetNode, topic: string, bytes: Uint8Array): Promise<number> {
  const result = await node.services.pubsub.publish(topic, bytes);
  const counter = gossipCounter(node, topic);
  const n = result.recipients.length;
  counter.messagesOut += n;
  counter.bytesOut += n * bytes.length;
  return n;
}

/**
 * Who may be sent a message on a topic: `data` is the message (undefined for an IHAVE advert,
 * which names messages by id only). Applied to everything the node sends: its own publishes,
 * forwards of others' messages, IHAVE gossip and IWANT replies.
 */
export type RelayPolicy = (peer: string, topic: string, data: Uint8Array | undefined) => boolean;

interface RpcMessageLike { topic: string; data?: Uint8Array }
interface IHaveLike { topicID?: string }
interface RpcLike {
  messages: RpcMessageLike[];
  control?: { ihave?: IHaveLike[] } & Record<string, unknown>;
  subscriptions?: unknown[];
}

/** Gossipsub's send paths (not part of its public interface; checked at run time). */
interface RelayInternals {
  sendRpc(id: string, rpc: RpcLike): boolean;
  sendRpcInBatch(tosend: Set<string>, rpc: RpcLike): void;
  pushGossip(id: string, ihave: IHaveLike[]): void;
}

/** `rpc` without what `peer` may not receive; null when nothing at all is left to send. */
function filterRpc(policy: RelayPolicy, peer: string, rpc: RpcLike): RpcLike | null {
  const messages = rpc.messages.filter((m) => policy(peer, m.topic, m.data));
  const ihave = rpc.control?.ihave?.filter((h) => h.topicID !== undefined && policy(peer, h.topicID, undefined));
  const sameMessages = messages.length === rpc.messages.length;
  const sameIhave = ihave === undefined || ihave.length === (rpc.control?.ihave?.length ?? 0);
  if (sameMessages && sameIhave) return rpc;
  const control = rpc.control === undefined ? undefined : { ...rpc.control, ihave: ihave ?? [] };
  const hasControl = control !== undefined && Object.values(control).some((v) => Array.isArray(v) && v.length > 0);
  if (messages.length === 0 && !hasControl && (rpc.subscriptions?.length ?? 0) === 0) return null;
  // A copy: gossipsub hands one RPC object to several peers.
  return { ...rpc, messages, ...(control === undefined ? {} : { control }) };
}

/** gossipsub's send paths are not part of its typed interface: check they are there before wrapping them. */
function hasRelayInternals(x: object): x is RelayInternals {
  return ['sendRpc', 'sendRpcInBatch', 'pushGossip'].every(name => typeof Reflect.get(x, name) === 'function');
}

/**
 * Make `node`'s gossipsub send a message on a topic only to peers `policy` admits, whatever the
 * path (publish, forward, gossip, IWANT reply). Mesh membership is left alone: a peer that is
 * not admitted may stay in a topic's mesh and simply gets nothing on it from us.
 */
export function restrictRelay(node: NetNode, policy: RelayPolicy): void {
  const g: object = node.services.pubsub;
  if (!hasRelayInternals(g)) throw new TypeError('pubsub service does not expose the gossipsub send paths');
  const { sendRpc, sendRpcInBatch, pushGossip } = g;
  g.sendRpc = function (id: string, rpc: RpcLike): boolean {
    const allowed = filterRpc(policy, id, rpc);
    return allowed === null ? false : sendRpc.call(this, id, allowed);
  };
  g.sendRpcInBatch = function (tosend: Set<string>, rpc: RpcLike): void {
    for (const id of [...tosend]) {
      if (!rpc.messages.every((m) => policy(id, m.topic, m.data))) tosend.delete(id);
    }
    sendRpcInBatch.call(this, tosend, rpc);
  };
  g.pushGossip = function (id: string, ihave: IHaveLike[]): void {
    const allowed = ihave.filter((h) => h.topicID !== undefined && policy(id, h.topicID, undefined));
    if (allowed.length > 0) pushGossip.call(this, id, allowed);
  };
}
