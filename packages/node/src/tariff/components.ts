/**
 * What the tariff book is given, in the js-libp2p style: `tariffBook(init)(components)`. The init
 * says whose tariffs to keep and who may fetch ours; the components are the node's own parts,
 * passed in, never reached for. An agent and a clearer give the same kinds of parts; neither
 * needs the other's config.
 */
import type { Identity } from '@splitedge/wire'
import type { Store } from '@splitedge/store'
import type { NetPort } from '../net/port.js'
import type { Clock } from '../clock/clock.js'

type LogFn = (obj: Record<string, unknown>, msg: string) => void

/** What the book needs of a pino logger. */
export interface TariffLog { debug: LogFn, info: LogFn, warn: LogFn, error: LogFn }

/** What the book needs of the `splitedge_accepted_total` / `splitedge_rejected_total` counters. */
export interface TariffCounters {
  accepted: { inc: (labels: { kind: string }) => void }
  rejected: { inc: (labels: { kind: string, reason: string }) => void }
}

export interface TariffBookComponents {
  /** Signs our own versions; its PeerId is the issuer we answer tariff-sync for. */
  identity: Identity
  store: Store
  net: NetPort
  clock: Clock
  log: TariffLog
  counters: TariffCounters
  /** Simulator only: deliberate defects (`ignore-equivocation`). Empty in a real node. */
  defects?: ReadonlySet<string>
}

export interface TariffBookInit {
  /** Issuers whose tariffs we keep: their gossip topics are joined, their versions checked and stored. */
  follows: Iterable<string>
  /** Who may fetch our own tariff by the tariff-sync protocol (an agent: its neighbours and clearers). */
  maySync: (peer: string) => boolean
  /** How far a version's publication time may be ahead of our clock (ms). */
  clockSkewMs: number
  /**
   * Called once a new version is stored, ours or a followed issuer's, before `ingest` or
   * `publishOwn` returns (an agent compares units across its borders here).
   */
  onStored?: (issuer: string) => Promise<void>
}
