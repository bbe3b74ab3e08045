/**
 * The parts a clearer's services are given: passed in, never reached for, so each service runs in
 * a test on an in-memory store, a hand-set clock and a fake network. Each service takes only the
 * parts it uses (a `Pick` of these) and an init of its own settings.
 */
import type { Logger } from 'pino'
import type { Identity } from '@splitedge/wire'
import type { ClearingRecords, Store } from '@splitedge/store'
import type { Clock, NetNode, NetPort, TariffView } from '@splitedge/node'
import type { NodeMetrics } from '@splitedge/node'
import type { Serial } from './serial.js'

/** The series a clearer exports: the agent's names, so one dashboard reads both. */
export type ClearerMetrics = Pick<NodeMetrics, 'registry' | 'accepted' | 'rejected' | 'disputes' | 'statements' | 'unauthorized'>

/** What every part of a clearer may be given. */
export interface ClearerContext {
  identity: Identity
  store: Store
  /** The network the services use. */
  net: NetPort
  /** The libp2p node behind `net`, when there is one. */
  node: NetNode | undefined
  clock: Clock
  log: Logger
  metrics: ClearerMetrics
}

/** The clearer's own parts, shared by its services. */
export interface ClearerParts extends ClearerContext {
  /** The clearer's typed records (receipts, consents, quotes, batches). */
  records: ClearingRecords
  /** Decoded tariffs of the operators served. */
  view: TariffView
  /** Clearing and settlement one at a time: a check and the write it decides stay atomic. */
  serial: Serial
  /** An operator's configured name, for logs and views. */
  nameOf: (peer: string) => string
  /** Is `operator` one the clearer clears for? */
  serves: (operator: string) => boolean
}

export const opAccount = (op: string): string => `operator:${op}`
