/**
 * The `usage: { source: ipfix }` settings, checked and compiled: neighbour names resolved to
 * PeerIds, prefixes and addresses parsed, DSCP keys checked. Every problem is a ConfigError that
 * names the field under `usage`.
 */
import { ConfigError } from '../config/errors.js'
import type { UsageSourceConfig } from '../config/schema.js'
import { exporterKey, parseAddress, parsePrefix, type BorderRule, type TimeMode } from './attribute.js'

export type IpfixConfig = Extract<UsageSourceConfig, { source: 'ipfix' }>

export interface FlowSettings {
  host: string
  port: number
  family: 'udp4' | 'udp6'
  /** Allowed exporters (canonical addresses); undefined: any. */
  exporters: Set<string> | undefined
  sampling: 'auto' | number
  classes: Record<string, string>
  rules: BorderRule[]
  time: TimeMode
  syncMs: number
  holdMs: number
  templateLifetimeMs: number
}

export const FLOW_DEFAULTS = { syncMs: 1000, holdMs: 5000, templateLifetimeMs: 1_800_000, classes: { '*': 'be' } } as const

/** Parse `host:port` / `[v6]:port`. */
export function parseListen (text: string, field: string): { host: string, port: number, family: 'udp4' | 'udp6' } {
  const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(text) ?? /^([^:[\]]+):(\d{1,5})$/.exec(text)
  const port = m === null ? NaN : Number(m[2])
  const host = m?.[1] ?? ''
  const addr = parseAddress(host)
  if (m === null || addr === undefined || port > 65535) throw new ConfigError(field, `not an address:port, got ${JSON.stringify(text)}`, 'e.g. 0.0.0.0:4739 or [::]:4739')
  return { host, port, family: addr.length === 4 ? 'udp4' : 'udp6' }
}

export function flowSettings (u: IpfixConfig, neighbours: Array<{ name: string, peerId: string }>): FlowSettings {
  const listen = parseListen(u.listen, 'usage.listen')
  const exporters = u.exporters?.map((e, i) => {
    if (parseAddress(e) === undefined) throw new ConfigError(`usage.exporters[${i}]`, `not an IP address: ${JSON.stringify(e)}`, 'list the addresses the routers export from, e.g. "192.0.2.1"')
    return exporterKey(e)
  })
  const classes: Record<string, string> = { ...(u.classes ?? FLOW_DEFAULTS.classes) }
  for (const k of Object.keys(classes)) {
    if (k !== '*' && !(/^\d{1,2}$/.test(k) && Number(k) <= 63)) throw new ConfigError(`usage.classes.${k}`, 'a key is a DSCP value 0..63 or "*"', 'e.g. classes: { "46": ef, "*": be }')
  }
  const rules: BorderRule[] = []
  for (const [name, b] of Object.entries(u.borders)) {
    const field = `usage.borders.${name}`
    const n = neighbours.find(x => x.name === name || x.peerId === name)
    if (n === undefined) throw new ConfigError(field, `"${name}" is not a configured neighbour`, `use a name from neighbours: ${neighbours.map(x => x.name).join(', ') || '(none)'}`)
    if (rules.some(r => r.peer === n.peerId)) throw new ConfigError(field, 'this neighbour has two border entries', 'give each neighbour one entry')
    const interfaces = (b.interfaces ?? []).map((i, j) => {
      if (parseAddress(i.exporter) === undefined) throw new ConfigError(`${field}.interfaces[${j}].exporter`, `not an IP address: ${JSON.stringify(i.exporter)}`)
      return { exporter: exporterKey(i.exporter), ifIndex: i.ifIndex }
    })
    const prefixes = (b.prefixes ?? []).map((p, j) => {
      const parsed = parsePrefix(p)
      if (parsed === undefined) throw new ConfigError(`${field}.prefixes[${j}]`, `not a prefix: ${JSON.stringify(p)}`, 'e.g. "198.51.100.0/24" or "2001:db8:100::/48"')
      return parsed
    })
    const asn = b.asn === undefined ? [] : Array.isArray(b.asn) ? b.asn : [b.asn]
    if (interfaces.length + prefixes.length + asn.length === 0) throw new ConfigError(field, 'no rule attributes traffic to this neighbour', 'give interfaces, prefixes or asn')
    rules.push({ peer: n.peerId, interfaces, prefixes, asn })
  }
  return {
    ...listen,
    exporters: exporters === undefined ? undefined : new Set(exporters),
    sampling: u.sampling ?? 'auto',
    classes,
    rules,
    time: u.time ?? 'pro-rata',
    syncMs: u.syncMs ?? FLOW_DEFAULTS.syncMs,
    holdMs: u.holdMs ?? FLOW_DEFAULTS.holdMs,
    templateLifetimeMs: u.templateLifetimeMs ?? FLOW_DEFAULTS.templateLifetimeMs
  }
}

/** The tariff units a flow collector can count. */
export const MEASURABLE_UNITS = ['octet', 'packet'] as const

export function checkFlowUnit (unit: string, field: string): void {
  if (!(MEASURABLE_UNITS as readonly string[]).includes(unit)) {
    throw new ConfigError(field, `unit "${unit}" cannot be measured from flow records (usage.source is ipfix)`, 'use unit: octet or unit: packet, or another usage source')
  }
}
