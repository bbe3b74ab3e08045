/**
 * Docker harness for multi-agent integration tests: checks for an engine, builds the images
 * (docker/base-image.sh, docker/build-image.sh), brings a topology file up with the docker CLI
 * from the same plan `splitedge topology compose` writes (one internal network per border, plus
 * one network per agent that publishes its HTTP API on 127.0.0.1; a clearer runs
 * `splitedge clearer` on its links to the operators it serves), waits on the image's
 * healthcheck, probes reachability from inside containers, and tears everything down.
 *
 * Why the CLI and not `docker compose`: Debian ships only the old Python docker-compose 1.29,
 * and the CLI needs nothing more than the engine. Why published ports: the host then talks to
 * agents on loopback only, on any engine (with or without iptables).
 */
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import type * as TopologyModule from '../../packages/cli/dist/src/topology/index.js'
import type { ComposedTopology, PlannedAgent } from '../../packages/cli/dist/src/topology/index.js'

const execFileP = promisify(execFile)

/** Repository root (this file runs from test/dist/docker/). */
export const REPO = fileURLToPath(new URL('../../../', import.meta.url))
export const TOPOLOGIES = join(REPO, 'docker', 'topologies')

// The topology module is not (yet) exported by @splitedge/cli's index, so load its built file.
// TODO(lead): once packages/cli/src/index.ts re-exports ./topology/index.js, import it from '@splitedge/cli'.
async function topologyModule (): Promise<typeof TopologyModule> {
  return await import(new URL('packages/cli/dist/src/topology/index.js', `file://${REPO}`).href) as typeof TopologyModule
}

/**
 * Prefix of every docker object a run creates (and removes): `se-test` unless
 * SPLITEDGE_DOCKER_PREFIX says otherwise, so that two checkouts or engineers sharing one engine
 * can run the suite at once without removing each other's containers.
 */
export const PREFIX = /^[a-z0-9][a-z0-9-]{0,15}$/.test(process.env['SPLITEDGE_DOCKER_PREFIX'] ?? '') ? process.env['SPLITEDGE_DOCKER_PREFIX'] as string : 'se-test'

export interface DockerResult { stdout: string, stderr: string }

export class DockerError extends Error {
  constructor (readonly args: readonly string[], readonly exitCode: number | string | undefined, readonly stderr: string) {
    super(`docker ${args.join(' ')} failed (${String(exitCode)}): ${stderr.trim().split('\n').slice(-3).join(' | ')}`)
    this.name = 'DockerError'
  }
}

/** Run the docker CLI; rejects with a DockerError carrying stderr. */
export async function docker (args: readonly string[], timeoutMs = 120_000): Promise<DockerResult> {
  try {
    const { stdout, stderr } = await execFileP('docker', [...args], { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 })
    return { stdout, stderr }
  } catch (e) {
    const err = e as { code?: number | string, stderr?: string, message: string }
    throw new DockerError(args, err.code, err.stderr ?? err.message)
  }
}

export interface EngineStatus { ok: boolean, reason: string }

/** Is there a docker CLI with an engine that answers? */
export async function dockerAvailable (): Promise<EngineStatus> {
  try {
    const { stdout } = await execFileP('docker', ['version', '--format', '{{.Server.Version}}'], { timeout: 15_000 })
    return { ok: true, reason: `docker engine ${stdout.trim()}` }
  } catch (e) {
    const err = e as { code?: string, stderr?: string }
    if (err.code === 'ENOENT') return { ok: false, reason: 'no docker CLI on PATH' }
    const detail = (err.stderr ?? '').trim().split('\n').filter(l => l !== '').pop() ?? 'no answer'
    return { ok: false, reason: `no docker engine answers (${detail}); start one with docker/engine.sh --install` }
  }
}

/**
 * In a mocha `before`: skip the suite (saying why) when there is no engine, except under
 * CI=true, where a missing engine is a failure.
 */
export async function requireDocker (ctx: Mocha.Context): Promise<void> {
  const status = await dockerAvailable()
  if (status.ok) return
  if (process.env['CI'] === 'true') throw new Error(`docker tests need an engine under CI=true: ${status.reason}`)
  console.log(`      docker tests skipped: ${status.reason}`)
  ctx.skip()
}

