/**
 * Docker: the compose file that `splitedge topology compose` writes actually runs. For `pair` and
 * `internet6`: the file passes `docker-compose config`, `docker-compose up -d` brings every
 * container to healthy with its neighbours (a clearer: its operators) connected, usage pushed on
 * every border settles two periods, and every co-signed statement is what the model computes
 * (the checks of settlement.spec.ts). Host ports are picked by the engine (loopback only).
 *
 * Needs an engine and Debian's docker-compose (1.29); the file sticks to what both
 * `docker-compose` and `docker compose` accept. Skipped with a message when either is missing,
 * except under CI=true, where that is a failure.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { dec, isZero } from '@splitedge/model'
import type * as TopologyModule from '../../packages/cli/dist/src/topology/index.js'
import type { ComposedTopology } from '../../packages/cli/dist/src/topology/index.js'
import { PREFIX, REPO, TOPOLOGIES, buildImages, docker, requireDocker, sleep, type TopologyRun } from './harness.js'
import { readViews, recheckStatement, surplusByPeriod, type AgentViews } from './settlement-check.js'
import { UsageDriver } from './usage-driver.js'

const execFileP = promisify(execFile)

async function compose (dir: string, project: string, args: readonly string[], timeoutMs = 180_000): Promise<string> {
  try {
    const { stdout } = await execFileP('docker-compose', ['-p', project, '-f', join(dir, 'docker-compose.yml'), ...args], { cwd: dir, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 })
    return stdout
  } catch (e) {
    const err = e as { stderr?: string, message: string }
    throw new Error(`docker-compose ${args.join(' ')}: ${(err.stderr ?? err.message).trim().split('\n').slice(-5).join(' | ')}`)
  }
}

async function requireCompose (ctx: Mocha.Context): Promise<void> {
  try {
    await execFileP('docker-compose', ['version'], { timeout: 30_000 })
  } catch {
    const reason = 'no docker-compose on PATH (install Debian\'s docker-compose)'
    if (process.env['CI'] === 'true') throw new Error(`compose tests need docker-compose under CI=true: ${reason}`)
    console.log(`      compose tests skipped: ${reason}`)
    ctx.skip()
  }
}

/** One topology run by docker-compose, with the few calls the usage driver and the checks need. */
class ComposeRun {
  private readonly bases = new Map<string, string>()
  private constructor (readonly composed: ComposedTopology, readonly project: string, readonly dir: string) {}

  static async up (name: string, topo: typeof TopologyModule): Promise<ComposeRun> {
    const outcome = await topo.composeTopology(await readFile(join(TOPOLOGIES, `${name}.yaml`), 'utf8'), { keyFactory: topo.ed25519KeyFactory, hostPortBase: 0 })
    if (!outcome.ok) throw new Error(outcome.errors.map(e => e.message).join('; '))
    const dir = await mkdtemp(join(tmpdir(), `${PREFIX}-compose-${name}-`))
    const run = new ComposeRun(outcome.value, `${PREFIX.replace(/-/g, '')}compose${name.replace(/[^a-z0-9]/g, '')}`, dir)
    await topo.writeComposedTopology(dir, outcome.value)
    // Keys are 0600 and the agents run as the image's user: hand the config directories over to
    // it, as the file's header tells an operator to, from a root helper container.
    const C = topo.AGENT_CONTRACT
    await docker(['run', '--rm', '--user', '0', '--network', 'none', '--entrypoint', 'node', '-v', `${dir}:/x`, outcome.value.image, '-e',
      `const fs=require('fs'),p=require('path');const w=d=>{for(const f of fs.readdirSync(d)){const q=p.join(d,f);fs.lchownSync(q,${C.uid},${C.gid});if(fs.statSync(q).isDirectory())w(q)}};for(const f of fs.readdirSync('/x'))if(fs.statSync('/x/'+f).isDirectory()){fs.chownSync('/x/'+f,${C.uid},${C.gid});w('/x/'+f)}`])
    return run
  }

