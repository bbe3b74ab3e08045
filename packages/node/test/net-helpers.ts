/**
 * Test helpers for the net layer: nodes on loopback or memory, bounded
 * polling (never asserts on wall-clock time), and a fake timer clock.
 */
import { generateKeyPair } from '@libp2p/crypto/keys';
import { createNode } from '../src/net/index.js';
import type { CreateNodeOptions, NetNode, TimerClock } from '../src/net/index.js';
import type { PrivateKey } from '@libp2p/interface';

export const LOOPBACK = '/ip4/127.0.0.1/tcp/0';

export async function newKey(): Promise<PrivateKey> {
  return generateKeyPair('Ed25519');
}

export async function makeNode(opts: Partial<CreateNodeOptions> = {}): Promise<NetNode> {
  return createNode({
    privateKey: opts.privateKey ?? (await newKey()),
    listen: opts.listen ?? [LOOPBACK],
    ...opts
  });
}

/** Dials b from a on its first listen address and waits until identify has run (protocols known). */
export async function connect(a: NetNode, b: NetNode): Promise<void> {
  const addr = b.getMultiaddrs()[0];
  if (addr === undefined) throw new Error('node has no listen address');
  await a.dial(addr);
}

/** Polls `cond` up to `tries` times, `intervalMs` apart; throws `what` if it never holds. */
export async function waitFor(cond: () => boolean | Promise<boolean>, what: string, tries = 100, intervalMs = 50): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await cond()) return;
    await sleep(intervalMs);
  }
  throw new Error(`timed out waiting for: ${what}`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Timers that only fire when the test says so. */
export class FakeClock implements TimerClock {
  #next = 1;
  readonly timers = new Map<number, { fn: () => void; ms: number }>();

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.#next++;
    this.timers.set(id, { fn, ms });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  /** Delays of the pending timers, in creation order. */
  pending(): number[] {
    return [...this.timers.values()].map((t) => t.ms);
  }

  /** Runs the oldest pending timer; returns its delay. */
  fireNext(): number {
    const first = this.timers.entries().next();
    if (first.done === true) throw new Error('no pending timer');
    const [id, t] = first.value;
    this.timers.delete(id);
    t.fn();
    return t.ms;
  }
}

export async function stopAll(nodes: NetNode[]): Promise<void> {
  await Promise.all(nodes.splice(0).map(async (n) => n.stop()));
}
