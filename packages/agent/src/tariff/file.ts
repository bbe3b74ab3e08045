/**
 * The operator's tariff file (YAML, written by hand) and its conversion to the model's
 * PricingTariff. Neighbours may be named by their config name; they are resolved to PeerIds here,
 * so the signed tariff only ever names PeerIds.
 *
 * Every problem is a ConfigError naming the field, found before anything is signed: first the
 * file's shape, then the model's rules (band order and direction, bonus factors, class maps...),
 * then the exact wire schema the signed tariff must meet (lengths, metric names, limits).
 */
import { readFile } from 'node:fs/promises'
import { Type, type Static, type TSchema } from '@sinclair/typebox'
import { parse as parseYaml } from 'yaml'
import { checkPricing, isModelError, type PricingTariff } from '@splitedge/model'
import { PricingTariffSchema } from '@splitedge/wire'
import { ConfigError, checkAgainst } from '../config/load.js'

/** Longest notice period accepted: a year and a day. */
export const MAX_NOTICE_MS = 366 * 24 * 3600 * 1000

const Dec = Type.String({ pattern: '^(0|[1-9][0-9]*)(\\.[0-9]+)?$', description: 'non-negative decimal as a quoted string, e.g. "0.002"' })
const SignedDec = Type.String({ pattern: '^-?(0|[1-9][0-9]*)(\\.[0-9]+)?$', description: 'decimal as a quoted string, e.g. "-25" or "0.002"' })
const NameMap = <T extends TSchema>(v: T, description: string) => Type.Record(Type.String({ minLength: 1 }), v, { description })
const Band = Type.Object({ upTo: Type.Optional(SignedDec), atLeast: Type.Optional(SignedDec), factor: Dec }, { additionalProperties: false })
const Criterion = Type.Object({
  metric: Type.String({ minLength: 1 }),
  bands: Type.Array(Band, { minItems: 1 }),
  window: Type.Optional(Type.Union([Type.Literal('interval'), Type.Literal('period')], { description: 'interval (default) or period' })),
  default: Type.Optional(SignedDec),
  selfReport: Type.Optional(Type.Boolean()),
  bonus: Type.Optional(Type.Boolean())
}, { additionalProperties: false })
const Weights = Type.Object({ send: Dec, receive: Dec }, { additionalProperties: false })
const Class = Type.Object({
  mode: Type.Union([Type.Literal('unicast'), Type.Literal('multicast')]),
  quality: Type.String({ minLength: 1 }),
  price: Dec,
  messageFee: Type.Optional(Type.Union([Dec, Type.Object({ fee: Dec, weighted: Type.Optional(Type.Boolean()) }, { additionalProperties: false })], { description: 'a decimal, or { fee, weighted: true } to scale it by the weights' })),
  sla: Type.Optional(Type.Array(Criterion)),
  weights: Type.Optional(NameMap(Weights, 'keys: a neighbour name or PeerId, or status:customer|peer|transit'))
}, { additionalProperties: false })
const Status = Type.Union([Type.Literal('customer'), Type.Literal('peer'), Type.Literal('transit')])

export const TariffFileSchema = Type.Object({
  currency: Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 code, e.g. EUR' }),
  decimals: Type.Integer({ minimum: 0, maximum: 18 }),
  unit: Type.Union([Type.Literal('octet'), Type.Literal('packet'), Type.Literal('mbit-second')]),
  noticeMs: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_NOTICE_MS, description: `notice period in ms, at most ${MAX_NOTICE_MS} (366 days): a new version takes effect at least this long after publication (default 0)` })),
  classes: Type.Record(Type.String({ pattern: '^[A-Za-z0-9_.-]+$' }), Class, { minProperties: 1, description: 'price at least one class' }),
  weights: NameMap(Weights, 'keys: "*", "status:customer|peer|transit", or a neighbour name or PeerId'),
  statuses: Type.Optional(NameMap(Status, 'keys: a neighbour name or PeerId')),
  periodFee: Type.Optional(Type.Union([SignedDec, NameMap(Type.Union([SignedDec, Type.Object({ fee: SignedDec, whenIdle: Type.Optional(Type.Boolean({ description: 'false: waived for a period in which the border carried no attested traffic (default true)' })) }, { additionalProperties: false })]), 'keys: a neighbour name or PeerId, status:<s>, or "*"; values: a decimal or { fee, whenIdle }')], { description: 'a decimal for every neighbour, or per neighbour / status / "*"; negative: we pay' })),
  bilateralSla: Type.Optional(NameMap(Type.Record(Type.String(), Type.Array(Criterion)), 'per neighbour name or PeerId: class -> criteria')),
  classMap: Type.Optional(NameMap(Type.Record(Type.String(), Type.String()), 'per neighbour name or PeerId: their class -> our class'))
}, { additionalProperties: false })
export type TariffFile = Static<typeof TariffFileSchema>

export interface TariffSource { pricing: PricingTariff, noticeMs: number }

type Statuses = Record<string, 'customer' | 'peer' | 'transit'>

/**
 * Check a parsed tariff file and resolve neighbour names. `names` maps config names to PeerIds;
 * the issuer's own neighbours' statuses fill `statuses` for every neighbour not listed.
 */
