/**
 * Keeps every configured neighbour connected: dials at start, and after a
 * failed dial or a lost connection redials with exponential backoff and
 * jitter. Emits 'connect'/'disconnect' for neighbours only, so the agent can
 * run tariff sync on every (re)connection, whoever dialled.
 */
import { DEFAULT_BACKOFF, backoffDelay } from './backoff.js';
import type { BackoffOptions } from './backoff.js';
import type { NeighbourSet } from './neighbours.js';
import type { Libp2p, PeerId } from '@libp2p/interface';
import type { Multiaddr } from '@multiformats/multiaddr';

/** Injectable timers, so tests can drive backoff without waiting. */
export interface TimerClock {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemTimers: TimerClock = {
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    // Pending redials never keep the process alive on their own.
    t.unref();
    return t;
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>)
};

export interface RedialerOptions {
  backoff?: Partial<BackoffOptions>;
  clock?: TimerClock;
  /** In [0, 1), like Math.random. */
  random?: () => number;
  /** Per dial attempt, in ms. @default 10_000 */
  dialTimeoutMs?: number;
}

export type RedialerEvent = 'connect' | 'disconnect' | 'dial-failed';

export interface RedialerEventDetail {
  peerId: string;
  /** For 'dial-failed': consecutive failures so far and the delay before the next attempt. */
  attempt?: number;
  delayMs?: number;
  error?: Error;
}

export type RedialerListener = (detail: RedialerEventDetail) => void;

/** Peer-store tag that keeps libp2p's connection pruner away from neighbours. */
export const NEIGHBOUR_TAG = 'splitedge-neighbour';

interface PeerState {
  peerId: PeerId;
  failures: number;
  timer?: unknown;
  dialing?: AbortController;
}

export class Redialer {
  readonly #node: Libp2p;
  readonly #neighbours: NeighbourSet;
  readonly #backoff: BackoffOptions;
  readonly #clock: TimerClock;
  readonly #random: () => number;
  readonly #dialTimeoutMs: number;
  readonly #state = new Map<string, PeerState>();
  readonly #listeners = new Map<RedialerEvent, Set<RedialerListener>>();
  #running = false;

  constructor(node: Libp2p, neighbours: NeighbourSet, opts: RedialerOptions = {}) {
    this.#node = node;
    this.#neighbours = neighbours;
    this.#backoff = { ...DEFAULT_BACKOFF, ...opts.backoff };
    backoffDelay(0, this.#backoff, () => 0); // validates the options now rather than at the first failure
    this.#clock = opts.clock ?? systemTimers;
    this.#random = opts.random ?? Math.random;
    this.#dialTimeoutMs = opts.dialTimeoutMs ?? 10_000;
  }

  get running(): boolean {
    return this.#running;
  }

  /** Subscribes to an event; returns the unsubscribe function. */
  on(event: RedialerEvent, fn: RedialerListener): () => void {
    let set = this.#listeners.get(event);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    set.add(fn);
    return () => set.delete(fn);
  }

  /** Neighbours currently connected. */
  connected(): string[] {
    return this.#neighbours.ids().filter((id) => this.#isConnected(id));
  }

  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    this.#node.addEventListener('peer:connect', this.#onConnect);
    this.#node.addEventListener('peer:disconnect', this.#onDisconnect);
    for (const n of this.#neighbours.list()) {
      const id = n.peerId.toString();
      this.#state.set(id, { peerId: n.peerId, failures: 0 });
      await this.#node.peerStore.merge(n.peerId, {
        multiaddrs: n.addrs,
        tags: { [NEIGHBOUR_TAG]: { value: 100 } }
      });
      if (this.#isConnected(id)) {
        this.#emit('connect', { peerId: id });
      } else {
        this.#schedule(id, 0);
      }
    }
  }

  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#node.removeEventListener('peer:connect', this.#onConnect);
    this.#node.removeEventListener('peer:disconnect', this.#onDisconnect);
    for (const s of this.#state.values()) {
      if (s.timer !== undefined) this.#clock.clearTimeout(s.timer);
      s.timer = undefined;
      s.dialing?.abort(new Error('redialer stopped'));
    }
    this.#state.clear();
  }

  readonly #onConnect = (evt: CustomEvent<PeerId>): void => {
    const id = evt.detail.toString();
    const s = this.#state.get(id);
    if (s === undefined) return;
    s.failures = 0;
    if (s.timer !== undefined) this.#clock.clearTimeout(s.timer);
    s.timer = undefined;
    this.#emit('connect', { peerId: id });
  };

  readonly #onDisconnect = (evt: CustomEvent<PeerId>): void => {
    const id = evt.detail.toString();
    const s = this.#state.get(id);
    if (s === undefined) return;
    this.#emit('disconnect', { peerId: id });
    this.#schedule(id, backoffDelay(s.failures, this.#backoff, this.#random));
  };

  #isConnected(id: string): boolean {
    const s = this.#state.get(id);
    const peerId = s?.peerId ?? this.#neighbours.get(id)?.peerId;
    return peerId !== undefined && this.#node.getConnections(peerId).some((c) => c.status === 'open');
  }

  #schedule(id: string, delayMs: number): void {
    const s = this.#state.get(id);
    if (!this.#running || s === undefined || s.timer !== undefined || s.dialing !== undefined) return;
    s.timer = this.#clock.setTimeout(() => {
      s.timer = undefined;
      void this.#dial(id);
    }, delayMs);
  }

  async #dial(id: string): Promise<void> {
    const s = this.#state.get(id);
    if (!this.#running || s === undefined || this.#isConnected(id)) return;
    const ac = new AbortController();
    s.dialing = ac;
    try {
      await this.#node.dial(this.#targetOf(id, s.peerId), { signal: AbortSignal.any([ac.signal, AbortSignal.timeout(this.#dialTimeoutMs)]) });
      s.dialing = undefined;
      // 'connect' is emitted from peer:connect, which fires whoever dialled.
    } catch (err) {
      s.dialing = undefined;
      if (!this.#running || this.#state.get(id) !== s) return;
      if (this.#isConnected(id)) return; // the neighbour dialled us meanwhile
      const delayMs = backoffDelay(s.failures, this.#backoff, this.#random);
      s.failures++;
      this.#emit('dial-failed', {
        peerId: id,
        attempt: s.failures,
        delayMs,
        error: err instanceof Error ? err : new Error(String(err))
      });
      this.#schedule(id, delayMs);
    }
  }

  /**
   * The configured addresses, each bound to the neighbour's PeerId, rather than everything the
   * peer store has learnt: after a neighbour moves (a container re-joins its network with a new
   * address, say) stale learnt addresses would use up the dial's time.
   */
  #targetOf(id: string, peerId: PeerId): PeerId | Multiaddr[] {
    const addrs = this.#neighbours.get(id)?.addrs ?? [];
    if (addrs.length === 0) return peerId;
    return addrs.map((a) => (a.toString().includes('/p2p/') ? a : a.encapsulate(`/p2p/${id}`)));
  }

  #emit(event: RedialerEvent, detail: RedialerEventDetail): void {
    for (const fn of this.#listeners.get(event) ?? []) {
      try {
        fn(detail);
      } catch {
        // A listener's failure must not stop reconnection.
      }
    }
  }
}
