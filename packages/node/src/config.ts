/**
 * What every splitedge node's configuration shares, agents' and clearers' alike: the node and
 * token fields of the YAML schema, the error that names a field and says how to fix it, the check
 * of a parsed document against a schema, and the resolution of paths against the file's directory.
 */
import { resolve } from 'node:path'
import { Type, type TSchema } from '@sinclair/typebox'
import { Value, ValueErrorType } from '@sinclair/typebox/value'

/** A configuration problem, naming the field (a JSON-pointer-like path), what is wrong, and how to fix it. */
export class ConfigError extends Error {
  constructor (readonly field: string, readonly problem: string, readonly fix?: string) {
    super(`${field}: ${problem}${fix !== undefined ? ` (fix: ${fix})` : ''}`)
    this.name = 'ConfigError'
  }
}

/** Turn a TypeBox instance path (`/neighbours/0/peerId`) into `neighbours[0].peerId`. */
export function fieldName (pointer: string): string {
  if (pointer === '') return '(top level)'
  return pointer.slice(1).split('/').map((p, i) => /^\d+$/.test(p) ? `[${p}]` : (i === 0 ? p : `.${p}`)).join('')
}

/**
 * Check a parsed YAML document against a schema; the first problem becomes a ConfigError that
 * names the field and, for an unknown (most often misspelt) field, lists the fields allowed there.
 */
export function checkAgainst (schema: TSchema, raw: unknown): void {
  const first = Value.Errors(schema, raw).First()
  if (first === undefined) return
  const desc = (first.schema as { description?: string }).description
  const known = first.type === ValueErrorType.ObjectAdditionalProperties ? Object.keys((first.schema as { properties?: object }).properties ?? {}) : []
  const fix = known.length > 0 ? `remove it or use one of: ${known.join(', ')}` : desc
  throw new ConfigError(fieldName(first.path), first.message + (first.value !== undefined && typeof first.value !== 'object' ? `, got ${JSON.stringify(first.value)}` : ''), fix)
}

/** The node fields of a checked config, with paths resolved against the config file's directory. */
export function nodeSettings (c: { name: string, key: string, dataDir: string, listen: string[], transport?: 'tcp' | 'memory' }, baseDir: string): { name: string, keyPath: string, dataDir: string, listen: string[], transport: 'tcp' | 'memory' } {
  return { name: c.name, keyPath: resolve(baseDir, c.key), dataDir: resolve(baseDir, c.dataDir), listen: c.listen, transport: c.transport ?? 'tcp' }
}

/** The http block with its token file resolved against the config's directory; not both token forms. */
export function httpSettings<H extends { token?: string, tokenFile?: string }> (h: H | undefined, baseDir: string): H | undefined {
  if (h === undefined) return undefined
  if (h.token !== undefined && h.tokenFile !== undefined) throw new ConfigError('http.tokenFile', 'give the token or a token file, not both')
  return h.tokenFile === undefined ? h : { ...h, tokenFile: resolve(baseDir, h.tokenFile) }
}

/** The fields every splitedge node's config has: agents' and clearers' alike. */
export const NodeConfigFields = {
  name: Type.String({ minLength: 1, pattern: '^[A-Za-z0-9_.-]+$' }),
  key: Type.String({ minLength: 1, description: 'path of the Ed25519 key file written by `splitedge keygen`' }),
  dataDir: Type.String({ minLength: 1, description: 'directory of the LevelDB store' }),
  listen: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'libp2p listen multiaddrs' }),
  transport: Type.Optional(Type.Union([Type.Literal('tcp'), Type.Literal('memory')]))
}

/** The write token of a node's HTTP API (agents' and clearers'): inline, or in a file. */
export const HttpTokenFields = {
  token: Type.Optional(Type.String({ minLength: 16, maxLength: 512, pattern: '^[\\x21-\\x7e]+$', description: 'every write needs `Authorization: Bearer <token>`; at least 16 visible ASCII characters, e.g. from `openssl rand -hex 24`' })),
  tokenFile: Type.Optional(Type.String({ minLength: 1, description: 'a file holding the token (mode 0600), instead of `token`' }))
}