export function checkTariffFile (raw: unknown, names: Map<string, string>, defaultStatuses: Statuses): TariffSource {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError('(top level)', 'expected a YAML mapping', 'see docs/pricing.md for an example tariff')
  checkAgainst(TariffFileSchema, raw)
  const t = raw as TariffFile
  const ids = new Set(names.values())
  const resolve = (k: string, field: string, special: boolean): string => {
    if (special && (k === '*' || /^status:(customer|peer|transit)$/.test(k))) return k
    if (special && k.startsWith('status:')) throw new ConfigError(field, `unknown status "${k.slice(7)}"`, 'use status:customer, status:peer or status:transit')
    const id = names.get(k) ?? (ids.has(k) ? k : undefined)
    if (id === undefined) throw new ConfigError(field, `"${k}" is not a configured neighbour`, `use a neighbour name from the agent config, a PeerId${special ? ', "*" or status:<s>' : ''}`)
    return id
  }
  const keyed = <T>(m: Record<string, T> | undefined, field: string, special: boolean): Record<string, T> | undefined =>
    m === undefined ? undefined : Object.fromEntries(Object.entries(m).map(([k, v]) => [resolve(k, `${field}.${k}`, special), v]))
  const statuses: Statuses = { ...defaultStatuses, ...keyed(t.statuses, 'statuses', false) }
  const classes: PricingTariff['classes'] = {}
  for (const [id, c] of Object.entries(t.classes)) {
    const w = c.weights !== undefined ? keyed(c.weights, `classes.${id}.weights`, true) : undefined
    if (w !== undefined && Object.hasOwn(w, '*')) throw new ConfigError(`classes.${id}.weights.*`, 'a class weight names a neighbour or a status', 'put the default for everyone in the tariff\'s top-level weights "*"')
    classes[id] = { ...c, ...(w !== undefined ? { weights: w } : {}) }
  }
  const pricing: PricingTariff = {
    currency: t.currency,
    decimals: t.decimals,
    unit: t.unit,
    classes,
    weights: keyed(t.weights, 'weights', true) ?? {},
    ...(Object.keys(statuses).length > 0 ? { statuses } : {}),
    ...(t.periodFee !== undefined ? { periodFee: typeof t.periodFee === 'string' ? t.periodFee : keyed(t.periodFee, 'periodFee', true) } : {}),
    ...(t.bilateralSla !== undefined ? { bilateralSla: keyed(t.bilateralSla, 'bilateralSla', false) } : {}),
    ...(t.classMap !== undefined ? { classMap: keyed(t.classMap, 'classMap', false) } : {})
  }
  checkSignable(pricing, ids)
  return { pricing, noticeMs: t.noticeMs ?? 0 }
}

/** The model's rules, then the wire schema the signed tariff must meet: the first problem, named. */
function checkSignable (pricing: PricingTariff, ids: Set<string>): void {
  try {
    checkPricing(pricing, 'tariff', k => ids.has(k))
  } catch (err) {
    if (isModelError(err)) throw new ConfigError(err.field.replace(/^tariff\.?/, '') || '(top level)', err.detail)
    throw err
  }
  checkAgainst(PricingTariffSchema, withPlaceholderIds(pricing, ids))
}

/**
 * `splitedge tariff publish --check` resolves names to themselves (it has no agent config): for the
 * wire check, such keys stand in as distinct well-formed PeerIds. Real PeerIds are kept.
 */
function withPlaceholderIds (pricing: PricingTariff, ids: Set<string>): unknown {
  const peer = /^12D3KooW[1-9A-HJ-NP-Za-km-z]{44}$/
  const stand = new Map<string, string>()
  const swap = (k: string): string => {
    if (!ids.has(k) || peer.test(k)) return k
    if (!stand.has(k)) stand.set(k, '12D3KooW' + String(stand.size + 1).replace(/0/g, 'z').padStart(44, 'A'))
    return stand.get(k)!
  }
  const keys = <T>(m: Record<string, T> | undefined): Record<string, T> | undefined => m === undefined ? undefined : Object.fromEntries(Object.entries(m).map(([k, v]) => [swap(k), v]))
  const p = structuredClone(pricing) as PricingTariff & Record<string, unknown>
  p.weights = keys(p.weights)!
  for (const c of Object.values(p.classes)) if (c.weights !== undefined) c.weights = keys(c.weights)
  if (p.statuses !== undefined) p.statuses = keys(p.statuses)
  if (p.periodFee !== undefined && typeof p.periodFee !== 'string') p.periodFee = keys(p.periodFee)
  if (p.bilateralSla !== undefined) p.bilateralSla = keys(p.bilateralSla)
  if (p.classMap !== undefined) p.classMap = keys(p.classMap)
  return p
}

/** Neighbour names a tariff file uses (for a check without an agent config: each resolves to itself). */
export function tariffNeighbourKeys (raw: unknown): string[] {
  const t = (raw ?? {}) as Partial<Record<'weights' | 'statuses' | 'bilateralSla' | 'classMap' | 'periodFee' | 'classes', unknown>>
  const keysOf = (v: unknown): string[] => v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.keys(v) : []
  const all = [t.weights, t.statuses, t.bilateralSla, t.classMap, t.periodFee, ...keysOf(t.classes).map(c => (t.classes as Record<string, { weights?: unknown }>)[c]?.weights)].flatMap(keysOf)
  return [...new Set(all.filter(k => k !== '*' && !k.startsWith('status:')))]
}

/**
 * Read and check a tariff: a file path, or YAML text with the name to give it in errors (e.g.
 * "tariff (request body)"). Every problem is a ConfigError naming the source and the field.
 */
export async function loadTariffFile (source: string | { text: string, name: string }, names: Map<string, string>, defaultStatuses: Statuses): Promise<TariffSource> {
  const name = typeof source === 'string' ? source : source.name
  let raw: unknown
  try {
    raw = parseYaml(typeof source === 'string' ? await readFile(source, 'utf8') : source.text)
  } catch (err) {
    throw new ConfigError(name, `cannot read tariff: ${(err as Error).message.split('\n')[0] ?? ''}`)
  }
  try {
    return checkTariffFile(raw, names, defaultStatuses)
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(`${name}: ${err.field}`, err.problem, err.fix)
    throw err
  }
}
