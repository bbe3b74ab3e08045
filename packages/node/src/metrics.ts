/**
 * Prometheus series every splitedge node has, an agent's and a clearer's alike. Each node has its
 * own registry so that many can share a process (the simulator) without their series colliding.
 */
import { Counter, Registry, collectDefaultMetrics } from 'prom-client'

export interface NodeMetrics {
  registry: Registry
  rejected: Counter<'kind' | 'reason'>
  accepted: Counter<'kind'>
  exchanges: Counter<'protocol' | 'result'>
  statements: Counter
  disputes: Counter<'kind'>
  unauthorized: Counter<'reason'>
}

export function createNodeMetrics (opts: { defaultMetrics?: boolean } = {}): NodeMetrics {
  const registry = new Registry()
  if (opts.defaultMetrics === true) collectDefaultMetrics({ register: registry })
  return {
    registry,
    rejected: new Counter({ name: 'splitedge_rejected_total', help: 'Documents and frames rejected on arrival, by kind and reason', labelNames: ['kind', 'reason'], registers: [registry] }),
    accepted: new Counter({ name: 'splitedge_accepted_total', help: 'Documents accepted, by kind', labelNames: ['kind'], registers: [registry] }),
    exchanges: new Counter({ name: 'splitedge_exchanges_total', help: 'Protocol exchanges initiated, by protocol and result', labelNames: ['protocol', 'result'], registers: [registry] }),
    statements: new Counter({ name: 'splitedge_statements_total', help: 'Co-signed settlement statements stored', registers: [registry] }),
    disputes: new Counter({ name: 'splitedge_disputes_total', help: 'Disputes recorded, by kind', labelNames: ['kind'], registers: [registry] }),
    unauthorized: new Counter({ name: 'splitedge_http_unauthorized_total', help: 'HTTP requests refused 401 for a missing, malformed or wrong token, by reason', labelNames: ['reason'], registers: [registry] })
  }
}
