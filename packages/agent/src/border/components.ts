/**
 * What the border service needs, and nothing more (in the style of js-libp2p's
 * `ping(init)(components)`): the agent (agent.ts) is the one place that wires these.
 */
import type { Logger } from 'pino'
import type { Identity } from '@splitedge/wire'
import type { Store } from '@splitedge/store'
import type { NetPort } from '@splitedge/node'
import type { PricingTariff } from '@splitedge/model'
import type { Counter } from 'prom-client'
import type { AgentConfig, Neighbour } from '../config/load.js'
import type { Defect } from '../context.js'
import type { Clock } from '../clock/clock.js'
import type { UsageLineInput, MetricInput } from '../usage/types.js'
import type { StoreBatch, UsageCounters } from '@splitedge/store'
import type { IntervalEffect, IntervalState } from './interval.js'
import type { PeriodEffect, PeriodState } from '../settle/period.js'

/** A tariff version in force, as far as the border and settle protocols read it. */
export interface TariffVersion { id: string, pricing: PricingTariff, body: { previous: string | null } }

/** Read access to the tariff book. */
export interface TariffLookup {
  inForce: (issuer: string, time: number) => Promise<TariffVersion | undefined>
  byId: (id: string) => Promise<TariffVersion | undefined>
}

/** The part of the usage source the border protocol uses: closing an interval into our report. */
export interface UsageClose {
  closeInto: <R extends { id: string, bytes: Uint8Array }>(peer: string, start: number,
    sign: (m: { lines: UsageLineInput[], metrics: MetricInput[] }) => Promise<R>, decode: (bytes: Uint8Array) => R,
    extra?: (batch: StoreBatch) => StoreBatch) => Promise<R>
  counters: (peer: string, start: number) => Promise<UsageCounters>
}

/** How far a neighbour's clock is from ours, and whether a refusal about it may be logged now. */
export interface SkewWatch {
  observe: (peer: string, theirs: number | undefined, sentAt?: number) => void
  shouldLog: (key: string) => boolean
}

/** One effect a lifecycle ran, for tests and the simulator (crash between any two). */
export type EffectTrace =
  | { machine: 'interval', peer: string, start: number, effect: IntervalEffect, state: IntervalState }
  | { machine: 'period', peer: string, start: number, effect: PeriodEffect, state: PeriodState }

export interface BorderComponents {
  config: Pick<AgentConfig, 'intervalMs' | 'graceMs' | 'periodIntervals' | 'clockSkewMs'>
  identity: Identity
  store: Store
  net: Pick<NetPort, 'handle' | 'request'>
  neighbours: ReadonlyMap<string, Pick<Neighbour, 'name' | 'tolerance'>>
  clock: Clock
  log: Logger
  metrics: { rejected: Counter<'kind' | 'reason'>, exchanges: Counter<'protocol' | 'result'>, disputes: Counter<'kind'>, attestations: Counter }
  /** Simulator only: deliberate defects. */
  defects: ReadonlySet<Defect>
  usage: UsageClose
  /** Fetch a neighbour's tariff versions (tariff sync). */
  tariffs: { sync: (peer: string) => Promise<void> }
  view: TariffLookup
  skew: SkewWatch
  /** Called after each lifecycle effect ran; a throw stops the run there (tests crash the agent this way). */
  trace?: (e: EffectTrace) => void | Promise<void>
}
