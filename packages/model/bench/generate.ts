/**
 * A seeded generator of large scenarios for the benchmark (no Math.random: the same seed gives the
 * same scenario). Providers form a random mesh; each edge network hangs off one provider; a flow
 * walks from an edge, through its provider and a few more, to another provider's edge.
 */
import { seededRng, type Scenario, type ScenarioFlow } from '../src/index.js'

/** The benchmark's scenarios come from the project's one seeded generator. */
export const prng = seededRng

export interface GenerateOptions { networks: number, providers: number, flowHops: number, seed: number }

export function generateScenario (o: GenerateOptions): Scenario {
  const rnd = prng(o.seed)
  const int = (n: number): number => Math.floor(rnd() * n)
  const classes = ['af41', 'be', 'ef']
  const providers = Array.from({ length: o.providers }, (_, i) => `P${i}`)
  const edges = Array.from({ length: o.networks - o.providers }, (_, i) => `c${i}`)
  const home = edges.map(() => int(o.providers))
  const customers: number[][] = providers.map(() => [])
  home.forEach((p, e) => customers[p]!.push(e))
  // Provider mesh: a ring (so everything is connected) plus three random links each.
  const links: Array<Set<number>> = providers.map(() => new Set())
  const link = (a: number, b: number): void => { if (a !== b) { links[a]!.add(b); links[b]!.add(a) } }
  for (let p = 0; p < o.providers; p++) {
    link(p, (p + 1) % o.providers)
    for (let k = 0; k < 3; k++) link(p, int(o.providers))
  }
  const neighbours = links.map(s => [...s])

  const dec = (max: number, places: number): string => {
    const c = 1 + int(max * 10 ** places)
    const s = String(c).padStart(places + 1, '0')
    return places === 0 ? s : `${s.slice(0, -places)}.${s.slice(-places)}`
  }
  const prices: NonNullable<Scenario['prices']> = {}
  const weights: NonNullable<Scenario['weights']> = {}
  const sla: NonNullable<Scenario['sla']> = {}
  const measured: NonNullable<Scenario['measured']> = {}
  providers.forEach((id, p) => {
    prices[id] = Object.fromEntries(classes.map(c => [c, dec(5, 3)]))
    const w: Record<string, { send: string, receive: string }> = { '*': { send: dec(2, 1), receive: dec(2, 1) } }
    for (const q of neighbours[p]!) if (rnd() < 0.5) w[providers[q]!] = { send: dec(1, 2), receive: dec(1, 2) }
    weights[id] = w
    if (p % 10 === 0) {
      sla[id] = { ef: [{ metric: 'delay_ms', bands: [{ upTo: '20', factor: '1' }, { upTo: '50', factor: '0.75' }, { factor: '0' }] },
        { metric: 'availability_pct', bands: [{ atLeast: '99.9', factor: '1' }, { atLeast: '99', factor: '0.9' }, { factor: '0.5' }] }] }
      measured[id] = { ef: { delay_ms: dec(60, 1), availability_pct: `99.${int(10)}` } }
    }
  })

  const flows: ScenarioFlow[] = []
  let hops = 0
  while (hops < o.flowHops) {
    const src = int(edges.length)
    let p = home[src]!
    const path = [edges[src]!, providers[p]!]
    const transit = int(4)
    for (let k = 0; k < transit; k++) {
      const ns = neighbours[p]!
      p = ns[int(ns.length)]!
      if (path[path.length - 1] !== providers[p]) path.push(providers[p]!)
    }
    const cs = customers[p]!
    if (cs.length > 0) path.push(edges[cs[int(cs.length)]!]!)
    if (path.length < 2) continue
    const room = o.flowHops - hops
    if (path.length - 1 > room) path.length = room + 1
    hops += path.length - 1
    const volume = rnd() < 0.8 ? String(1 + int(1_000_000)) : dec(1000, 3)
    flows.push({ path, class: classes[int(classes.length)]!, volume })
  }
  return {
    decimals: 6,
    networks: [...providers.map(id => ({ id, role: 'provider' as const })), ...edges.map(id => ({ id, role: 'edge' as const }))],
    prices, weights, flows, sla, measured
  }
}
