/** Helpers for in-process clearing tests: real libp2p on loopback, in-memory stores. */
import { MemoryLevel } from 'memory-level'
import { pino, type Logger } from 'pino'
import { generateIdentity, type Identity } from '@splitedge/wire'
import { openStore, type Store } from '@splitedge/store'
import type { PricingTariff } from '@splitedge/model'
import { Agent, checkConfig } from '@splitedge/agent'
import { Clearer, checkClearerConfig, type ClearerConfig } from '../src/index.js'

export const silent = (): Logger => pino({ level: process.env.SPLITEDGE_TEST_LOG ?? 'silent' })

export function pricing (price: string, weights: PricingTariff['weights'] = { 'status:customer': { send: '1', receive: '1' } }, extra: Partial<PricingTariff> = {}): PricingTariff {
  return {
    currency: 'EUR',
    decimals: 6,
    unit: 'octet',
    classes: { be: { mode: 'unicast', quality: 'BE', price }, ef: { mode: 'unicast', quality: 'EF', price: '0.00000003' } },
    weights,
    ...extra
  }
}

export async function memStore (): Promise<Store> {
  return await openStore({ db: new MemoryLevel<string, Uint8Array>({ valueEncoding: 'view' }) as never })
}

/** An operator agent with no neighbours that lets `clearers` sync its tariff. */
export async function startOperator (name: string, identity: Identity, port: number, clearers: string[]): Promise<Agent> {
  const config = checkConfig({
    name, key: '/nonexistent', dataDir: '/nonexistent',
    listen: [`/ip4/127.0.0.1/tcp/${port}`],
    interval: { lengthMs: 60_000 },
    neighbours: [],
    clearers,
    logLevel: 'silent'
  }, '/')
  return await Agent.start({ config, identity, store: await memStore(), logger: silent(), http: false })
}

export function clearerConfig (port: number, operators: Array<{ name: string, peerId: string, port: number }>, extra: Record<string, unknown> = {}): ClearerConfig {
  return checkClearerConfig({
    name: 'clearer', key: '/nonexistent', dataDir: '/nonexistent',
    listen: [`/ip4/127.0.0.1/tcp/${port}`],
    operators: operators.map(o => ({ name: o.name, peerId: o.peerId, addrs: [`/ip4/127.0.0.1/tcp/${o.port}`] })),
    margin: { percent: '2', fixed: '0.000010' },
    logLevel: 'silent',
    ...extra
  }, '/')
}

export async function startClearer (config: ClearerConfig, identity: Identity, opts: { http?: boolean, now?: () => number } = {}): Promise<Clearer> {
  return await Clearer.start({ config, identity, store: await memStore(), logger: silent(), http: opts.http ?? false, tickMs: 100, ...(opts.now !== undefined ? { now: opts.now } : {}) })
}

export async function identities (n: number): Promise<Identity[]> {
  return await Promise.all(Array.from({ length: n }, async () => await generateIdentity()))
}

export async function waitFor (what: string, fn: () => Promise<boolean>, timeoutMs = 20_000, everyMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await fn()) return
    await new Promise(resolve => setTimeout(resolve, everyMs))
  }
  throw new Error(`timed out waiting for ${what}`)
}
