/**
 * Loads and checks an agent's YAML configuration. Every problem is reported as a ConfigError that
 * names the field and says how to fix it; defaults are filled in so the rest of the agent never
 * has to guess.
 */
import { readFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { parse as parseYaml } from 'yaml'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { checkFlowUnit, flowSettings } from '../flow/config.js'
import { AgentConfigSchema, type AgentConfigFile, type NeighbourConfig, type UsageSourceConfig } from './schema.js'
import { ConfigError, checkAgainst, fieldName, nodeSettings, httpSettings } from '@splitedge/node'

export { ConfigError, checkAgainst, fieldName, nodeSettings, httpSettings }

export interface Neighbour extends Required<Pick<NeighbourConfig, 'name' | 'peerId' | 'addrs' | 'status'>> {
  tolerance: string
}

export interface AgentConfig {
  name: string
  keyPath: string
  dataDir: string
  listen: string[]
  transport: 'tcp' | 'memory'
  http: { host: string, port: number, token?: string, tokenFile?: string } | undefined
  tariffPath: string | undefined
  intervalMs: number
  graceMs: number
  periodIntervals: number
  clockSkewMs: number
  usage: UsageSourceConfig
  neighbours: Neighbour[]
  clearers: string[]
  logLevel: string
}

export const DEFAULTS = {
  intervalMs: 300_000,
  periodIntervals: 288,
  clockSkewMs: 5_000,
  tolerance: '0.01'
} as const




export function checkConfig (raw: unknown, baseDir: string): AgentConfig {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError('(top level)', 'expected a YAML mapping', 'see "Running an agent" in the README for an example')
  }
  checkAgainst(AgentConfigSchema, raw)
  const c = raw as AgentConfigFile
  const names = new Set<string>()
  const ids = new Set<string>()
  const neighbours: Neighbour[] = c.neighbours.map((n, i) => {
    const field = `neighbours[${i}]`
    if (names.has(n.name)) throw new ConfigError(`${field}.name`, `duplicate neighbour name "${n.name}"`, 'give each neighbour its own name')
    names.add(n.name)
    checkPeerId(n.peerId, `${field}.peerId`)
    if (ids.has(n.peerId)) throw new ConfigError(`${field}.peerId`, 'duplicate neighbour PeerId', 'list each neighbour once')
    ids.add(n.peerId)
    if (n.addrs.length === 0) throw new ConfigError(`${field}.addrs`, 'no address to dial', 'add at least one multiaddr, e.g. /ip4/192.0.2.1/tcp/7000')
    n.addrs.forEach((a, j) => { checkMultiaddr(a, `${field}.addrs[${j}]`) })
    if (n.tolerance !== undefined && Number(n.tolerance) > 1) throw new ConfigError(`${field}.tolerance`, `${n.tolerance} is ${Number(n.tolerance) * 100} %: figures that far apart are not the same measurement`, 'give a relative tolerance from 0 to 1, e.g. "0.01" for 1 %')
    return { name: n.name, peerId: n.peerId, addrs: n.addrs, status: n.status, tolerance: n.tolerance ?? DEFAULTS.tolerance }
  })
  ;(c.clearers ?? []).forEach((p, i) => { checkPeerId(p, `clearers[${i}]`) })
  c.listen.forEach((a, j) => { checkMultiaddr(a, `listen[${j}]`) })
  const intervalMs = c.interval?.lengthMs ?? DEFAULTS.intervalMs
  const graceMs = c.interval?.graceMs ?? Math.floor(intervalMs / 10)
  if (graceMs >= intervalMs) throw new ConfigError('interval.graceMs', 'must be shorter than interval.lengthMs')
  if (c.usage?.source === 'ipfix') flowSettings(c.usage, neighbours)
  return {
    ...nodeSettings(c, baseDir),
    http: httpSettings(c.http, baseDir),
    tariffPath: c.tariff !== undefined ? resolve(baseDir, c.tariff) : undefined,
    intervalMs,
    graceMs,
    periodIntervals: c.settlement?.periodIntervals ?? DEFAULTS.periodIntervals,
    clockSkewMs: c.clockSkewMs ?? DEFAULTS.clockSkewMs,
    usage: c.usage?.source === 'file' ? { ...c.usage, path: resolve(baseDir, c.usage.path) } : (c.usage ?? { source: 'http' }),
    neighbours,
    clearers: c.clearers ?? [],
    logLevel: c.logLevel ?? 'info'
  }
}


function checkMultiaddr (s: string, field: string): void {
  try {
    multiaddr(s)
  } catch (err) {
    throw new ConfigError(field, `not a multiaddr: ${JSON.stringify(s)} (${(err as Error).message})`, 'write it like /ip4/192.0.2.1/tcp/7000, /ip6/2001:db8::1/tcp/7000 or /dns4/peer.example/tcp/7000')
  }
}

function checkPeerId (s: string, field: string): void {
  let type: string
  try {
    type = peerIdFromString(s).type
  } catch {
    throw new ConfigError(field, `not a PeerId: "${s}"`, 'copy the PeerId printed by `splitedge keygen` on that operator\'s machine')
  }
  if (type !== 'Ed25519') throw new ConfigError(field, `PeerId is ${type}, splitedge keys are Ed25519`)
}

export async function loadConfig (path: string): Promise<AgentConfig> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    throw new ConfigError(path, `cannot read config file: ${(err as Error).message}`, 'check the path; README.md "Running an agent" has an example config')
  }
  let raw: unknown
  try {
    raw = parseYaml(text)
  } catch (err) {
    throw new ConfigError(path, `not valid YAML: ${(err as Error).message.split('\n')[0] ?? ''}`)
  }
  const config = checkConfig(raw, dirname(resolve(path)))
  if (config.usage.source === 'ipfix' && config.tariffPath !== undefined) {
    // A flow collector counts octets or packets: a tariff in another unit is refused here, at load.
    let unit: unknown
    try { unit = (parseYaml(await readFile(config.tariffPath, 'utf8')) as { unit?: unknown } | null)?.unit } catch { unit = undefined }
    if (typeof unit === 'string') checkFlowUnit(unit, `${config.tariffPath}: unit`)
  }
  return config
}