async function script (name: string, args: readonly string[] = []): Promise<number> {
  const started = performance.now()
  await execFileP('bash', [join(REPO, 'docker', name), ...args], { cwd: REPO, timeout: 600_000, maxBuffer: 16 * 1024 * 1024 })
  return performance.now() - started
}

export interface BuildTimes { baseMs: number, agentMs: number, cached: boolean }

const builds = new Map<string, Promise<BuildTimes>>()

/**
 * Build splitedge/node-base:24 (if missing or stale) and the agent image from the built workspace,
 * once per test run and image: later callers share the first build.
 */
export async function buildImages (image = 'splitedge/agent:dev'): Promise<BuildTimes> {
  const done = builds.get(image)
  if (done !== undefined) return { ...await done, cached: true }
  const p = (async () => {
    const baseMs = await script('base-image.sh')
    const agentMs = await script('build-image.sh', ['--tag', image])
    return { baseMs, agentMs, cached: false }
  })()
  builds.set(image, p)
  p.catch(() => builds.delete(image))
  return await p
}

export type Reach = 'connected' | 'no-name' | 'unreachable'

export interface UpOptions {
  image?: string
  /** Operators of the plan not to run (their networks are still created). */
  omit?: readonly string[]
}

/** What a libp2p request from a throwaway identity got (docker/intruder.mjs). */
export interface IntruderResult { self: string, connected: boolean, dialError?: string, results: Record<string, string> }

/** A topology brought up on the engine. Always call `down()` (in mocha's `after`). */
export class TopologyRun {
  private constructor (
    readonly composed: ComposedTopology,
    /** Prefix of every docker object of this run (and the value of its label). */
    readonly prefix: string,
    private readonly dir: string,
    /** Planned operators that are not run. */
    readonly omitted: ReadonlySet<string>
  ) {}

  static readonly LABEL = 'org.splitedge.test'

  /** Bring up `docker/topologies/NAME.yaml` (or any path). Cleans leftovers of an earlier run first. */
  static async up (file: string, options: UpOptions = {}): Promise<TopologyRun> {
    const topo = await topologyModule()
    const path = file.includes('/') ? file : join(TOPOLOGIES, `${file}.yaml`)
    const outcome = await topo.composeTopology(await readFile(path, 'utf8'), {
      keyFactory: topo.ed25519KeyFactory,
      ...(options.image !== undefined ? { image: options.image } : {})
    })
    if (!outcome.ok) throw new Error(`topology ${path}: ${outcome.errors.map(e => `${e.field}: ${e.message}`).join('; ')}`)
    const composed = outcome.value
    const prefix = `${PREFIX}-${composed.project}`
    await removeLabelled(prefix)
    const dir = await mkdtemp(join(tmpdir(), `${prefix}-`))
    const run = new TopologyRun(composed, prefix, dir, new Set(options.omit ?? []))
    try {
      await topo.writeComposedTopology(dir, composed)
      await run.create(topo.AGENT_CONTRACT)
    } catch (e) {
      await run.down()
      throw e
    }
    return run
  }

  /** The agents that run (the plan less the omitted ones). */
  get agents (): PlannedAgent[] { return this.composed.agents.filter(a => !this.omitted.has(a.name)) }
  agent (name: string): PlannedAgent {
    const a = this.composed.agents.find(x => x.name === name)
    if (a === undefined) throw new Error(`no agent ${name} in ${this.composed.project}`)
    return a
  }
  container (agent: string): string { return `${this.prefix}-${agent}` }
  network (name: string): string { return `${this.prefix}_${name}` }

