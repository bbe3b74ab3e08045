/**
 * Topology generators: undirected simple graphs on nodes 0..n-1, as sorted edge lists. Every
 * generator returns a connected graph (a border network must be able to reach its neighbours, and
 * the benchmark compares designs on one component). Randomness is passed in.
 */
import { below, type Rng } from './rng.js'

export type Edge = [number, number]

export interface Graph {
  n: number
  /** Each edge once, as [lower, higher], sorted. */
  edges: Edge[]
}

export type TopologyKind = 'random' | 'preferential' | 'ring' | 'star'

export class TopologyError extends Error {
  constructor (readonly code: 'bad-size' | 'bad-degree', message: string) { super(message); this.name = 'TopologyError' }
}

const key = (a: number, b: number): number => a < b ? a * 0x10_0000 + b : b * 0x10_0000 + a

function finish (n: number, set: Set<number>): Graph {
  const edges: Edge[] = [...set].sort((x, y) => x - y).map(k => [Math.floor(k / 0x10_0000), k % 0x10_0000])
  return { n, edges }
}

function checkSize (n: number, min: number): void {
  if (!Number.isInteger(n) || n < min || n >= 0x10_0000) throw new TopologyError('bad-size', `n must be an integer in [${min}, 2^20), got ${n}`)
}

/** A cycle 0-1-...-(n-1)-0: every node has degree 2. */
export function ring (n: number): Graph {
  checkSize(n, 3)
  const s = new Set<number>()
  for (let i = 0; i < n; i++) s.add(key(i, (i + 1) % n))
  return finish(n, s)
}

/** Node 0 joined to every other node. */
export function star (n: number): Graph {
  checkSize(n, 2)
  const s = new Set<number>()
  for (let i = 1; i < n; i++) s.add(key(0, i))
  return finish(n, s)
}

/**
 * A connected random graph of average degree exactly `degree` (when n*degree is even): a random
 * spanning tree (each node joins a uniformly chosen earlier node of a random order), then
 * uniformly random extra edges until there are n*degree/2.
 */
export function randomGraph (n: number, degree: number, rng: Rng): Graph {
  checkSize(n, 2)
  if (!(degree >= 2 && degree <= n - 1)) throw new TopologyError('bad-degree', `average degree must be in [2, n-1], got ${degree}`)
  const target = Math.round(n * degree / 2)
  const order = Array.from({ length: n }, (_, i) => i)
  for (let i = n - 1; i > 0; i--) { const j = below(rng, i + 1); [order[i], order[j]] = [order[j] as number, order[i] as number] }
  const s = new Set<number>()
  for (let i = 1; i < n; i++) s.add(key(order[i] as number, order[below(rng, i)] as number))
  while (s.size < target) {
    const a = below(rng, n)
    const b = below(rng, n)
    if (a !== b) s.add(key(a, b))
  }
  return finish(n, s)
}

/**
 * Barabási–Albert preferential attachment, an internet-like graph with a heavy-tailed degree
 * distribution: start from a clique of m+1 nodes, then each new node links to m distinct earlier
 * nodes chosen with probability proportional to their degree. Average degree tends to 2m.
 */
export function preferentialAttachment (n: number, m: number, rng: Rng): Graph {
  if (!Number.isInteger(m) || m < 1) throw new TopologyError('bad-degree', `m must be a positive integer, got ${m}`)
  checkSize(n, m + 1)
  const s = new Set<number>()
  // Each edge end once: sampling from it is sampling proportionally to degree.
  const ends: number[] = []
  for (let i = 0; i <= m; i++) {
    for (let j = 0; j < i; j++) { s.add(key(i, j)); ends.push(i, j) }
  }
  for (let v = m + 1; v < n; v++) {
    const chosen = new Set<number>()
    while (chosen.size < m) chosen.add(ends[below(rng, ends.length)] as number)
    for (const u of chosen) { s.add(key(u, v)); ends.push(u, v) }
  }
  return finish(n, s)
}

/** `kind` at size n and (average) degree `degree`; for preferential attachment m = degree/2. */
export function generate (kind: TopologyKind, n: number, degree: number, rng: Rng): Graph {
  switch (kind) {
    case 'ring': return ring(n)
    case 'star': return star(n)
    case 'random': return randomGraph(n, degree, rng)
    case 'preferential': return preferentialAttachment(n, Math.max(1, Math.round(degree / 2)), rng)
  }
}

export function degrees (g: Graph): number[] {
  const d = new Array<number>(g.n).fill(0)
  for (const [a, b] of g.edges) { d[a] = (d[a] ?? 0) + 1; d[b] = (d[b] ?? 0) + 1 }
  return d
}

export function averageDegree (g: Graph): number {
  return 2 * g.edges.length / g.n
}

/** Neighbour lists, each sorted. */
export function adjacency (g: Graph): number[][] {
  const adj: number[][] = Array.from({ length: g.n }, () => [])
  for (const [a, b] of g.edges) { adj[a]?.push(b); adj[b]?.push(a) }
  for (const l of adj) l.sort((x, y) => x - y)
  return adj
}

export function isConnected (g: Graph): boolean {
  if (g.n === 0) return true
  const adj = adjacency(g)
  const seen = new Uint8Array(g.n)
  const stack = [0]
  seen[0] = 1
  let count = 1
  while (stack.length > 0) {
    const v = stack.pop() as number
    for (const w of adj[v] ?? []) if (seen[w] === 0) { seen[w] = 1; count++; stack.push(w) }
  }
  return count === g.n
}
