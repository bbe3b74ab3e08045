/**
 * Topology → docker-compose file and per-agent configs and keys. Each border (and each
 * clearer-to-operator link) is its own internal docker network holding just its two agents, so
 * an agent can reach only its neighbours; each agent also gets a network of its own ("api-NAME")
 * through which its HTTP port is published on 127.0.0.1. An operator with role clearer runs
 * `splitedge clearer` with a clearer config (the edges it serves, at their addresses on its links)
 * instead of an agent. Pure: keys come from the factory and files are returned, not written
 * (see write.ts).
 */
import { stringify as toYaml } from 'yaml'
import { AGENT_CONTRACT as C } from './contract.js'
import type { KeyFactory } from './keys.js'
import { borderNetworkName, inverseStatus, parseTopology, type Status, type Topology, type TopologyError } from './schema.js'

export interface ComposeOptions {
  keyFactory: KeyFactory
  /** Agent image (default splitedge/agent:dev). */
  image?: string
  /**
   * First host port for the published HTTP APIs; agent i gets base + i (default 18080). 0
   * publishes each API on a free loopback port the engine picks (`docker-compose port NAME 8080`).
   */
  hostPortBase?: number
}

export interface NeighbourEntry { name: string, peerId: string, addrs: string[], status: Status, tolerance?: string }

/** The agent config file's content (packages/agent/src/config/schema.ts). */
export interface AgentConfigDoc {
  name: string
  key: string
  dataDir: string
  listen: string[]
  http: { host: string, port: number }
  tariff?: string
  interval?: { lengthMs: number, graceMs?: number }
  settlement?: { periodIntervals: number }
  usage: Record<string, unknown>
  neighbours: NeighbourEntry[]
  clearers: string[]
}

/** The clearer config file's content (packages/clearing/src/config.ts). */
export interface ClearerConfigDoc {
  name: string
  key: string
  dataDir: string
  listen: string[]
  http: { host: string, port: number, publicUrl: string }
  /** The operators it clears for, each at its address on the link network it shares with the clearer. */
  operators: Array<{ name: string, peerId: string, addrs: string[] }>
  margin: { percent: string, fixed: string }
  /** Batch settlement period: the agents' settlement period, when the topology sets it. */
  periodMs?: number
}

export interface PlannedNetwork {
  /** Name inside the compose project (docker prefixes it with the project name). */
  name: string
  kind: 'border' | 'clearing' | 'api'
  internal: boolean
  members: string[]
}

export interface PlannedAgent {
  name: string
  role: Topology['operators'][number]['role']
  peerId: string
  /** Networks this agent joins; the api network first (it carries the published port). */
  networks: string[]
  hostPort: number
  /**
   * The agent config. A clearer runs no agent: its own is `clearer`, and this one only says it has
   * no neighbours (no agent.yaml is written for it).
   */
  config: AgentConfigDoc
  /** For clearers: the operators it serves. */
  serves: string[]
  /** For clearers: the clearer config (written as clearer.yaml). */
  clearer: ClearerConfigDoc | undefined
  /** Arguments after the image's entrypoint: `agent --config ...` or `clearer --config ...`. */
  args: readonly string[]
}

export interface GeneratedFile {
  /** Relative to the output directory. */
  path: string
  content: string | Uint8Array
  mode: number
}

export interface ComposedTopology {
  project: string
  image: string
  agents: PlannedAgent[]
  networks: PlannedNetwork[]
  /** The compose document (also in files as docker-compose.yml). */
  compose: Record<string, unknown>
  files: GeneratedFile[]
}

export type ComposeOutcome = { ok: true, value: ComposedTopology } | { ok: false, errors: TopologyError[] }

/** The files an agent's config directory holds, relative to it. */
export const agentFiles = (name: string): { config: string, clearerConfig: string, key: string, tariff: string } =>
  ({ config: 'agent.yaml', clearerConfig: 'clearer.yaml', key: `${name}.key`, tariff: 'tariff.yaml' })

export async function composeTopology (input: string | Topology, options: ComposeOptions): Promise<ComposeOutcome> {
  let topology: Topology
  if (typeof input === 'string') {
    const parsed = parseTopology(input)
    if (!parsed.ok) return parsed
    topology = parsed.topology
  } else topology = input

  const image = options.image ?? C.image
  const base = options.hostPortBase ?? 18080
  const keys = new Map<string, { peerId: string, keyFile: Uint8Array }>()
  for (const op of topology.operators) keys.set(op.name, await options.keyFactory(op.name))
  const peerIdOf = (n: string): string => {
    const k = keys.get(n)
    if (k === undefined) throw new Error(`invariant: no key for ${n}`)
    return k.peerId
  }
  const plan: Plan = { topology, networks: planNetworks(topology), tariffs: tariffsOf(topology), peerIdOf }
  const agents = topology.operators.map((op, i) => planAgent(plan, op, base === 0 ? 0 : base + i))
  const compose = composeDocument(topology, agents, plan.networks, image)
  const files: GeneratedFile[] = [
    { path: 'docker-compose.yml', content: composeHeader(topology.name) + toYaml(compose), mode: 0o644 },
    { path: 'topology.json', content: JSON.stringify(planSummary(topology.name, agents, plan.networks), null, 2) + '\n', mode: 0o644 },
    ...agents.flatMap(a => agentDirectory(a, keys.get(a.name)?.keyFile ?? new Uint8Array(), plan.tariffs.get(a.name)))
  ]
  return { ok: true, value: { project: topology.name, image, agents, networks: plan.networks, compose, files } }
}

