/**
 * Docker harness for multi-agent integration tests: checks for an engine, builds the images
 * (docker/base-image.sh, docker/build-image.sh), brings a topology file up with the docker CLI
 * from the same plan `splitedge topology compose` writes (one internal network per border, plus
 * one network per agent that publishes its HTTP API on 127.0.0.1), waits on the image's
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

/**
 * Which program the containers run: the stand-in server until the agent is ready, then
 * `splitedge agent`. Flip the default here (or set SPLITEDGE_DOCKER_AGENT=real) when it lands.
 */
export const AGENT_MODE: 'placeholder' | 'real' = process.env['SPLITEDGE_DOCKER_AGENT'] === 'real' ? 'real' : 'placeholder'

// The topology module is not (yet) exported by @splitedge/cli's index, so load its built file.
// TODO(lead): once packages/cli/src/index.ts re-exports ./topology/index.js, import it from '@splitedge/cli'.
async function topologyModule (): Promise<typeof TopologyModule> {
  return await import(new URL('packages/cli/dist/src/topology/index.js', `file://${REPO}`).href) as typeof TopologyModule
}

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

export interface BuildTimes { baseMs: number, agentMs: number }

/** Build splitedge/node-base:24 (if missing or stale) and the agent image from the built workspace. */
export async function buildImages (image = 'splitedge/agent:dev'): Promise<BuildTimes> {
  const baseMs = await script('base-image.sh')
  const agentMs = await script('build-image.sh', ['--tag', image])
  return { baseMs, agentMs }
}

export type Reach = 'connected' | 'no-name' | 'unreachable'

export interface UpOptions {
  image?: string
  mode?: 'placeholder' | 'real'
}

/** A topology brought up on the engine. Always call `down()` (in mocha's `after`). */
export class TopologyRun {
  private constructor (
    readonly composed: ComposedTopology,
    /** Prefix of every docker object of this run (and the value of its label). */
    readonly prefix: string,
    private readonly dir: string
  ) {}

  static readonly LABEL = 'org.splitedge.test'

  /** Bring up `docker/topologies/NAME.yaml` (or any path). Cleans leftovers of an earlier run first. */
  static async up (file: string, options: UpOptions = {}): Promise<TopologyRun> {
    const topo = await topologyModule()
    const path = file.includes('/') ? file : join(TOPOLOGIES, `${file}.yaml`)
    const mode = options.mode ?? AGENT_MODE
    const outcome = await topo.composeTopology(await readFile(path, 'utf8'), {
      keyFactory: topo.ed25519KeyFactory,
      placeholder: mode === 'placeholder',
      ...(options.image !== undefined ? { image: options.image } : {})
    })
    if (!outcome.ok) throw new Error(`topology ${path}: ${outcome.errors.map(e => `${e.field}: ${e.message}`).join('; ')}`)
    const composed = outcome.value
    const prefix = `se-test-${composed.project}`
    await removeLabelled(prefix)
    const dir = await mkdtemp(join(tmpdir(), `${prefix}-`))
    const run = new TopologyRun(composed, prefix, dir)
    try {
      await topo.writeComposedTopology(dir, composed)
      await run.create(topo.AGENT_CONTRACT)
    } catch (e) {
      await run.down()
      throw e
    }
    return run
  }

  get agents (): PlannedAgent[] { return this.composed.agents }
  container (agent: string): string { return `${this.prefix}-${agent}` }
  network (name: string): string { return `${this.prefix}_${name}` }

  private async create (C: typeof TopologyModule.AGENT_CONTRACT): Promise<void> {
    const label = `${TopologyRun.LABEL}=${this.prefix}`
    for (const n of this.composed.networks) {
      await docker(['network', 'create', '--label', label, ...(n.internal ? ['--internal'] : []), this.network(n.name)])
    }
    for (const a of this.composed.agents) {
      const [first, ...rest] = a.networks
      if (first === undefined) throw new Error(`invariant: ${a.name} has no network`)
      const volume = `${this.container(a.name)}-data`
      await docker(['volume', 'create', '--label', label, volume])
      const command = this.composed.placeholder ? ['--entrypoint', 'node', this.composed.image, ...C.placeholderArgs] : [this.composed.image, ...C.agentArgs]
      await docker([
        'create', '--name', this.container(a.name), '--hostname', a.name, '--label', label,
        '--network', this.network(first), '--network-alias', a.name,
        // Names that are not neighbours must fail fast and never be forwarded off this machine.
        '--dns', '127.0.0.1', '--dns-opt', 'timeout:1', '--dns-opt', 'attempts:1',
        '--publish', `127.0.0.1::${C.httpPort}`,
        '--health-interval', '1s', '--health-timeout', '2s', '--health-retries', '3', '--health-start-period', '2s',
        '--volume', `${volume}:${C.dataDir}`,
        ...command
      ])
      for (const n of rest) await docker(['network', 'connect', '--alias', a.name, this.network(n), this.container(a.name)])
      // Config, key and tariff go in owned by the image's user: keys are 0600 and bind mounts
      // would keep the host's owner.
      await execFileP('sh', ['-c', `tar -C "$1" --owner=${C.uid} --group=${C.gid} --numeric-owner -c . | docker cp - "$2"`,
        'sh', join(this.dir, a.name), `${this.container(a.name)}:${C.configDir}`])
    }
    for (const a of this.composed.agents) await docker(['start', this.container(a.name)])
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

  async getJson (agent: string, path: string): Promise<{ status: number, body: unknown }> {
    const res = await fetch(`${await this.httpBase(agent)}${path}`, { signal: AbortSignal.timeout(5000) })
    const text = await res.text()
    return { status: res.status, body: text === '' ? undefined : safeJson(text) }
  }

  /** POST /v1/usage on an agent (counter pushes; body as the agent's HTTP API defines it). */
  async pushUsage (agent: string, body: unknown): Promise<{ status: number, body: unknown }> {
    const res = await fetch(`${await this.httpBase(agent)}/v1/usage`, {
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

  /** Cut a border: take `agent` off the network it shares with `other`. */
  async cut (agent: string, other: string): Promise<void> {
    await docker(['network', 'disconnect', this.network(this.borderOf(agent, other)), this.container(agent)])
  }

  /** Heal a border cut by `cut`. */
  async heal (agent: string, other: string): Promise<void> {
    await docker(['network', 'connect', '--alias', agent, this.network(this.borderOf(agent, other)), this.container(agent)])
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

function safeJson (text: string): unknown {
  try { return JSON.parse(text) } catch { return text }
}
