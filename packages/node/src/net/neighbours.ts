/**
 * The configured set of direct neighbours: who we keep connected and whom
 * protocol handlers accept. Built from config; immutable once made.
 */
import { peerIdFromString } from '@libp2p/peer-id';
import { multiaddr } from '@multiformats/multiaddr';
import type { PeerId } from '@libp2p/interface';
import type { Multiaddr } from '@multiformats/multiaddr';

export interface Neighbour {
  peerId: PeerId;
  addrs: Multiaddr[];
}

/** Config shape: PeerId and multiaddrs as strings. */
export interface NeighbourConfig {
  peerId: string;
  addrs: string[];
}

export class NeighbourSet {
  readonly #byId = new Map<string, Neighbour>();

  constructor(neighbours: Iterable<Neighbour>) {
    for (const n of neighbours) {
      const id = n.peerId.toString();
      const prev = this.#byId.get(id);
      // A neighbour listed twice keeps the union of its addresses.
      const addrs = prev === undefined ? [...n.addrs] : [...prev.addrs, ...n.addrs];
      this.#byId.set(id, { peerId: n.peerId, addrs });
    }
  }

  /** Parses config entries; throws on a malformed PeerId or multiaddr (config is checked at startup). */
  static fromConfig(entries: Iterable<NeighbourConfig>): NeighbourSet {
    const list: Neighbour[] = [];
    for (const e of entries) {
      list.push({ peerId: peerIdFromString(e.peerId), addrs: e.addrs.map((a) => multiaddr(a)) });
    }
    return new NeighbourSet(list);
  }

  has(peerId: PeerId | string): boolean {
    return this.#byId.has(peerId.toString());
  }

  get(peerId: PeerId | string): Neighbour | undefined {
    return this.#byId.get(peerId.toString());
  }

  get size(): number {
    return this.#byId.size;
  }

  list(): Neighbour[] {
    return [...this.#byId.values()];
  }

  ids(): string[] {
    return [...this.#byId.keys()];
  }

  /** Handy as the `allow` option of `handle`. */
  readonly allow = (peerId: string): boolean => this.#byId.has(peerId);
}