/** What planning each agent needs: the topology, its networks and tariffs, and every operator's PeerId. */
interface Plan {
  topology: Topology
  networks: PlannedNetwork[]
  tariffs: Map<string, Record<string, unknown>>
  peerIdOf: (name: string) => string
}

const addrOf = (n: string): string => `/dns4/${n}/tcp/${C.p2pPort}`

/** One internal network per border and per clearing link, and one api network per operator. */
function planNetworks (topology: Topology): PlannedNetwork[] {
  return [
    ...topology.borders.map(b => ({ name: borderNetworkName(b.a, b.b), kind: 'border' as const, internal: true, members: [b.a, b.b] })),
    ...topology.clearing.flatMap(c => c.serves.map(s => ({ name: borderNetworkName(c.clearer, s), kind: 'clearing' as const, internal: true, members: [c.clearer, s] }))),
    ...topology.operators.map(o => ({ name: `api-${o.name}`, kind: 'api' as const, internal: false, members: [o.name] }))
  ]
}

/** Each operator's tariff: its own, or a zero tariff for an edge that has none. */
function tariffsOf (topology: Topology): Map<string, Record<string, unknown>> {
  const tariffs = new Map<string, Record<string, unknown>>()
  for (const op of topology.operators) {
    const t = op.tariff ?? (op.role === 'edge' ? edgeTariff(topology, op.name) : undefined)
    if (t !== undefined) tariffs.set(op.name, t)
  }
  return tariffs
}

type TopologyOperator = Topology['operators'][number]

function planAgent (plan: Plan, op: TopologyOperator, hostPort: number): PlannedAgent {
  const { topology, peerIdOf } = plan
  const serves = [...new Set(topology.clearing.filter(c => c.clearer === op.name).flatMap(c => c.serves))]
  const clearer = op.role === 'clearer' ? clearerConfig(topology, op.name, serves, peerIdOf, addrOf) : undefined
  return {
    name: op.name,
    role: op.role,
    peerId: peerIdOf(op.name),
    networks: plan.networks.filter(n => n.members.includes(op.name)).sort((x, y) => Number(x.kind !== 'api') - Number(y.kind !== 'api')).map(n => n.name),
    hostPort,
    config: agentConfig(plan, op),
    serves,
    clearer,
    args: clearer !== undefined ? C.clearerArgs : C.agentArgs
  }
}

/** The agent config: its neighbours across its borders (each side's status as the other sees it), its clearers. */
function agentConfig (plan: Plan, op: TopologyOperator): AgentConfigDoc {
  const { topology, peerIdOf } = plan
  const neighbours: NeighbourEntry[] = []
  for (const b of topology.borders) {
    const [other, status] = b.a === op.name ? [b.b, b.status] : b.b === op.name ? [b.a, inverseStatus(b.status)] : [undefined, undefined]
    if (other === undefined || status === undefined) continue
    neighbours.push({ name: other, peerId: peerIdOf(other), addrs: [addrOf(other)], status, ...(b.tolerance !== undefined ? { tolerance: b.tolerance } : {}) })
  }
  const files = agentFiles(op.name)
  return {
    name: op.name,
    key: `${C.configDir}/${files.key}`,
    dataDir: C.dataDir,
    listen: [`/ip4/0.0.0.0/tcp/${C.p2pPort}`],
    http: { host: '0.0.0.0', port: C.httpPort },
    ...(plan.tariffs.has(op.name) ? { tariff: `${C.configDir}/${files.tariff}` } : {}),
    ...(topology.interval !== undefined ? { interval: topology.interval } : {}),
    ...(topology.settlement !== undefined ? { settlement: topology.settlement } : {}),
    usage: op.usage ?? topology.usage ?? { source: 'http' },
    neighbours,
    clearers: topology.clearing.filter(c => c.serves.includes(op.name)).map(c => peerIdOf(c.clearer))
  }
}

/** An agent's config directory: its agent or clearer config, its key (0600) and its tariff. */
function agentDirectory (a: PlannedAgent, keyFile: Uint8Array, tariff: Record<string, unknown> | undefined): GeneratedFile[] {
  const f = agentFiles(a.name)
  return [
    a.clearer !== undefined
      ? { path: `${a.name}/${f.clearerConfig}`, content: toYaml(a.clearer), mode: 0o644 }
      : { path: `${a.name}/${f.config}`, content: toYaml(a.config), mode: 0o644 },
    { path: `${a.name}/${f.key}`, content: keyFile, mode: 0o600 },
    ...(tariff !== undefined ? [{ path: `${a.name}/${f.tariff}`, content: toYaml(tariff), mode: 0o644 }] : [])
  ]
}

