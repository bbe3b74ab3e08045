/**
 * The agent's configuration file (YAML), described by one TypeBox schema that both validates and
 * documents it. Paths in the file are relative to the file's own directory.
 */
import { Type, type Static } from '@sinclair/typebox'
import { HttpTokenFields, NodeConfigFields } from '@splitedge/node'

export { HttpTokenFields, NodeConfigFields }

const DecimalString = Type.String({ pattern: '^(0|[1-9][0-9]*)(\\.[0-9]+)?$', description: 'non-negative decimal as a string, e.g. "0.01"' })

export const NeighbourConfigSchema = Type.Object({
  name: Type.String({ minLength: 1, pattern: '^[A-Za-z0-9_.-]+$', description: 'local label, used in logs and in tariff files' }),
  peerId: Type.String({ minLength: 40, description: "the neighbour's PeerId (12D3KooW...), from its `splitedge keygen`" }),
  addrs: Type.Array(Type.String({ minLength: 1 }), { description: 'multiaddrs to dial, e.g. /ip4/10.0.0.2/tcp/7000' }),
  status: Type.Union([Type.Literal('customer'), Type.Literal('peer'), Type.Literal('transit')], { description: 'what this neighbour is to us' }),
  tolerance: Type.Optional(Type.Intersect([DecimalString], { description: 'relative tolerance for usage reconciliation (default "0.01" = 1%)' }))
}, { additionalProperties: false })

export const UsageSourceSchema = Type.Union([
  Type.Object({ source: Type.Literal('http') }, { additionalProperties: false, description: 'counter pushes on POST /v1/usage' }),
  Type.Object({
    source: Type.Literal('file'),
    path: Type.String({ minLength: 1, description: 'CSV or JSONL file imported once at start' })
  }, { additionalProperties: false }),
  Type.Object({
    source: Type.Literal('synthetic'),
    seed: Type.String({ minLength: 1, description: 'shared by neighbours so both derive the same traffic' }),
    classes: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
    meanVolume: Type.Optional(Type.Integer({ minimum: 0, description: 'mean volume per class, direction and interval' })),
    noise: Type.Optional(Type.Number({ minimum: 0, maximum: 0.5, description: 'per-side relative measurement noise, e.g. 0.002' }))
  }, { additionalProperties: false }),
  Type.Object({
    source: Type.Literal('ipfix'),
    listen: Type.String({ minLength: 3, description: 'UDP address for IPFIX and NetFlow v9, e.g. 0.0.0.0:4739 or [::]:4739' }),
    exporters: Type.Optional(Type.Array(Type.String({ minLength: 2 }), { description: 'exporter addresses allowed to send; others are dropped and counted' })),
    sampling: Type.Optional(Type.Union([Type.Literal('auto'), Type.Integer({ minimum: 1 })], { description: '"auto" scales by the exporter\'s announced sampling rate; a number N scales every record by N' })),
    classes: Type.Optional(Type.Record(Type.String(), Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' }), { description: 'DSCP (0..63) to tariff class, "*" for the default, e.g. { "46": ef, "*": be }' })),
    borders: Type.Record(Type.String({ minLength: 1 }), Type.Object({
      interfaces: Type.Optional(Type.Array(Type.Object({
        exporter: Type.String({ minLength: 2 }),
        ifIndex: Type.Integer({ minimum: 0, maximum: 4294967295 })
      }, { additionalProperties: false }), { description: 'ingress on one of these = in from the neighbour, egress = out to it' })),
      prefixes: Type.Optional(Type.Array(Type.String({ minLength: 3 }), { description: 'source in one = in from the neighbour, destination in one = out to it' })),
      asn: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 4294967295 }), Type.Array(Type.Integer({ minimum: 1, maximum: 4294967295 }))], { description: 'bgpPrevAdjacentAsNumber = in, bgpNextAdjacentAsNumber = out' }))
    }, { additionalProperties: false }), { description: 'per neighbour name: how a flow is attributed to it and a direction' }),
    time: Type.Optional(Type.Union([Type.Literal('pro-rata'), Type.Literal('end')], { description: 'a flow spanning intervals is split by duration (pro-rata, default) or counted at its end' })),
    syncMs: Type.Optional(Type.Integer({ minimum: 50, description: 'how often counters are written to the store (default 1000)' })),
    holdMs: Type.Optional(Type.Integer({ minimum: 0, description: 'how long a data set waits for its template (default 5000)' })),
    templateLifetimeMs: Type.Optional(Type.Integer({ minimum: 1000, description: 'a template not re-announced for this long is forgotten (default 1800000)' }))
  }, { additionalProperties: false })
])



export const AgentConfigSchema = Type.Object({
  ...NodeConfigFields,
  http: Type.Optional(Type.Object({
    host: Type.String({ minLength: 1 }),
    port: Type.Integer({ minimum: 0, maximum: 65535 }),
    ...HttpTokenFields
  }, { additionalProperties: false })),
  tariff: Type.Optional(Type.String({ minLength: 1, description: 'path of this operator\'s tariff YAML, published at start when it changed' })),
  interval: Type.Optional(Type.Object({
    lengthMs: Type.Integer({ minimum: 100, description: 'usage interval length (default 300000 = 5 minutes)' }),
    graceMs: Type.Optional(Type.Integer({ minimum: 0, description: 'wait after an interval closes before reporting it (default 10% of the length)' }))
  }, { additionalProperties: false })),
  settlement: Type.Optional(Type.Object({
    periodIntervals: Type.Integer({ minimum: 1, description: 'intervals per settlement period (default 288 = one day of 5-minute intervals)' })
  }, { additionalProperties: false })),
  clockSkewMs: Type.Optional(Type.Integer({ minimum: 0, description: 'how far in the future a neighbour\'s report may claim to be (default 5000)' })),
  usage: Type.Optional(UsageSourceSchema),
  neighbours: Type.Array(NeighbourConfigSchema),
  clearers: Type.Optional(Type.Array(Type.String({ minLength: 40 }), { description: 'PeerIds of clearers allowed to fetch our tariff' })),
  logLevel: Type.Optional(Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map(l => Type.Literal(l))))
}, { additionalProperties: false })

export type NeighbourConfig = Static<typeof NeighbourConfigSchema>
export type UsageSourceConfig = Static<typeof UsageSourceSchema>
export type AgentConfigFile = Static<typeof AgentConfigSchema>
