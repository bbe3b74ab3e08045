/**
 * The agent's libp2p node: the operator's Ed25519 key is its identity, so the
 * PeerId a neighbour authenticates on the connection is the key that signs
 * the operator's documents (docs/protocol.md).
 */
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { gossipsub } from '@libp2p/gossipsub';
import { identify } from '@libp2p/identify';
import { memory } from '@libp2p/memory';
import { ping } from '@libp2p/ping';
import { tcp } from '@libp2p/tcp';
import { createLibp2p } from 'libp2p';
import type { GossipSub, GossipsubOpts } from '@libp2p/gossipsub';
import type { Identify } from '@libp2p/identify';
import type { ConnectionGater, Libp2p, PrivateKey } from '@libp2p/interface';
import type { Ping } from '@libp2p/ping';
import type { Multiaddr } from '@multiformats/multiaddr';

// A type alias (not an interface) so it satisfies libp2p's indexed ServiceMap.
export type NetServices = {
  identify: Identify;
  ping: Ping;
  pubsub: GossipSub;
};

export type NetNode = Libp2p<NetServices>;

export type TransportKind = 'tcp' | 'memory';

export interface ConnectionLimits {
  /** Connections kept before libp2p prunes (neighbours are tagged so they are pruned last). */
  maxConnections?: number;
  /** Inbound connections still negotiating encryption/muxing. */
  maxIncomingPendingConnections?: number;
  /**
   * Inbound connections per second accepted from one host. libp2p's default
   * (5) is too low when several agents share a host, as in tests and docker.
   */
  inboundConnectionThreshold?: number;
  /** Whole dial (all addresses) in ms. */
  dialTimeoutMs?: number;
  /** Dials waiting at once; libp2p fails any beyond (500 by default), so an agent dialling more neighbours raises it. */
  maxDialQueueLength?: number;
}

/** Least time a connection's keep-alive ping gets before libp2p aborts the connection. */
export const PING_TIMEOUT_MIN_MS = 20_000;

export const DEFAULT_LIMITS: Required<ConnectionLimits> = {
  maxConnections: 128,
  maxIncomingPendingConnections: 32,
  inboundConnectionThreshold: 50,
  dialTimeoutMs: 10_000,
  maxDialQueueLength: 500
};

export interface CreateNodeOptions {
  /** The operator's Ed25519 identity and signing key. */
  privateKey: PrivateKey;
  /** e.g. '/ip4/127.0.0.1/tcp/0' or '/memory/agent-1'. */
  listen: Array<string | Multiaddr>;
  /** @default 'tcp' */
  transport?: TransportKind;
  limits?: ConnectionLimits;
  /** Optional gater, e.g. to refuse connections from peers that are not neighbours or clearers. */
  connectionGater?: ConnectionGater;
  /** Overrides for the gossipsub options chosen in `gossipOptions` (tests, simulator tuning). */
  gossip?: Partial<GossipsubOpts>;
  /** Start listening immediately. @default true */
  start?: boolean;
}

/**
 * Gossipsub tuned for a small neighbour-only mesh. Topic score parameters are
 * added per topic when it is subscribed (see topics.ts), because tariff
 * topics are per issuer and not known here.
 */
export function gossipOptions(overrides: Partial<GossipsubOpts> = {}): Partial<GossipsubOpts> {
  return {
    emitSelf: false,
    // An agent with no neighbours online yet still publishes its tariff;
    // tariff sync on (re)connection covers what gossip missed.
    allowPublishToZeroTopicPeers: true,
    globalSignaturePolicy: 'StrictSign',
    // Neighbour meshes are small and tariffs rare: flood own publishes to every subscriber.
    floodPublish: true,
    fallbackToFloodsub: false,
    doPX: false,
    scoreParams: {
      // Operators behind one NAT or hosting provider are legitimate; neighbours are authenticated by PeerId.
      IPColocationFactorWeight: 0
    },
    ...overrides
  };
}

export async function createNode(opts: CreateNodeOptions): Promise<NetNode> {
  if (opts.privateKey.type !== 'Ed25519') {
    throw new TypeError(`agent identity must be an Ed25519 key, got ${opts.privateKey.type}`);
  }
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const kind = opts.transport ?? 'tcp';
  const node = await createLibp2p<NetServices>({
    privateKey: opts.privateKey,
    addresses: { listen: opts.listen.map((a) => a.toString()) },
    transports: [kind === 'memory' ? memory() : tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    ...(opts.connectionGater === undefined ? {} : { connectionGater: opts.connectionGater }),
    connectionManager: {
      maxConnections: limits.maxConnections,
      maxIncomingPendingConnections: limits.maxIncomingPendingConnections,
      inboundConnectionThreshold: limits.inboundConnectionThreshold,
      dialTimeout: limits.dialTimeoutMs,
      maxDialQueueLength: limits.maxDialQueueLength,
      // The Redialer owns reconnection (with jitter and events); libp2p's own stays off.
      reconnectRetries: 0
    },
    // libp2p pings every connection each 10 s and aborts one whose ping takes longer than an
    // adaptive timeout of at least 5 s. An agent busy with a thousand borders answered late and had
    // its connections dropped mid-exchange: a ping now has at least 20 s.
    connectionMonitor: { pingTimeout: { minTimeout: PING_TIMEOUT_MIN_MS } },
    services: {
      identify: identify(),
      ping: ping(),
      pubsub: gossipsub(gossipOptions(opts.gossip))
    },
    start: opts.start ?? true
  });
  return node;
}
