// The double-entry ledger, TigerBeetle style: transfers are immutable and keyed by an
// idempotency id, balances are debits/credits per account and currency, and every posting
// keeps the per-currency sum of all balances at zero. Accounts are those of the chart
// (chart.ts); invariants.ts checks a batch's planned ledger writes before they are committed.

import { accountKind, validDecimals, type Chart } from './chart.js'
import { decodeJson, encodeJson } from './codec.js'
import { check } from './errors.js'
import { join, pad, part, under } from './keys.js'
import type { Sub, Tx } from './tx.js'
import type { AccountBalance, LedgerEntry, PostResult, Transfer } from './types.js'

export interface LedgerSubs {
  /** id -> StoredTransfer */
  transfers: Sub
  /** seq -> id, posting order */
  log: Sub
  /** account \0 seq -> id */
  byAccount: Sub
  /** account \0 currency -> StoredBalance */
  balances: Sub
  /** currency -> { decimals } */
  currencies: Sub
}

export interface StoredTransfer {
  id: string
  debit: string
  credit: string
  amount: string
  currency: string
  decimals: number
  ref: string
  time: number
  seq: number
}

export interface StoredBalance { debits: string, credits: string, decimals: number }

/** What the store keeps in memory about its ledger; changed only after a batch commits. */
export interface LedgerState {
  nextSeq: number
  /** Per currency, the sum of all accounts' nets. Zero whenever the ledger is consistent. */
  totals: Map<string, bigint>
}

/** The ledger changes one transaction would make, applied to LedgerState once it is committed. */
export class LedgerTx {
  nextSeq: number
  readonly deltas = new Map<string, bigint>()
  /** Currencies each account moves in within this transaction (for the 'single' currency rule). */
  readonly moved = new Map<string, Set<string>>()

  constructor (private readonly state: LedgerState, readonly chart: Chart) {
    this.nextSeq = state.nextSeq
  }

  /** The state before this transaction (read only). */
  get before (): Readonly<LedgerState> { return this.state }

  /** Applies the transaction to the in-memory state; called after the synced write succeeded. */
  commit (): void {
    this.state.nextSeq = this.nextSeq
    for (const [currency, d] of this.deltas) this.state.totals.set(currency, (this.state.totals.get(currency) ?? 0n) + d)
  }
}

/** Throws StoreError('invalid-argument') on a transfer the ledger cannot represent faithfully. */
export function validate (t: Transfer, chart: Chart): void {
  part(t.id, 'transfer id')
  part(t.debit, 'debit account')
  part(t.credit, 'credit account')
  part(t.currency, 'currency')
  check(chart.currency.test(t.currency), 'invalid-argument', `currency must match ${String(chart.currency)}, got ${JSON.stringify(t.currency)}`)
  check(typeof t.amount === 'bigint', 'invalid-argument', 'amount must be a bigint of minor units')
  check(validDecimals(t.decimals, chart), 'invalid-argument', `decimals must be an integer in 0..${chart.maxDecimals}`)
  check(typeof t.ref === 'string', 'invalid-argument', 'ref must be a string')
  pad(t.time, 'time')
}

function sameTransfer (a: StoredTransfer, t: Transfer): boolean {
  return a.debit === t.debit && a.credit === t.credit && a.amount === t.amount.toString() &&
    a.currency === t.currency && a.decimals === t.decimals && a.ref === t.ref && a.time === t.time
}

export function toEntry (s: StoredTransfer): LedgerEntry {
  return { id: s.id, debit: s.debit, credit: s.credit, amount: BigInt(s.amount), currency: s.currency, decimals: s.decimals, ref: s.ref, time: s.time, seq: s.seq }
}

export function decodeBalance (key: string, value: Uint8Array): AccountBalance {
  const i = key.lastIndexOf('\x00')
  const b = decodeJson<StoredBalance>(value)
  const debits = BigInt(b.debits)
  const credits = BigInt(b.credits)
  return { account: key.slice(0, i), currency: key.slice(i + 1), decimals: b.decimals, debits, credits, net: debits - credits }
}

async function move (tx: Tx, led: LedgerTx, subs: LedgerSubs, account: string, t: Transfer, side: 'debits' | 'credits'): Promise<void> {
  const key = join(account, t.currency)
  const prev = await tx.get(subs.balances, key)
  const b: StoredBalance = prev === undefined ? { debits: '0', credits: '0', decimals: t.decimals } : decodeJson<StoredBalance>(prev)
  b[side] = (BigInt(b[side]) + t.amount).toString()
  await tx.put(subs.balances, key, encodeJson(b))
  const d = side === 'debits' ? t.amount : -t.amount
  led.deltas.set(t.currency, (led.deltas.get(t.currency) ?? 0n) + d)
  const moved = led.moved.get(account) ?? new Set()
  led.moved.set(account, moved.add(t.currency))
}

/** The currencies `account` has a balance in, committed or planned by this transaction. */
async function currenciesOf (led: LedgerTx, subs: LedgerSubs, account: string): Promise<Set<string>> {
  const out = new Set(led.moved.get(account))
  for await (const k of subs.balances.keys(under(account))) out.add(k.slice(account.length + 1))
  return out
}

/** The chart's verdict on the transfer's two accounts: undefined when both may take it. */
async function chartRefusal (led: LedgerTx, subs: LedgerSubs, t: Transfer): Promise<PostResult | undefined> {
  for (const account of [t.debit, t.credit]) {
    const kind = accountKind(account, led.chart)
    if (kind === undefined) return 'unknown-account'
    if (kind.currencies === 'single') {
      const held = await currenciesOf(led, subs, account)
      if (held.size > 0 && !held.has(t.currency)) return 'currency-not-allowed'
    }
  }
  return undefined
}

/** Plans one posting into `tx`. Throws StoreError('invalid-argument') on malformed input. */
export async function planPost (tx: Tx, led: LedgerTx, subs: LedgerSubs, t: Transfer): Promise<PostResult> {
  validate(t, led.chart)
  const existing = await tx.get(subs.transfers, t.id)
  if (existing !== undefined) return sameTransfer(decodeJson<StoredTransfer>(existing), t) ? 'exists' : 'conflict'
  if (t.amount <= 0n) return 'amount-must-be-positive'
  if (t.debit === t.credit) return 'accounts-must-differ'
  const refused = await chartRefusal(led, subs, t)
  if (refused !== undefined) return refused
  const cur = await tx.get(subs.currencies, t.currency)
  if (cur === undefined) {
    await tx.put(subs.currencies, t.currency, encodeJson({ decimals: t.decimals }), true)
  } else if (decodeJson<{ decimals: number }>(cur).decimals !== t.decimals) {
    return 'decimals-mismatch'
  }
  const seq = led.nextSeq++
  const stored: StoredTransfer = { id: t.id, debit: t.debit, credit: t.credit, amount: t.amount.toString(), currency: t.currency, decimals: t.decimals, ref: t.ref, time: t.time, seq }
  const id = new TextEncoder().encode(t.id)
  await tx.put(subs.transfers, t.id, encodeJson(stored), true)
  await tx.put(subs.log, pad(seq, 'seq'), id, true)
  await tx.put(subs.byAccount, join(t.debit, pad(seq, 'seq')), id, true)
  await tx.put(subs.byAccount, join(t.credit, pad(seq, 'seq')), id, true)
  await move(tx, led, subs, t.debit, t, 'debits')
  await move(tx, led, subs, t.credit, t, 'credits')
  return 'created'
}
