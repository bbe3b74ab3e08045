/** Helpers for in-process multi-agent tests: real libp2p on loopback, in-memory stores. */
import { MemoryLevel } from 'memory-level'
import { pino } from 'pino'
import { generateIdentity, type Identity } from '@splitedge/wire'
import { openStore, type Store } from '@splitedge/store'
import type { PricingTariff } from '@splitedge/model'
import { Agent } from '../src/agent.js'
import { checkConfig } from '../src/config/load.js'
import { createNode, request, RequestError, type NetNode } from '@splitedge/node'

export function pricing (price: string, weights: PricingTariff['weights'] = { '*': { send: '1', receive: '1' } }, extra: Partial<PricingTariff> = {}): PricingTariff {
  return {
    currency: 'EUR',
    decimals: 6,
    unit: 'octet',
    classes: {
      be: { mode: 'unicast', quality: 'BE', price },
      ef: { mode: 'unicast', quality: 'EF', price: (Number(price) * 3).toFixed(9).replace(/0+$/, '').replace(/\.$/, ''), sla: [{ metric: 'delay_ms', bands: [{ upTo: '20', factor: '1' }, { upTo: '40', factor: '0.5' }, { factor: '0' }] }] }
    },
    weights,
    ...extra
  }
}

export interface Running { agent: Agent, identity: Identity, store: Store, db: MemoryLevel<string, Uint8Array> }

/**
 * Build configs for agents connected by `edges` ([i, j] pairs) and start them. Ports are fixed per
 * test file to keep addresses stable across restarts.
 */
export async function makeIdentities (n: number): Promise<Identity[]> {
  return await Promise.all(Array.from({ length: n }, async () => await generateIdentity()))
}

export interface ConfigOpts {
  intervalMs: number
  periodIntervals: number
  tolerance?: string
  noise?: number
  seed?: string
  /** Neighbours that are not agents of this network (raw libp2p nodes playing a neighbour). */
  extraNeighbours?: Array<{ name: string, peerId: string, port: number }>
  usage?: Record<string, unknown>
  http?: { host: string, port: number }
  /** A tariff YAML file the agent publishes at start. */
  tariff?: string
}

export function configFor (i: number, ids: Identity[], ports: number[], edges: Array<[number, number]>, opts: ConfigOpts): ReturnType<typeof checkConfig> {
  const neighbours = edges.filter(([a, b]) => a === i || b === i).map(([a, b]) => {
    const j = a === i ? b : a
    return { name: `n${j}`, peerId: (ids[j] as Identity).peerId, addrs: [`/ip4/127.0.0.1/tcp/${ports[j] as number}`], status: 'peer' as const, tolerance: opts.tolerance ?? '0.01' }
  })
  for (const x of opts.extraNeighbours ?? []) neighbours.push({ name: x.name, peerId: x.peerId, addrs: [`/ip4/127.0.0.1/tcp/${x.port}`], status: 'peer', tolerance: opts.tolerance ?? '0.01' })
  return checkConfig({
    ...(opts.http !== undefined ? { http: opts.http } : {}),
    ...(opts.tariff !== undefined ? { tariff: opts.tariff } : {}),
    name: `n${i}`,
    key: '/nonexistent',
    dataDir: '/nonexistent',
    listen: [`/ip4/127.0.0.1/tcp/${ports[i] as number}`],
    interval: { lengthMs: opts.intervalMs, graceMs: Math.floor(opts.intervalMs / 5) },
    settlement: { periodIntervals: opts.periodIntervals },
    usage: opts.usage ?? { source: 'synthetic', seed: opts.seed ?? 'test', noise: opts.noise ?? 0.001, meanVolume: 1_000_000 },
    clockSkewMs: 2000,
    neighbours,
    logLevel: 'silent'
  }, '/')
}

export async function startAgent (config: ReturnType<typeof checkConfig>, identity: Identity, db?: MemoryLevel<string, Uint8Array>, opts: { http?: boolean, now?: () => number } = {}): Promise<Running> {
  const level = db ?? new MemoryLevel<string, Uint8Array>({ valueEncoding: 'view' })
  const store = await openStore({ db: level as never })
  let agent: Agent
  try {
    agent = await Agent.start({ config, identity, store, logger: pino({ level: process.env.SPLITEDGE_TEST_LOG ?? 'silent' }), http: opts.http ?? false, ...(opts.now !== undefined ? { now: opts.now } : {}) })
  } catch (err) {
    await store.close()
    throw err
  }
  return { agent, identity, store, db: level }
}

export async function waitFor (what: string, fn: () => Promise<boolean>, timeoutMs = 20_000, everyMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await fn()) return
    await new Promise(resolve => setTimeout(resolve, everyMs))
  }
  throw new Error(`timed out waiting for ${what}`)
}

/** A plain libp2p node with an agent's kind of identity: plays a neighbour, an intruder or a stranger. */
export async function rawNode (identity: Identity, port = 0): Promise<NetNode> {
  return await createNode({ privateKey: identity.privateKey, listen: [`/ip4/127.0.0.1/tcp/${port}`] })
}

/** Value of `splitedge_rejected_total{kind, reason}` (0 when never incremented). */
export async function rejectedCount (agent: Agent, kind: string, reason?: string): Promise<number> {
  const m = await agent.ctx.metrics.rejected.get()
  return m.values.filter(v => v.labels.kind === kind && (reason === undefined || v.labels.reason === reason)).reduce((s, v) => s + v.value, 0)
}

/** One request on a splitedge protocol from `node`, answered or failed, as a tagged result. */
export async function ask (node: NetNode, peer: string, protocol: string, bytes: Uint8Array, maxResponseBytes = 8 * 1024 * 1024): Promise<{ ok: true, body: Uint8Array } | { ok: false, code: string, message: string }> {
  try {
    return { ok: true, body: await request(node, peer, protocol, bytes, { maxResponseBytes, timeoutMs: 10_000 }) }
  } catch (err) {
    if (err instanceof RequestError) return { ok: false, code: err.code, message: err.message }
    throw err
  }
}

/**
 * `n` distinct TCP ports on loopback that were free a moment ago (all held open until all are
 * chosen, so none repeats). Tests take their ports here: a fixed port can be an ephemeral port that
 * another connection on the machine happens to hold.
 */
export async function freePorts (n: number): Promise<number[]> {
  const { createServer } = await import('node:net')
  const servers = Array.from({ length: n }, () => createServer())
  await Promise.all(servers.map(async s => await new Promise<void>(resolve => s.listen(0, '127.0.0.1', resolve))))
  const ports = servers.map(s => (s.address() as { port: number }).port)
  await Promise.all(servers.map(async s => await new Promise<void>(resolve => s.close(() => resolve()))))
  return ports
}

/** A TCP port on loopback that was free a moment ago. */
export async function freePort (): Promise<number> {
  return (await freePorts(1))[0] as number
}

export const sleep = async (ms: number): Promise<void> => await new Promise(resolve => setTimeout(resolve, ms))

/** POST a JSON body to an agent's HTTP API; the status and the parsed JSON answer. */
export async function postJson (url: string, path: string, body: unknown): Promise<{ status: number, body: Record<string, unknown> }> {
  const res = await fetch(`${url}${path}`, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json' } })
  return { status: res.status, body: await res.json() as Record<string, unknown> }
}
