/**
 * Usage pushed into the agents as their operators' collectors would: for every border and
 * interval, the same traffic pushed to both sides (out on one, in on the other), at seeded times
 * inside the interval and, with the `race` fault, right at its end. Every push carries an id and is
 * retried until it is answered, as a careful client does. What was acknowledged is recorded: the
 * `durable` checker holds the agents to it.
 */
import type { UsageError } from '@splitedge/agent'
import type { Rng } from '../rng.js'
import type { EventQueue } from '../world/time.js'
import { INTERVAL_MS, type SimNode } from './nodes.js'

export interface Acked {
  /** `node|peer|start|class|direction` -> sum of acknowledged volumes, each id once. */
  sums: Map<string, bigint>
  ids: Set<string>
  /** Pushes refused because the interval had closed: fine, but counted for the summary. */
  refusedClosed: number
  /** Called the moment a push is acknowledged (the crash fault may kill the node right then). */
  onAck?: (node: SimNode) => void
}

export const ackKey = (node: string, peer: string, start: number, cls: string, dir: string): string => `${node}|${peer}|${start}|${cls}|${dir}`

interface Push { id: string, node: SimNode, peer: SimNode, start: number, dir: 'in' | 'out', volume: bigint }

/** Send one push; retried at a later event while the node is down or the answer is lost. */
function send (queue: EventQueue, acked: Acked, p: Push, attempt: number): void {
  const agent = p.node.agent
  const retry = (): void => { if (attempt < 20) queue.after(INTERVAL_MS / 12, `retry push ${p.id}`, () => { send(queue, acked, p, attempt + 1) }) }
  if (agent === undefined) { retry(); return }
  const item = { neighbour: p.peer.identity.peerId, intervalStart: p.start, class: 'be', direction: p.dir, volume: String(p.volume), id: p.id }
  agent.usage.push([item]).then((a) => {
    if (a.accepted + a.duplicates !== 1) throw new Error(`push ${p.id} answered ${JSON.stringify(a)}`)
    if (acked.ids.has(p.id)) return
    acked.ids.add(p.id)
    const k = ackKey(p.node.name, p.peer.name, p.start, 'be', p.dir)
    acked.sums.set(k, (acked.sums.get(k) ?? 0n) + p.volume)
    acked.onAck?.(p.node)
  }, (err: UsageError | Error) => {
    if ('code' in err && (err.code === 'interval-closed' || err.code === 'before-border')) { acked.refusedClosed++; return }
    // A full disk (507), a store closed by a crash, a lost answer: not acknowledged; try again later.
    retry()
  })
}

/** Schedule the traffic of every border for intervals [first, last). */
export interface Lies {
  /** Probability that one side of a border reports an interval half as much again (beyond tolerance). */
  beyond: number
  /** Borders (by index in `edges`) whose second side always reports 0.4 % more (within tolerance). */
  inflate: ReadonlySet<number>
}

export function scheduleTraffic (queue: EventQueue, rng: Rng, nodes: SimNode[], edges: Array<[number, number]>, range: { first: number, last: number, race: boolean, lies: Lies }, acked: Acked): void {
  for (const [e, [a, b]] of edges.entries()) {
    const [x, y] = [nodes[a] as SimNode, nodes[b] as SimNode]
    for (let start = range.first; start < range.last; start += INTERVAL_MS) {
      const lie = rng() < range.lies.beyond
      const told = (v: bigint): bigint => lie ? v + v / 2n : range.lies.inflate.has(e) ? v + v / 250n : v
      const pushes = 1 + Math.floor(rng() * 3)
      for (let k = 0; k < pushes; k++) {
        // Near the end of the interval when racing its close; anywhere in it otherwise.
        const at = range.race && rng() < 0.3 ? start + INTERVAL_MS + Math.floor(rng() * (INTERVAL_MS / 8)) : start + Math.floor(rng() * INTERVAL_MS)
        const volume = BigInt(1 + Math.floor(rng() * 1_000_000))
        const id = `${x.name}-${y.name}:${start}:${k}`
        queue.at(at, `push ${id}`, () => {
          send(queue, acked, { id: `${id}:x`, node: x, peer: y, start, dir: 'out', volume }, 0)
          send(queue, acked, { id: `${id}:y`, node: y, peer: x, start, dir: 'in', volume: told(volume) }, 0)
        })
      }
    }
  }
}
