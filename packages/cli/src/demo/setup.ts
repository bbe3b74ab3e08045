/**
 * The demo's working directory: a key, two loopback ports and a config for each operator and for
 * the clearer, each operator's tariff file, and one write token shared by every node.
 */
import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { stringify as toYaml } from 'yaml'
import { generateKeyFile } from '@splitedge/wire'
import { inverseStatus } from '../topology/schema.js'
import { DEMO_BORDERS, DEMO_CLEARED, DEMO_OPERATORS, type Operator } from './network.js'

export interface Ports { p2p: number, http: number }

/** What the written files say that the rest of the demo needs. */
export interface DemoFiles {
  /** PeerId and ports of each operator, by name; the clearer's under `clearer`. */
  peerIds: Map<string, string>
  ports: Map<string, Ports>
  tokenPath: string
  token: string
}

export interface Timing { intervalMs: number, periodIntervals: number }

export async function writeDemoFiles (dir: string, timing: Timing): Promise<DemoFiles> {
  const peerIds = new Map<string, string>()
  const ports = new Map<string, Ports>()
  for (const op of DEMO_OPERATORS) {
    const id = await generateKeyFile(join(dir, `${op.name}.key`))
    peerIds.set(op.name, id.peerId)
    ports.set(op.name, { p2p: await freePort(), http: await freePort() })
  }
  // One write token for every node (http.tokenFile): the demo's own writes send it, and a person
  // at the dashboards pastes it to act (resolve a dispute, ask for a quote).
  const tokenPath = join(dir, 'http.token')
  const token = randomBytes(32).toString('base64url')
  await writeFile(tokenPath, token + '\n', { mode: 0o600 })
  peerIds.set('clearer', (await generateKeyFile(join(dir, 'clearer.key'))).peerId)
  ports.set('clearer', { p2p: await freePort(), http: await freePort() })
  const files: DemoFiles = { peerIds, ports, tokenPath, token }
  await writeFile(join(dir, 'clearer.yaml'), toYaml(clearerConfig(files, timing)))
  for (const op of DEMO_OPERATORS) {
    await writeFile(join(dir, `${op.name}.tariff.yaml`), toYaml(op.tariff))
    await writeFile(join(dir, `${op.name}.yaml`), toYaml(agentConfig(op, files, timing)))
  }
  return files
}

const p2pAddr = (f: DemoFiles, name: string): string => `/ip4/127.0.0.1/tcp/${f.ports.get(name)?.p2p ?? 0}`

function clearerConfig (f: DemoFiles, t: Timing): Record<string, unknown> {
  return {
    name: 'clearer',
    key: 'clearer.key',
    dataDir: 'data/clearer',
    listen: [p2pAddr(f, 'clearer')],
    http: { host: '127.0.0.1', port: f.ports.get('clearer')?.http ?? 0, tokenFile: 'http.token' },
    operators: DEMO_CLEARED.map(name => ({ name, peerId: f.peerIds.get(name), addrs: [p2pAddr(f, name)] })),
    margin: { percent: '1', fixed: '0' },
    periodMs: t.intervalMs * t.periodIntervals,
    logLevel: 'info'
  }
}

/** An operator's agent: every border it is on, synthetic usage, and the clearer for the edges. */
function agentConfig (op: Operator, f: DemoFiles, t: Timing): Record<string, unknown> {
  const neighbours = DEMO_BORDERS.filter(b => b.a === op.name || b.b === op.name).map(b => {
    const other = b.a === op.name ? b.b : b.a
    return {
      name: other,
      peerId: f.peerIds.get(other),
      addrs: [p2pAddr(f, other)],
      status: b.a === op.name ? b.status : inverseStatus(b.status),
      tolerance: '0.01'
    }
  })
  return {
    name: op.name,
    key: `${op.name}.key`,
    dataDir: `data/${op.name}`,
    listen: [p2pAddr(f, op.name)],
    http: { host: '127.0.0.1', port: f.ports.get(op.name)?.http ?? 0, tokenFile: 'http.token' },
    tariff: `${op.name}.tariff.yaml`,
    interval: { lengthMs: t.intervalMs },
    settlement: { periodIntervals: t.periodIntervals },
    usage: { source: 'synthetic', seed: 'splitedge-demo', meanVolume: 1_000_000, noise: 0.002 },
    neighbours,
    ...(DEMO_CLEARED.includes(op.name) ? { clearers: [f.peerIds.get('clearer')] } : {}),
    logLevel: 'info'
  }
}

async function freePort (): Promise<number> {
  return await new Promise((resolvePort, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const a = s.address()
      s.close(() => { resolvePort(typeof a === 'object' && a !== null ? a.port : 0) })
    })
  })
}