/**
 * A clearer's config: it listens where agents do, serves its API on the agents' HTTP port, and
 * dials each served operator by name (the operator's alias on the link network they share).
 */
function clearerConfig (t: Topology, name: string, serves: string[], peerIdOf: (n: string) => string, addrOf: (n: string) => string): ClearerConfigDoc {
  const f = agentFiles(name)
  const margin = t.clearing.find(c => c.clearer === name && c.margin !== undefined)?.margin ?? C.clearerMargin
  return {
    name,
    key: `${C.configDir}/${f.key}`,
    dataDir: C.dataDir,
    listen: [`/ip4/0.0.0.0/tcp/${C.p2pPort}`],
    // Announced in the directory: where the operators it serves reach it (by name, on their link).
    http: { host: '0.0.0.0', port: C.httpPort, publicUrl: `http://${name}:${C.httpPort}` },
    operators: serves.map(s => ({ name: s, peerId: peerIdOf(s), addrs: [addrOf(s)] })),
    margin: { ...margin },
    ...(t.interval !== undefined && t.settlement !== undefined ? { periodMs: t.interval.lengthMs * t.settlement.periodIntervals } : {})
  }
}

/**
 * An edge customer charges nobody (every weight 0), but the settle protocol prices each border
 * from both parties' tariffs, so an edge without one gets a zero tariff in its providers' currency
 * and units, pricing their classes at 0. Undefined when no neighbour has a tariff to copy.
 */
export function edgeTariff (t: Topology, name: string): Record<string, unknown> | undefined {
  const others = t.borders.filter(b => b.a === name || b.b === name).map(b => b.a === name ? b.b : b.a)
  const priced = others.map(o => t.operators.find(x => x.name === o)?.tariff).filter((x): x is Record<string, unknown> => x !== undefined)
  const first = priced[0]
  if (first === undefined) return undefined
  const classes: Record<string, unknown> = {}
  for (const p of priced) {
    const cls = p['classes']
    if (typeof cls !== 'object' || cls === null) continue
    for (const [id, c] of Object.entries(cls as Record<string, Record<string, unknown>>)) {
      classes[id] ??= { mode: c['mode'], quality: c['quality'], price: '0' }
    }
  }
  return { currency: first['currency'], decimals: first['decimals'], unit: first['unit'], classes, weights: { '*': { send: '0', receive: '0' } } }
}

function composeDocument (t: Topology, agents: PlannedAgent[], networks: PlannedNetwork[], image: string): Record<string, unknown> {
  const services: Record<string, unknown> = {}
  const volumes: Record<string, unknown> = {}
  for (const a of agents) {
    services[a.name] = {
      image,
      hostname: a.name,
      command: [...a.args],
      volumes: [`./${a.name}:${C.configDir}:ro`, `${a.name}-data:${C.dataDir}`],
      networks: Object.fromEntries(a.networks.map(n => [n, {}])),
      ports: [a.hostPort === 0 ? `127.0.0.1::${C.httpPort}` : `127.0.0.1:${a.hostPort}:${C.httpPort}`],
      // Each check starts a node process: on a busy small host that takes seconds, so be patient
      // (a 3 s timeout marked agents that were settling normally unhealthy).
      healthcheck: { test: [...C.healthcheck], interval: '5s', timeout: '10s', retries: 5, start_period: '30s' },
      labels: { 'org.splitedge.topology': t.name, 'org.splitedge.role': a.role, 'org.splitedge.peer-id': a.peerId },
      restart: 'unless-stopped'
    }
    volumes[`${a.name}-data`] = {}
  }
  return {
    services,
    networks: Object.fromEntries(networks.map(n => [n.name, n.internal ? { internal: true } : {}])),
    volumes
  }
}

function composeHeader (name: string): string {
  return [
    `# splitedge topology "${name}", written by \`splitedge topology compose\`.`,
    `# Run: docker-compose -p ${name} up -d   (or docker compose; from this directory)`,
    '# Each border is an internal network holding just its two agents; api-NAME publishes',
    `# NAME's HTTP API on 127.0.0.1. The agents run as uid ${C.uid}: give them the config`,
    `# directories first (chown -R ${C.uid}:${C.gid} */), since keys are mode 0600.`,
    ''
  ].join('\n')
}

function planSummary (name: string, agents: PlannedAgent[], networks: PlannedNetwork[]): Record<string, unknown> {
  return {
    name,
    agents: agents.map(a => ({ name: a.name, role: a.role, peerId: a.peerId, hostPort: a.hostPort, networks: a.networks, command: a.args, neighbours: a.config.neighbours.map(n => n.name), serves: a.serves })),
    networks
  }
}