  private async create (C: typeof TopologyModule.AGENT_CONTRACT): Promise<void> {
    const label = `${TopologyRun.LABEL}=${this.prefix}`
    for (const n of this.composed.networks) {
      const args = ['network', 'create', '--label', label, ...(n.internal ? ['--internal'] : []), this.network(n.name)]
      await docker(args)
      if (n.kind === 'api') continue
      // Re-create link networks with the subnet docker just picked (so it is free), made explicit:
      // only then does `network connect --ip` work, which `heal` uses to give an agent back the
      // address its neighbour's connections were bound to.
      const { stdout } = await docker(['network', 'inspect', '-f', '{{range .IPAM.Config}}{{.Subnet}} {{end}}', this.network(n.name)])
      const subnet = stdout.trim().split(' ')[0] ?? ''
      await docker(['network', 'rm', this.network(n.name)])
      await docker([...args.slice(0, -1), '--subnet', subnet, this.network(n.name)])
    }
    for (const a of this.agents) {
      const [first, ...rest] = a.networks
      if (first === undefined) throw new Error(`invariant: ${a.name} has no network`)
      const volume = `${this.container(a.name)}-data`
      await docker(['volume', 'create', '--label', label, volume])
      await docker([
        'create', '--name', this.container(a.name), '--hostname', a.name, '--label', label,
        '--network', this.network(first), '--network-alias', a.name,
        // Names that are not neighbours must fail fast and never be forwarded off this machine.
        '--dns', '127.0.0.1', '--dns-opt', 'timeout:1', '--dns-opt', 'attempts:1',
        '--publish', `127.0.0.1::${C.httpPort}`,
        // A node process per check is not free on 2 cores: check every 3 s, and be patient.
        '--health-interval', '3s', '--health-timeout', '10s', '--health-retries', '5', '--health-start-period', '30s',
        '--volume', `${volume}:${C.dataDir}`,
        this.composed.image, ...a.args
      ])
      for (const n of rest) await docker(['network', 'connect', '--alias', a.name, this.network(n), this.container(a.name)])
      // Config, key and tariff go in owned by the image's user: keys are 0600 and bind mounts
      // would keep the host's owner.
      await execFileP('sh', ['-c', `tar -C "$1" --owner=${C.uid} --group=${C.gid} --numeric-owner -c . | docker cp - "$2"`,
        'sh', join(this.dir, a.name), `${this.container(a.name)}:${C.configDir}`])
    }
    for (const a of this.agents) await docker(['start', this.container(a.name)])
  }