  get agents (): ComposedTopology['agents'] { return this.composed.agents }
  agent (name: string): ComposedTopology['agents'][number] {
    const a = this.agents.find(x => x.name === name)
    if (a === undefined) throw new Error(`no ${name}`)
    return a
  }

  async health (service: string): Promise<string> {
    const id = (await compose(this.dir, this.project, ['ps', '-q', service])).trim()
    if (id === '') return 'missing'
    const { stdout } = await docker(['inspect', '-f', '{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}', id])
    const [state, health] = stdout.trim().split(' ')
    return state === 'running' ? (health ?? 'running') : (state ?? 'unknown')
  }

  private async base (service: string): Promise<string> {
    const hit = this.bases.get(service)
    if (hit !== undefined) return hit
    const out = (await compose(this.dir, this.project, ['port', service, '8080'])).trim()
    assert.match(out, /^127\.0\.0\.1:\d+$/, `${service}: API published on loopback only`)
    const b = `http://${out}`
    this.bases.set(service, b)
    return b
  }

  async getJson (service: string, path: string): Promise<{ status: number, body: unknown, next?: string }> {
    const res = await fetch(`${await this.base(service)}${path}`, { signal: AbortSignal.timeout(10_000) })
    const text = await res.text()
    const next = res.headers.get('x-next-cursor')
    return { status: res.status, body: text === '' ? undefined : JSON.parse(text) as unknown, ...(next !== null ? { next } : {}) }
  }

  /** Every page of a list view (the API pages lists: X-Next-Cursor). */
  async view<T> (service: string, path: string): Promise<T> {
    let r = await this.getJson(service, path)
    if (r.status !== 200) throw new Error(`${service} GET ${path}: ${r.status}`)
    if (!Array.isArray(r.body)) return r.body as T
    const all: unknown[] = [...r.body as unknown[]]
    while (r.next !== undefined) {
      r = await this.getJson(service, `${path}${path.includes('?') ? '&' : '?'}cursor=${encodeURIComponent(r.next)}`)
      if (r.status !== 200) throw new Error(`${service} GET ${path} (next page): ${r.status}`)
      all.push(...r.body as unknown[])
    }
    return all as T
  }

  /** What UsageDriver calls on a run. */
  async pushUsage (service: string, body: unknown): Promise<{ status: number, body: unknown }> {
    const res = await fetch(`${await this.base(service)}/v1/usage`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(5000) })
    const text = await res.text()
    return { status: res.status, body: text === '' ? undefined : JSON.parse(text) as unknown }
  }

  async down (): Promise<void> {
    await compose(this.dir, this.project, ['down', '-v', '--remove-orphans'], 120_000).catch((e: unknown) => { console.log(`      ${String(e)}`) })
    // The helper made the files the image user's: remove them the same way.
    await docker(['run', '--rm', '--user', '0', '--network', 'none', '--entrypoint', 'node', '-v', `${this.dir}:/x`, this.composed.image, '-e',
      'const fs=require("fs");for(const f of fs.readdirSync("/x"))fs.rmSync("/x/"+f,{recursive:true,force:true})']).catch(() => undefined)
    await rm(this.dir, { recursive: true, force: true })
  }
}

async function until (what: string, timeoutMs: number, cond: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(500)
  }
}

