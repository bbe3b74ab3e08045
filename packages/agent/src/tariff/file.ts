/**
 * The operator's tariff file (YAML, written by hand) and its conversion to the model's
 * PricingTariff. Neighbours may be named by their config name; they are resolved to PeerIds here,
 * so the signed tariff only ever names PeerIds.
 */
import { readFile } from 'node:fs/promises'
import { Type, type Static } from '@sinclair/typebox'
import { parse as parseYaml } from 'yaml'
import type { PricingTariff } from '@splitedge/model'
import { ConfigError, checkAgainst } from '../config/load.js'

const Dec = Type.String({ pattern: '^(0|[1-9][0-9]*)(\\.[0-9]+)?$', description: 'non-negative decimal as a quoted string, e.g. "0.002"' })
const Band = Type.Object({ upTo: Type.Optional(Dec), atLeast: Type.Optional(Dec), factor: Dec }, { additionalProperties: false })
const Criterion = Type.Object({ metric: Type.String({ minLength: 1 }), bands: Type.Array(Band, { minItems: 1 }) }, { additionalProperties: false })
const Class = Type.Object({
  mode: Type.Union([Type.Literal('unicast'), Type.Literal('multicast')]),
  quality: Type.String({ minLength: 1 }),
  price: Dec,
  messageFee: Type.Optional(Dec),
  sla: Type.Optional(Type.Array(Criterion))
}, { additionalProperties: false })
const Weights = Type.Object({ send: Dec, receive: Dec }, { additionalProperties: false })

export const TariffFileSchema = Type.Object({
  currency: Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 code, e.g. EUR' }),
  decimals: Type.Integer({ minimum: 0, maximum: 18 }),
  unit: Type.Union([Type.Literal('octet'), Type.Literal('packet'), Type.Literal('mbit-second')]),
  noticeMs: Type.Optional(Type.Integer({ minimum: 0, description: 'notice period: a new version takes effect at least this long after publication (default 0)' })),
  classes: Type.Record(Type.String({ pattern: '^[A-Za-z0-9_.-]+$' }), Class),
  weights: Type.Record(Type.String({ minLength: 1 }), Weights, { description: 'keys: "*", "status:customer|peer|transit", or a neighbour name or PeerId' }),
  statuses: Type.Optional(Type.Record(Type.String({ minLength: 1 }), Type.Union([Type.Literal('customer'), Type.Literal('peer'), Type.Literal('transit')]))),
  periodFee: Type.Optional(Dec)
}, { additionalProperties: false })
export type TariffFile = Static<typeof TariffFileSchema>

export interface TariffSource { pricing: PricingTariff, noticeMs: number }

/**
 * Check a parsed tariff file and resolve neighbour names. `names` maps config names to PeerIds;
 * the issuer's own neighbours' statuses fill `statuses` for every neighbour not listed.
 */
export function checkTariffFile (raw: unknown, names: Map<string, string>, defaultStatuses: Record<string, 'customer' | 'peer' | 'transit'>): TariffSource {
  checkAgainst(TariffFileSchema, raw)
  const t = raw as TariffFile
  const resolveKey = (k: string, field: string): string => {
    if (k === '*' || /^status:(customer|peer|transit)$/.test(k)) return k
    if (k.startsWith('status:')) throw new ConfigError(field, `unknown status "${k.slice(7)}"`, 'use status:customer, status:peer or status:transit')
    const id = names.get(k) ?? ([...names.values()].includes(k) ? k : undefined)
    if (id === undefined) throw new ConfigError(field, `"${k}" is not a configured neighbour`, 'use a neighbour name from the agent config, a PeerId, "*" or status:<s>')
    return id
  }
  const weights: PricingTariff['weights'] = {}
  for (const [k, w] of Object.entries(t.weights)) weights[resolveKey(k, `weights.${k}`)] = { send: w.send, receive: w.receive }
  const statuses: Record<string, 'customer' | 'peer' | 'transit'> = { ...defaultStatuses }
  for (const [k, s] of Object.entries(t.statuses ?? {})) statuses[resolveKey(k, `statuses.${k}`)] = s
  for (const [id, cls] of Object.entries(t.classes)) {
    for (const [i, c] of (cls.sla ?? []).entries()) {
      for (const [j, b] of c.bands.entries()) {
        if (b.upTo !== undefined && b.atLeast !== undefined) throw new ConfigError(`classes.${id}.sla[${i}].bands[${j}]`, 'a band has upTo or atLeast, not both')
      }
    }
  }
  const pricing: PricingTariff = {
    currency: t.currency,
    decimals: t.decimals,
    unit: t.unit,
    classes: t.classes,
    weights,
    ...(Object.keys(statuses).length > 0 ? { statuses } : {}),
    ...(t.periodFee !== undefined ? { periodFee: t.periodFee } : {})
  }
  return { pricing, noticeMs: t.noticeMs ?? 0 }
}

export async function loadTariffFile (path: string, names: Map<string, string>, defaultStatuses: Record<string, 'customer' | 'peer' | 'transit'>): Promise<TariffSource> {
  let raw: unknown
  try {
    raw = parseYaml(await readFile(path, 'utf8'))
  } catch (err) {
    throw new ConfigError(path, `cannot read tariff file: ${(err as Error).message.split('\n')[0] ?? ''}`)
  }
  return checkTariffFile(raw, names, defaultStatuses)
}
