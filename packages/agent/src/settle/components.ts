/**
 * What the settle service needs, and nothing more (in the style of js-libp2p's
 * `ping(init)(components)`): the agent (agent.ts) is the one place that wires these.
 */
import type { Logger } from 'pino'
import type { Counter } from 'prom-client'
import type { Identity } from '@splitedge/wire'
import type { Store } from '@splitedge/store'
import type { NetPort } from '@splitedge/node'
import type { AgentConfig, Neighbour } from '../config/load.js'
import type { Defect } from '../context.js'
import type { Clock } from '../clock/clock.js'
import type { EffectTrace, TariffLookup } from '../border/components.js'

/** What settlement needs of the border protocol: where intervals stand, and attestation catch-up. */
export interface BorderLink {
  since: (peer: string) => Promise<number>
  scheduledUpTo: (peer: string) => Promise<number | undefined>
  pending: (peer?: string) => Promise<Array<{ peer: string, start: number }>>
  acceptAttestation: (bytes: Uint8Array, peer: string) => Promise<void>
  deliver: (peer: string, start: number) => Promise<boolean>
}

/** Tariff versions a statement needs: fetched from the neighbour, or taken from its answer. */
export interface TariffFetch {
  sync: (peer: string) => Promise<void>
  ensure: (peer: string, id: string) => Promise<boolean>
  ingest: (bytes: Uint8Array, issuer: string, via: 'gossip' | 'sync') => Promise<unknown>
}

export interface SettleComponents {
  config: Pick<AgentConfig, 'intervalMs' | 'graceMs' | 'periodIntervals'>
  identity: Identity
  store: Store
  net: Pick<NetPort, 'handle' | 'request'>
  neighbours: ReadonlyMap<string, Pick<Neighbour, 'name'>>
  clock: Clock
  log: Logger
  metrics: { rejected: Counter<'kind' | 'reason'>, exchanges: Counter<'protocol' | 'result'>, disputes: Counter<'kind'>, statements: Counter }
  /** Simulator only: deliberate defects. */
  defects: ReadonlySet<Defect>
  tariffs: TariffFetch
  view: Pick<TariffLookup, 'inForce'>
  border: BorderLink
  /** Called after each lifecycle effect ran; a throw stops the run there (tests crash the agent this way). */
  trace?: (e: EffectTrace) => void | Promise<void>
}
