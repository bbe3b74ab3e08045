/** Prometheus metrics of one agent: the node's series and the agent's own, in one registry per agent. */
import { Counter, Gauge, type Registry } from 'prom-client'
import { createNodeMetrics, type NodeMetrics } from '@splitedge/node'
import { signCounts, verifyCounts } from '@splitedge/wire'

/** The node's series (`@splitedge/node` metrics.ts) plus the agent's own. */
export interface AgentMetrics extends NodeMetrics {
  neighboursConnected: Gauge
  attestations: Counter
  clockOffset: Gauge<'neighbour'>
  flow: FlowMetrics
  usagePushes: Counter<'result'>
}

/** The flow collector's series (usage source ipfix), per exporter address. */
export interface FlowMetrics {
  packets: Counter<'exporter'>
  bytes: Counter<'exporter'>
  records: Counter<'exporter'>
  templates: Counter<'exporter'>
  lost: Counter<'exporter' | 'unit'>
  malformed: Counter<'exporter'>
  unattributed: Counter<'exporter' | 'reason'>
  late: Counter<'exporter'>
  dropped: Counter<'exporter' | 'reason'>
  lostAtRestart: Counter<'exporter' | 'unit'>
  unsynced: Gauge
}

function flowMetrics (registry: Registry): FlowMetrics {
  const counter = <L extends string>(name: string, help: string, labelNames: L[]): Counter<L> => new Counter({ name, help, labelNames, registers: [registry] })
  return {
    packets: counter('splitedge_ipfix_packets_total', 'IPFIX / NetFlow v9 export packets received, per exporter', ['exporter']),
    bytes: counter('splitedge_ipfix_bytes_total', 'Bytes of export packets received, per exporter', ['exporter']),
    records: counter('splitedge_ipfix_records_total', 'Flow records decoded, per exporter', ['exporter']),
    templates: counter('splitedge_ipfix_templates_total', 'Template and options template records received (withdrawals included), per exporter', ['exporter']),
    lost: counter('splitedge_ipfix_lost_total', 'Export lost by sequence gap: records (IPFIX) or packets (NetFlow v9), per exporter', ['exporter', 'unit']),
    malformed: counter('splitedge_ipfix_malformed_total', 'Export packets that could not be read in full, per exporter', ['exporter']),
    unattributed: counter('splitedge_ipfix_unattributed_total', 'Flow records not counted: no border matched, or no class for the DSCP', ['exporter', 'reason']),
    late: counter('splitedge_ipfix_late_total', 'Flow records (parts, per interval) for an interval already reported to the neighbour: not counted', ['exporter']),
    dropped: counter('splitedge_ipfix_dropped_total', 'Export dropped: packets from exporters not allowed, data sets whose template never came, records timed far in the future', ['exporter', 'reason']),
    lostAtRestart: counter('splitedge_ipfix_lost_at_restart_total', 'Export received but not yet synced when the agent stopped, or sent while it was down (by sequence number on restart)', ['exporter', 'unit']),
    unsynced: new Gauge({ name: 'splitedge_ipfix_unsynced_records', help: 'Flow records counted in memory and not yet written to the store', registers: [registry] })
  }
}

/**
 * Ed25519 work of the whole process (made and verified signatures): registered only for an agent
 * that owns its process, as the process metrics are, since the tallies are process-wide.
 */
function cryptoMetrics (registry: Registry): void {
  new Gauge({
    name: 'splitedge_signatures',
    help: 'Ed25519 signatures made (op=sign) and checked (op=verify) by this process',
    labelNames: ['op'],
    registers: [registry],
    collect () {
      this.set({ op: 'sign' }, signCounts().signatures)
      this.set({ op: 'verify' }, verifyCounts().signatures)
    }
  })
}

export function createMetrics (opts: { defaultMetrics?: boolean } = {}): AgentMetrics {
  const base = createNodeMetrics(opts)
  const registers: Registry[] = [base.registry]
  if (opts.defaultMetrics === true) cryptoMetrics(base.registry)
  return {
    ...base,
    neighboursConnected: new Gauge({ name: 'splitedge_neighbours_connected', help: 'Configured neighbours currently connected', registers }),
    attestations: new Counter({ name: 'splitedge_attestations_total', help: 'Co-signed usage attestations stored', registers }),
    flow: flowMetrics(base.registry),
    clockOffset: new Gauge({ name: 'splitedge_clock_offset_ms', help: 'Last measured clock offset of each neighbour (theirs minus ours), ms', labelNames: ['neighbour'], registers }),
    usagePushes: new Counter({ name: 'splitedge_usage_pushes_total', help: 'Usage push requests, by result (accepted, replayed, or the refusal code)', labelNames: ['result'], registers })
  }
}
