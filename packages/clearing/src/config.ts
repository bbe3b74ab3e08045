/**
 * The clearer's YAML configuration, one TypeBox schema that validates and documents it. Paths are
 * relative to the file's directory. Example:
 *
 * ```yaml
 * name: clearer1
 * key: keys/clearer1.key          # written by `splitedge keygen`
 * dataDir: data/clearer1
 * listen: [/ip4/127.0.0.1/tcp/7100]
 * http: { host: 127.0.0.1, port: 8480 }
 * operators:                      # the edge operators it clears for; each lists this clearer's
 *   - name: A                     # PeerId under `clearers:` in its agent config
 *     peerId: 12D3KooW...
 *     addrs: [/ip4/127.0.0.1/tcp/7001]
 * margin: { percent: "1", fixed: "0" }
 * quoteTtlMs: 300000              # default 5 minutes
 * periodMs: 3600000               # batch settlement period, default 1 hour
 * announceMs: 60000               # directory re-announcement, default 1 minute
 * ```
 */
import { readFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { Type, type Static } from '@sinclair/typebox'
import { parse as parseYaml } from 'yaml'
import { ConfigError, HttpTokenFields, NodeConfigFields, checkAgainst, httpSettings, nodeSettings } from '@splitedge/node'
import { PeerIdSchema } from '@splitedge/wire'
import type { MarginPolicy } from './pricing.js'

const Dec = Type.String({ pattern: '^(0|[1-9][0-9]*)(\\.[0-9]+)?$', description: 'non-negative decimal as a string, e.g. "1.5"' })

export const ClearerConfigSchema = Type.Object({
  ...NodeConfigFields,
  http: Type.Optional(Type.Object({
    host: Type.String({ minLength: 1 }),
    port: Type.Integer({ minimum: 0, maximum: 65535 }),
    /** The URL announced in the directory, when the listening address is not what customers dial. */
    publicUrl: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    ...HttpTokenFields
  }, { additionalProperties: false })),
  operators: Type.Array(Type.Object({
    name: Type.String({ minLength: 1, pattern: '^[A-Za-z0-9_.-]+$', description: 'local label, used in logs and views' }),
    peerId: Type.Intersect([PeerIdSchema], { description: 'the operator\'s PeerId (12D3KooW...)' }),
    addrs: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'multiaddrs of the operator\'s agent' })
  }, { additionalProperties: false }), { minItems: 1, description: 'the edge operators this clearer clears for' }),
  margin: Type.Optional(Type.Object({ percent: Dec, fixed: Dec }, { additionalProperties: false, description: 'the clearer\'s margin on each charge it moves' })),
  quoteTtlMs: Type.Optional(Type.Integer({ minimum: 1000, description: 'how long a quote stays valid (default 300000)' })),
  periodMs: Type.Optional(Type.Integer({ minimum: 100, description: 'batch settlement period with each operator (default 3600000)' })),
  graceMs: Type.Optional(Type.Integer({ minimum: 0, description: 'wait after a period closes before settling it (default 10% of the period)' })),
  announceMs: Type.Optional(Type.Integer({ minimum: 100, description: 'how often the clearer re-announces itself (default 60000)' })),
  clockSkewMs: Type.Optional(Type.Integer({ minimum: 0, description: 'clock skew allowed on receipt intervals and tariffs (default 5000)' })),
  logLevel: Type.Optional(Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map(l => Type.Literal(l))))
}, { additionalProperties: false })
export type ClearerConfigFile = Static<typeof ClearerConfigSchema>

export interface ServedOperator { name: string, peerId: string, addrs: string[] }

export interface ClearerConfig {
  name: string
  keyPath: string
  dataDir: string
  listen: string[]
  transport: 'tcp' | 'memory'
  http: { host: string, port: number, publicUrl?: string, token?: string, tokenFile?: string } | undefined
  operators: ServedOperator[]
  margin: MarginPolicy
  quoteTtlMs: number
  periodMs: number
  graceMs: number
  announceMs: number
  clockSkewMs: number
  logLevel: string
}

/** Check a parsed config; throws ConfigError naming the field. */
export function checkClearerConfig (raw: unknown, baseDir: string): ClearerConfig {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError('(top level)', 'expected a YAML mapping')
  checkAgainst(ClearerConfigSchema, raw)
  const c = raw as ClearerConfigFile
  const ids = new Set<string>()
  const names = new Set<string>()
  c.operators.forEach((o, i) => {
    if (ids.has(o.peerId)) throw new ConfigError(`operators[${i}].peerId`, 'operator listed twice', 'list each operator once')
    if (names.has(o.name)) throw new ConfigError(`operators[${i}].name`, `duplicate name "${o.name}"`)
    ids.add(o.peerId)
    names.add(o.name)
  })
  const periodMs = c.periodMs ?? 3_600_000
  return {
    ...nodeSettings(c, baseDir),
    http: httpSettings(c.http, baseDir),
    operators: c.operators.map(o => ({ name: o.name, peerId: o.peerId, addrs: o.addrs })),
    margin: c.margin ?? { percent: '0', fixed: '0' },
    quoteTtlMs: c.quoteTtlMs ?? 300_000,
    periodMs,
    graceMs: c.graceMs ?? Math.floor(periodMs / 10),
    announceMs: c.announceMs ?? 60_000,
    clockSkewMs: c.clockSkewMs ?? 5_000,
    logLevel: c.logLevel ?? 'info'
  }
}

export async function loadClearerConfig (path: string): Promise<ClearerConfig> {
  let text: string
  try { text = await readFile(path, 'utf8') } catch (e) { throw new ConfigError(path, `cannot read config file: ${(e as Error).message}`) }
  let raw: unknown
  try { raw = parseYaml(text) } catch (e) { throw new ConfigError(path, `not valid YAML: ${(e as Error).message.split('\n')[0] ?? ''}`) }
  return checkClearerConfig(raw, dirname(resolve(path)))
}