  /**
   * Wait until every running agent's /health says all its neighbours are connected, and every
   * running clearer's that it is connected to each operator it serves that runs.
   */
  async waitConnected (timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const states = await Promise.all(this.agents.map(async a => {
        const h = await this.getJson(a.name, '/health').catch(() => ({ status: 0, body: undefined }))
        const b = h.body as { neighboursConnected?: number, neighbours?: number, connected?: number } | undefined
        const ok = a.clearer !== undefined
          ? b?.connected === a.serves.filter(s => !this.omitted.has(s)).length
          : b?.neighbours !== undefined && b.neighboursConnected === b.neighbours
        return { name: a.name, ok: h.status === 200 && ok, b }
      }))
      if (states.every(s => s.ok)) return
      if (Date.now() > deadline) throw new Error(`timed out waiting for neighbours: ${JSON.stringify(states.map(s => [s.name, s.b]))}`)
      await sleep(250)
    }
  }

  /** SIGKILL an agent's container (its data volume stays). */
  async kill (agent: string): Promise<void> {
    await docker(['kill', '--signal', 'KILL', this.container(agent)])
    await docker(['wait', this.container(agent)])
  }

  /** Start a stopped agent's container again, on the same volume and networks. */
  async start (agent: string): Promise<void> {
    await docker(['start', this.container(agent)])
    this.bases.delete(agent) // a restarted container gets a new host port
  }

  /**
   * Run docker/intruder.mjs in a fresh container on one of this run's networks: a throwaway
   * libp2p identity dials `host` (expected PeerId `peerId`) and tries each splitedge protocol.
   */
  async intruder (network: string, host: string, peerId: string): Promise<IntruderResult> {
    const { stdout } = await docker([
      'run', '--rm', '--label', `${TopologyRun.LABEL}=${this.prefix}`, '--network', this.network(network),
      '--dns', '127.0.0.1', '--dns-opt', 'timeout:1', '--dns-opt', 'attempts:1', '--no-healthcheck',
      '--entrypoint', 'node', this.composed.image, '/app/docker/intruder.mjs', host, peerId
    ], 60_000)
    const line = stdout.trim().split('\n').pop() ?? ''
    return JSON.parse(line) as IntruderResult
  }

  /** Wait until every container's healthcheck says healthy; fails early on unhealthy or exited ones. */
  async waitHealthy (timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const states = await Promise.all(this.agents.map(async a => [a.name, await this.health(a.name)] as const))
      const bad = states.filter(([, s]) => s === 'unhealthy' || s === 'exited' || s === 'dead')
      if (bad.length > 0) throw new Error(`not healthy: ${bad.map(([n, s]) => `${n}=${s}`).join(', ')}\n${await this.logs(bad.map(([n]) => n))}`)
      if (states.every(([, s]) => s === 'healthy')) return
      if (Date.now() > deadline) throw new Error(`timed out waiting for health: ${states.map(([n, s]) => `${n}=${s}`).join(', ')}`)
      await new Promise(resolve => setTimeout(resolve, 500))
    }
  }

  /** 'starting' | 'healthy' | 'unhealthy' while running, else the container state ('exited', ...). */
  async health (agent: string): Promise<string> {
    const { stdout } = await docker(['inspect', '-f', '{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}', this.container(agent)])
    const [state, health] = stdout.trim().split(' ')
    return state === 'running' ? (health ?? 'running') : (state ?? 'unknown')
  }

  async logs (agents: readonly string[] = this.agents.map(a => a.name)): Promise<string> {
    const out: string[] = []
    for (const a of agents) {
      const r = await docker(['logs', '--tail', '30', this.container(a)]).catch((e: unknown) => ({ stdout: '', stderr: String(e) }))
      out.push(`--- ${a}\n${r.stdout}${r.stderr}`)
    }
    return out.join('\n')
  }

  /** The agent's HTTP API as the host reaches it: http://127.0.0.1:PORT. */
  async httpBase (agent: string): Promise<string> {
    const { stdout } = await docker(['port', this.container(agent), '8080/tcp'])
    const hostPort = stdout.split('\n').map(l => l.trim()).find(l => l.startsWith('127.0.0.1:'))
    if (hostPort === undefined) throw new Error(`${agent}: HTTP port not published on 127.0.0.1 (${stdout.trim()})`)
    return `http://${hostPort}`
  }

  private readonly bases = new Map<string, string>()

  /** The published port stays the same across `docker start`, so it is looked up once. */
  private async base (agent: string): Promise<string> {
    const hit = this.bases.get(agent)
    if (hit !== undefined) return hit
    const b = await this.httpBase(agent)
    this.bases.set(agent, b)
    return b
  }

  async getJson (agent: string, path: string): Promise<{ status: number, body: unknown, next?: string }> {
    const res = await fetch(`${await this.base(agent)}${path}`, { signal: AbortSignal.timeout(10_000) })
    const text = await res.text()
    const next = res.headers.get('x-next-cursor')
    return { status: res.status, body: text === '' ? undefined : safeJson(text), ...(next !== null ? { next } : {}) }
  }

  /** GET that must answer 200; returns the JSON body, every page of a list. */
  async view<T> (agent: string, path: string): Promise<T> {
    let r = await this.getJson(agent, path)
    if (r.status !== 200) throw new Error(`${agent} GET ${path}: ${r.status} ${JSON.stringify(r.body)}`)
    if (!Array.isArray(r.body)) return r.body as T
    const all: unknown[] = [...r.body as unknown[]]
    while (r.next !== undefined) {
      r = await this.getJson(agent, `${path}${path.includes('?') ? '&' : '?'}cursor=${encodeURIComponent(r.next)}`)
      if (r.status !== 200) throw new Error(`${agent} GET ${path} (next page): ${r.status}`)
      all.push(...r.body as unknown[])
    }
    return all as T
  }

  /** POST a JSON body to an agent's or clearer's API; returns the status and the JSON answer. */
  async postJson (agent: string, path: string, body: unknown): Promise<{ status: number, body: unknown }> {
    const res = await fetch(`${await this.base(agent)}${path}`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(10_000)
    })
    const text = await res.text()
    return { status: res.status, body: text === '' ? undefined : safeJson(text) }
  }

  /**
   * Publish a new tariff file (YAML text) on an agent through its `POST /v1/tariff`, which takes
   * requests from loopback only: so from inside the agent's container.
   */
  async publishTariff (agent: string, yaml: string): Promise<{ status: number, body: unknown }> {
    const script = 'const r = await fetch(`http://127.0.0.1:${process.env.SPLITEDGE_HTTP_PORT ?? 8080}/v1/tariff`, { method: "POST", body: process.argv[1] }); ' +
      'process.stdout.write(JSON.stringify({ status: r.status, text: await r.text() }))'
    const { stdout } = await docker(['exec', this.container(agent), 'node', '--input-type=module', '-e', script, yaml], 30_000)
    const out = JSON.parse(stdout) as { status: number, text: string }
    return { status: out.status, body: out.text === '' ? undefined : safeJson(out.text) }
  }

  /** POST /v1/usage on an agent (counter pushes; body as the agent's HTTP API defines it). */
  async pushUsage (agent: string, body: unknown): Promise<{ status: number, body: unknown }> {
    const res = await fetch(`${await this.base(agent)}/v1/usage`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(5000)
    })
    const text = await res.text()
    return { status: res.status, body: text === '' ? undefined : safeJson(text) }
  }

  /** Can `from` open a TCP connection to `host` (a name or an address) on `port`, from inside its container? */
  async probe (from: string, host: string, port = 7000): Promise<Reach> {
    try {
      await docker(['exec', this.container(from), 'node', '/app/docker/probe.mjs', host, String(port), '2000'], 20_000)
      return 'connected'
    } catch (e) {
      if (e instanceof DockerError && e.exitCode === 2) return 'no-name'
      if (e instanceof DockerError && e.exitCode === 3) return 'unreachable'
      throw e
    }
  }

  /** The agent's address on one of its networks (by plan name). */
  async address (agent: string, network: string): Promise<string> {
    const { stdout } = await docker(['inspect', '-f', `{{(index .NetworkSettings.Networks "${this.network(network)}").IPAddress}}`, this.container(agent)])
    return stdout.trim()
  }

  /** The plan name of the border network between two operators. */
  borderOf (a: string, b: string): string {
    const n = this.composed.networks.find(x => x.kind !== 'api' && x.members.includes(a) && x.members.includes(b))
    if (n === undefined) throw new Error(`${a} and ${b} share no border`)
    return n.name
  }

  private readonly cutAddresses = new Map<string, string>()

  /**
   * Cut a border: take `agent` off the network it shares with `other`. Nothing is told to either
   * side (no reset): packets just stop, as on a cable pull.
   */
  async cut (agent: string, other: string): Promise<void> {
    const net = this.borderOf(agent, other)
    this.cutAddresses.set(`${agent}@${net}`, await this.address(agent, net))
    await docker(['network', 'disconnect', this.network(net), this.container(agent)])
  }

  /** Heal a border cut by `cut`: reconnect `agent` with the address it had. */
  async heal (agent: string, other: string): Promise<void> {
    const net = this.borderOf(agent, other)
    const ip = this.cutAddresses.get(`${agent}@${net}`)
    await docker(['network', 'connect', '--alias', agent, ...(ip !== undefined && ip !== '' ? ['--ip', ip] : []), this.network(net), this.container(agent)])
    this.cutAddresses.delete(`${agent}@${net}`)
  }

  /** Remove this run's config files (keys included); the containers already hold their copies. */
  async removeFiles (): Promise<void> {
    await rm(this.dir, { recursive: true, force: true })
  }

  /** Remove every container, network and volume of the topology named `project` (for `down` from another process). */
  static async downByName (project: string): Promise<void> {
    await removeLabelled(`${PREFIX}-${project}`)
  }

  /** Remove every container, network and volume of this run, and its files. Never throws. */
  async down (): Promise<void> {
    await removeLabelled(this.prefix)
    await rm(this.dir, { recursive: true, force: true })
  }
}

async function removeLabelled (prefix: string): Promise<void> {
  const filter = `label=${TopologyRun.LABEL}=${prefix}`
  const ids = async (kind: 'container' | 'network' | 'volume'): Promise<string[]> => {
    const args = kind === 'container' ? ['ps', '-aq', '--filter', filter] : [kind, 'ls', '-q', '--filter', filter]
    const { stdout } = await docker(args).catch(() => ({ stdout: '' }))
    return stdout.split('\n').map(s => s.trim()).filter(s => s !== '')
  }
  const containers = await ids('container')
  if (containers.length > 0) await docker(['rm', '-f', '-v', ...containers]).catch(() => undefined)
  const networks = await ids('network')
  if (networks.length > 0) await docker(['network', 'rm', ...networks]).catch(() => undefined)
  const volumes = await ids('volume')
  if (volumes.length > 0) await docker(['volume', 'rm', '-f', ...volumes]).catch(() => undefined)
}

export async function sleep (ms: number): Promise<void> {
  await new Promise(resolve => setTimeout(resolve, ms))
}

function safeJson (text: string): unknown {
  try { return JSON.parse(text) } catch { return text }
}
