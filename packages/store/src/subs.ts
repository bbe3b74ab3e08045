// The sublevels of one store database: one per record kind, every value raw bytes.

import type { LedgerSubs } from './ledger.js'
import { PrefixSub, type AnyLevel, type Sub } from './tx.js'

export interface Subs extends LedgerSubs {
  /** issuer \0 seq -> TariffMeta */
  tariffs: Sub
  /** id -> envelope(TariffMeta, bytes) */
  tariffDocs: Sub
  /** border \0 intervalStart \0 reporter -> envelope (the current revision) */
  reports: Sub
  /** border \0 intervalStart \0 reporter \0 revision -> envelope (superseded revisions, kept for audit) */
  reportHistory: Sub
  /** border \0 intervalStart -> envelope */
  attestations: Sub
  /** border \0 periodStart -> envelope */
  statements: Sub
  /** border \0 kind \0 key -> DisputeRecord */
  disputes: Sub
  /** kind \0 key -> Json */
  pending: Sub
  /** key -> Json (untyped; being replaced by typed areas, see area.ts and meta.ts) */
  meta: Sub
  /** border \0 intervalStart -> UsageCounters (see usage.ts) */
  usage: Sub
  /** idempotency key -> { digest, answer } */
  usageKeys: Sub
  /** area name \0 key parts -> JSON checked against the area's schema (see area.ts) */
  records: Sub
}

const SUBLEVELS: Record<keyof Subs, string> = {
  tariffs: 'tariff',
  tariffDocs: 'tariff-doc',
  reports: 'report',
  reportHistory: 'report-superseded',
  attestations: 'attestation',
  statements: 'statement',
  disputes: 'dispute',
  pending: 'pending',
  meta: 'meta',
  usage: 'usage-counter',
  usageKeys: 'usage-idempotency',
  records: 'record',
  transfers: 'ledger-transfer',
  log: 'ledger-log',
  byAccount: 'ledger-account',
  balances: 'ledger-balance',
  currencies: 'ledger-currency'
}

const sub = (db: AnyLevel, name: string): Sub => db.sublevel<string, Uint8Array>(name, { keyEncoding: 'utf8', valueEncoding: 'view' })

/** The sublevels of `db` (opened); with `prefixed`, key prefixes of `db` itself (see StoreOptions). */
export function openSubs (db: AnyLevel, prefixed = false): Subs {
  const s = (field: keyof Subs): Sub => prefixed ? new PrefixSub(db, SUBLEVELS[field]) : sub(db, SUBLEVELS[field])
  return {
    tariffs: s('tariffs'),
    tariffDocs: s('tariffDocs'),
    reports: s('reports'),
    reportHistory: s('reportHistory'),
    attestations: s('attestations'),
    statements: s('statements'),
    disputes: s('disputes'),
    pending: s('pending'),
    meta: s('meta'),
    usage: s('usage'),
    usageKeys: s('usageKeys'),
    records: s('records'),
    transfers: s('transfers'),
    log: s('log'),
    byAccount: s('byAccount'),
    balances: s('balances'),
    currencies: s('currencies')
  }
}