for (const name of ['pair', 'internet6']) {
  describe(`docker-compose: the generated file for ${name} runs`, function () {
    let run: ComposeRun | undefined
    let driver: UsageDriver | undefined
    let periodMs = 0
    let periodIntervals = 0

    before(async function () {
      this.timeout(600_000)
      await requireDocker(this)
      await requireCompose(this)
      await buildImages()
      const topo = await import(new URL('packages/cli/dist/src/topology/index.js', `file://${REPO}`).href) as typeof TopologyModule
      run = await ComposeRun.up(name, topo)
    })

    after(async function () {
      this.timeout(180_000)
      await driver?.stop()
      await run?.down()
    })

    const up = (): ComposeRun => { assert.ok(run !== undefined); return run }

    it('passes docker-compose config', async function () {
      this.timeout(60_000)
      const out = await compose(up().dir, up().project, ['config'])
      for (const a of up().agents) assert.match(out, new RegExp(`\\n  ${a.name}:\\n`), `service ${a.name}`)
    })

    it('comes up healthy and connected', async function () {
      this.timeout(300_000)
      const r = up()
      await compose(r.dir, r.project, ['up', '-d'], 240_000)
      await until('every container healthy', 180_000, async () => {
        const states = await Promise.all(r.agents.map(async a => await r.health(a.name)))
        // 'unhealthy' may pass on a loaded host (a later check succeeds); a stopped container will not.
        const bad = states.filter(s => s === 'exited' || s === 'dead')
        if (bad.length > 0) throw new Error(`not healthy: ${states.join(', ')}\n${await compose(r.dir, r.project, ['logs', '--tail', '20']).catch(() => '')}`)
        return states.every(s => s === 'healthy')
      })
      await until('neighbours connected', 120_000, async () => {
        const oks = await Promise.all(r.agents.map(async a => {
          const h = await r.getJson(a.name, '/health').catch(() => ({ status: 0, body: undefined }))
          const b = h.body as { neighboursConnected?: number, neighbours?: number, connected?: number } | undefined
          return h.status === 200 && (a.clearer !== undefined ? b?.connected === a.serves.length : b?.neighbours !== undefined && b.neighboursConnected === b.neighbours)
        }))
        return oks.every(x => x)
      })
    })

    it('settles two periods on every border, each statement what the model computes', async function () {
      this.timeout(300_000)
      const r = up()
      const interval = r.agents[0]?.config.interval?.lengthMs ?? 300_000
      periodIntervals = r.agents[0]?.config.settlement?.periodIntervals ?? 288
      periodMs = interval * periodIntervals
      const borders = r.agents.filter(a => a.clearer === undefined)
        .flatMap(a => a.config.neighbours.filter(n => a.name < n.name).map(n => ({ a: a.name, b: n.name })))
      driver = new UsageDriver(r as unknown as TopologyRun, borders, interval, ['be'])
      driver.start()
      const first = Math.floor((await driver.pushedThrough(Date.now() + interval, 60_000)) / periodMs) * periodMs + periodMs
      const through = first + periodMs
      const peerIdOf = (n: string): string => r.agent(n).peerId
      const nameOf = (p: string): string => r.agents.find(a => a.peerId === p)?.name ?? p
      // Statements before attestations and tariffs (readViews says why).
      const views = async (): Promise<AgentViews[]> => await Promise.all(r.agents.filter(a => a.clearer === undefined).map(async a =>
        await readViews(async <T>(path: string): Promise<T> => await r.view<T>(a.name, path), a.name, a.peerId)))
      const settled = (vs: AgentViews[]): boolean => borders.every(b => [[b.a, b.b], [b.b, b.a]].every(([me, other]) => {
        const st = vs.find(v => v.name === me)?.statements ?? []
        return [first, through].every(p => st.some(s => s.neighbour === other && s.period.start === p))
      }))
      let vs: AgentViews[] = []
      await until('two periods settled on every border', 240_000, async () => { vs = await views(); return settled(vs) })
      const inRange = (p: number): boolean => p >= first && p <= through
      const problems: string[] = []
      for (const v of vs) {
        for (const s of v.statements.filter(x => inRange(x.period.start))) {
          problems.push(...await recheckStatement(v, s, peerIdOf, nameOf, periodIntervals))
          const twin = vs.find(x => x.name === s.neighbour)?.statements.find(x => x.neighbour === v.name && x.period.start === s.period.start)
          if (twin?.id !== s.id) problems.push(`${v.name}/${s.neighbour} ${s.period.start}: the two sides hold different statements`)
        }
      }
      assert.deepEqual(problems, [])
      const sums = surplusByPeriod(vs.map(v => ({ ...v, statements: v.statements.filter(s => inRange(s.period.start)) })))
      for (const [p, sum] of sums) assert.ok(isZero(dec(sum)), `period ${p}: received − paid over all agents is ${sum}, not 0`)
    })
  })
}
