/**
 * What every agent service is given: components passed in, never reached for, so each service can
 * be driven in tests with a fake clock, an in-memory store and an in-memory network.
 */
import type { Logger } from 'pino'
import type { Identity } from '@splitedge/wire'
import type { Store } from '@splitedge/store'
import type { AgentConfig, Neighbour } from './config/load.js'
import type { NetNode } from '@splitedge/node'
import type { NetPort } from '@splitedge/node'
import type { AgentMetrics } from './metrics.js'

export interface AgentContext {
  config: AgentConfig
  identity: Identity
  store: Store
  /** The network the services use: libp2p, or the simulator's. */
  net: NetPort
  /** The libp2p node behind `net`, when there is one (metrics, gossip policies). */
  node: NetNode | undefined
  /** Neighbours by PeerId string. */
  neighbours: Map<string, Neighbour>
  /** Milliseconds since the epoch. */
  now: () => number
  log: Logger
  metrics: AgentMetrics
  /**
   * Deliberate defects switched on by the simulator (`splitedge vopr --break NAME`) to show that its
   * checkers can fail. Always empty in a real agent.
   */
  defects: ReadonlySet<Defect>
}

/** The defects the simulator can switch on; each is caught by one of its checkers. */
export const DEFECTS = ['ack-before-sync', 'post-twice', 'settle-partial', 'attest-higher', 'ignore-equivocation'] as const
export type Defect = typeof DEFECTS[number]

export const sortedPair = (a: string, b: string): [string, string] => a < b ? [a, b] : [b, a]
