/**
 * What the HTTP API needs of a clearer (http.ts, http-quotes.ts): `Clearer` is one. The API is
 * given this, not the class, so the class and its HTTP server do not import each other.
 */
import type { ClearedRecord, IssuedQuote } from '@splitedge/store'
import type { TariffView } from '@splitedge/node'
import type { SettleAttempt } from './settlement.js'
import type { Evidence, HeldStatement } from './books.js'
import type { Claim } from './claims.js'
import type { ClearerContext } from './components.js'
import type { ClearerConfig } from './config.js'
import type { ClearerDirectory } from './directory.js'
import type { QuoteRequest } from './pricing.js'
import type { QuoteOutcome } from './quotes.js'
import type { ClearOutcome } from './receipts.js'

export interface ClearerApi {
  readonly config: ClearerConfig
  readonly peerId: string
  readonly directory: ClearerDirectory
  readonly view: TariffView
  readonly ctx: Pick<ClearerContext, 'clock' | 'log' | 'metrics' | 'store'>
  nameOf: (peer: string) => string
  connected: () => string[]
  quote: (req: QuoteRequest) => Promise<QuoteOutcome>
  quotes: (limit: number, before?: number) => Promise<{ items: IssuedQuote[], next?: number }>
  clear: (claim: Claim) => Promise<ClearOutcome>
  cleared: () => Promise<ClearedRecord[]>
  evidence: (receiptId: string) => Promise<Evidence>
  statements: () => Promise<HeldStatement[]>
  audit: () => Promise<{ ok: boolean, problems: string[] }>
  settleDue: () => Promise<SettleAttempt[]>
}
