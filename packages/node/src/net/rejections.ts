/**
 * Counting and logging the streams a node's protocols turn away (refused peers, oversize and
 * malformed frames, trailing data, stalls): each one increments
 * `splitedge_rejected_total{kind="<protocol>-frame", reason}` and is logged, at most once per
 * peer per window so that a hostile peer cannot flood the log; the next line says how many were
 * left out.
 */
import { onInboundRejection, type InboundRejection, type RejectionListener } from './reqres.js';
import type { Libp2p } from '@libp2p/interface';

/** What this needs of prom-client's Counter. */
export interface RejectedCounter {
  inc(labels: { kind: string; reason: string }): void;
}

/** What this needs of a pino logger. */
export interface WarnLogger {
  warn(obj: Record<string, unknown>, msg: string): void;
}

export interface CountRejectionsOptions {
  /** At most one log line per peer per this many ms. @default 10_000 */
  logEveryMs?: number;
  /** Peers remembered for rate limiting; the oldest is forgotten beyond it. @default 1024 */
  maxPeers?: number;
  /** @default Date.now */
  now?: () => number;
}

/** The metric's `kind` for a protocol id: `/splitedge/border/1.0.0` -> `border-frame`. */
export function rejectionKind(protocol: string): string {
  const name = protocol.split('/')[2];
  return `${name === undefined || name === '' ? protocol : name}-frame`;
}

/** A per-peer log gate: true when a line may be written now, with the count it left out since. */
export class PeerLogLimiter {
  readonly #last = new Map<string, { at: number; suppressed: number }>();

  constructor(private readonly everyMs: number, private readonly maxPeers: number, private readonly now: () => number) {}

  admit(peer: string): { log: boolean; suppressed: number } {
    const t = this.now();
    const seen = this.#last.get(peer);
    if (seen !== undefined && t - seen.at < this.everyMs) {
      seen.suppressed++;
      return { log: false, suppressed: seen.suppressed };
    }
    const suppressed = seen?.suppressed ?? 0;
    this.#last.delete(peer);
    if (this.#last.size >= this.maxPeers) {
      const oldest = this.#last.keys().next();
      if (oldest.done !== true) this.#last.delete(oldest.value);
    }
    this.#last.set(peer, { at: t, suppressed: 0 });
    return { log: true, suppressed };
  }
}

/** A listener that counts each rejection and logs it, rate-limited per peer. */
export function rejectionRecorder(counter: RejectedCounter, log: WarnLogger, opts: CountRejectionsOptions = {}): RejectionListener {
  const gate = new PeerLogLimiter(opts.logEveryMs ?? 10_000, opts.maxPeers ?? 1024, opts.now ?? Date.now);
  return (r: InboundRejection) => {
    const kind = rejectionKind(r.protocol);
    counter.inc({ kind, reason: r.reason });
    const g = gate.admit(r.peer);
    if (!g.log) return;
    log.warn(
      { kind, reason: r.reason, peer: r.peer, protocol: r.protocol, ...(g.suppressed > 0 ? { suppressed: g.suppressed } : {}) },
      `${r.protocol} stream rejected: ${r.detail}`
    );
  };
}

/** Count and log every inbound rejection of `node`'s protocols. Returns a function that stops it. */
export function countRejections(
  node: Libp2p,
  counter: RejectedCounter,
  log: WarnLogger,
  opts: CountRejectionsOptions = {}
): () => void {
  return onInboundRejection(node, rejectionRecorder(counter, log, opts));
}
