/**
 * Prometheus metrics of one agent. Each agent has its own registry so that many agents can share
 * a process (the simulator) without their series colliding.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client'

export interface AgentMetrics {
  registry: Registry
  rejected: Counter<'kind' | 'reason'>
  accepted: Counter<'kind'>
  exchanges: Counter<'protocol' | 'result'>
  neighboursConnected: Gauge
  attestations: Counter
  statements: Counter
  disputes: Counter<'kind'>
  clockOffset: Gauge<'neighbour'>
  usagePushes: Counter<'result'>
}

export function createMetrics (opts: { defaultMetrics?: boolean } = {}): AgentMetrics {
  const registry = new Registry()
  if (opts.defaultMetrics === true) collectDefaultMetrics({ register: registry })
  return {
    registry,
    rejected: new Counter({ name: 'splitedge_rejected_total', help: 'Documents and frames rejected on arrival, by kind and reason', labelNames: ['kind', 'reason'], registers: [registry] }),
    accepted: new Counter({ name: 'splitedge_accepted_total', help: 'Documents accepted, by kind', labelNames: ['kind'], registers: [registry] }),
    exchanges: new Counter({ name: 'splitedge_exchanges_total', help: 'Protocol exchanges initiated, by protocol and result', labelNames: ['protocol', 'result'], registers: [registry] }),
    neighboursConnected: new Gauge({ name: 'splitedge_neighbours_connected', help: 'Configured neighbours currently connected', registers: [registry] }),
    attestations: new Counter({ name: 'splitedge_attestations_total', help: 'Co-signed usage attestations stored', registers: [registry] }),
    statements: new Counter({ name: 'splitedge_statements_total', help: 'Co-signed settlement statements stored', registers: [registry] }),
    disputes: new Counter({ name: 'splitedge_disputes_total', help: 'Disputes recorded, by kind', labelNames: ['kind'], registers: [registry] }),
    clockOffset: new Gauge({ name: 'splitedge_clock_offset_ms', help: 'Last measured clock offset of each neighbour (theirs minus ours), ms', labelNames: ['neighbour'], registers: [registry] }),
    usagePushes: new Counter({ name: 'splitedge_usage_pushes_total', help: 'Usage push requests, by result (accepted, replayed, or the refusal code)', labelNames: ['result'], registers: [registry] })
  }
}
