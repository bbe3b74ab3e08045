// The ledger's invariants, checked on the state a batch is about to write, before the synced
// write: if one would break, the batch is refused with a StoreError and nothing is written.
//
// The check reads the batch's own write operations on the ledger's sublevels (not the bookkeeping
// of the code that planned them), so a step that writes the ledger any other way is checked too:
//   - ledger records are never deleted, and a transfer id is written once;
//   - every transfer's amount is positive, its two accounts differ and are in the chart;
//   - its currency is a currency code, its decimals are the currency's (pinned on first use);
//   - an account of a single-currency kind moves in one currency;
//   - the log and the per-account index list each new transfer once, in sequence order;
//   - every balance changes by exactly the transfers that move it, and no component goes negative;
//   - per currency, the changes sum to zero and so do all balances afterwards ('ledger-unbalanced').

import { accountKind, validDecimals, type Chart } from './chart.js'
import { decodeJson } from './codec.js'
import { check } from './errors.js'
import { join, pad, under } from './keys.js'
import type { LedgerSubs, LedgerTx, StoredBalance, StoredTransfer } from './ledger.js'
import type { Tx } from './tx.js'

const UTF8 = new TextDecoder()

type Part = keyof LedgerSubs
const PARTS: readonly Part[] = ['transfers', 'log', 'byAccount', 'balances', 'currencies']

/** The final value of every ledger key the batch writes, per sublevel. */
type Planned = Record<Part, Map<string, Uint8Array>>

interface Movement { account: string, currency: string, debits: bigint, credits: bigint }

function invariant (ok: boolean, message: string): asserts ok {
  check(ok, 'ledger-invariant', `refused before writing: ${message}`)
}

function big (s: unknown, what: string): bigint {
  if (typeof s !== 'string' || !/^-?[0-9]+$/.test(s)) invariant(false, `${what} is not an integer string`)
  return BigInt(s)
}

/**
 * The ledger part an operation writes and its key within it: a sublevel's operation names its
 * sublevel; a prefixed store's (openStore's `prefixed`) carries the part's prefix in its key.
 */
function ledgerKeyOf (op: Tx['ops'][number], byPrefix: Map<string, Part>): [Part | undefined, string] {
  const key = String(op.key)
  if (op.sublevel !== undefined) return [byPrefix.get(op.sublevel.prefix), key]
  const end = key.startsWith('!') ? key.indexOf('!', 1) : -1
  if (end < 0) return [undefined, key]
  return [byPrefix.get(key.slice(0, end + 1)), key.slice(end + 1)]
}

/** The ledger writes of `tx`, or undefined when it writes none. */
function plannedOf (tx: Tx, subs: LedgerSubs): Planned | undefined {
  const byPrefix = new Map(PARTS.map(p => [subs[p].prefix, p]))
  const planned: Planned = { transfers: new Map(), log: new Map(), byAccount: new Map(), balances: new Map(), currencies: new Map() }
  let any = false
  for (const op of tx.ops) {
    const [part, key] = ledgerKeyOf(op, byPrefix)
    if (part === undefined) continue
    if (op.type !== 'put') invariant(false, `${part} ${JSON.stringify(key)}: ledger records are never deleted`)
    planned[part].set(key, op.value)
    any = true
  }
  return any ? planned : undefined
}

/** What the committed ledger holds of the keys a batch touches: read at once, before the checks. */
interface Committed {
  /** Ids of the batch's transfers that exist already. */
  transfers: Set<string>
  /** Pinned decimals per currency. */
  currencies: Map<string, number>
  balances: Map<string, Uint8Array>
}

const currencyOfKey = (balanceKey: string): string => balanceKey.slice(balanceKey.lastIndexOf('\x00') + 1)

async function readCommitted (tx: Tx, planned: Planned, subs: LedgerSubs, transfers: StoredTransfer[], movements: Map<string, Movement>): Promise<Committed> {
  const ids = [...planned.transfers.keys()]
  const balanceKeys = [...new Set([...planned.balances.keys(), ...movements.keys()])]
  const currencies = [...new Set([...planned.currencies.keys(), ...transfers.map(t => t.currency), ...balanceKeys.map(currencyOfKey)])]
  const [held, pins, balances] = await Promise.all([
    tx.committed(subs.transfers, ids),
    tx.committed(subs.currencies, currencies),
    tx.committed(subs.balances, balanceKeys)
  ])
  const out: Committed = { transfers: new Set(), currencies: new Map(), balances: new Map() }
  held.forEach((v, i) => { if (v !== undefined) out.transfers.add(ids[i] ?? '') })
  pins.forEach((v, i) => { if (v !== undefined) out.currencies.set(currencies[i] ?? '', decodeJson<{ decimals: number }>(v).decimals) })
  balances.forEach((v, i) => { if (v !== undefined) out.balances.set(balanceKeys[i] ?? '', v) })
  return out
}

/** Checks the ledger writes `tx` plans against the committed ledger; throws if any invariant would break. */
export async function verifyLedgerPlan (tx: Tx, subs: LedgerSubs, led: LedgerTx): Promise<void> {
  const planned = plannedOf(tx, subs)
  if (planned === undefined) return
  const transfers = [...planned.transfers].map(([id, v]) => {
    const t = decodeJson<StoredTransfer>(v)
    invariant(t.id === id, `transfer ${id} is stored under another id`)
    return t
  })
  const movements = movementsOf(transfers)
  const committed = await readCommitted(tx, planned, subs, transfers, movements)
  const pin = currencyPins(planned, committed, led.chart)
  checkTransfers(transfers, committed, led.chart, pin)
  checkIndexes(planned, transfers, led)
  const changes = balanceChanges(planned, committed, movements)
  checkTotals(changes, led)
  checkMovements(changes, movements, pin)
  await checkSingleCurrency(planned, subs, led.chart)
}

/** Decimals of every currency the batch touches: pinned before, or pinned (once) by this batch. */
function currencyPins (planned: Planned, committed: Committed, chart: Chart): (currency: string) => number {
  const pins = new Map(committed.currencies)
  for (const [currency, v] of planned.currencies) {
    invariant(!committed.currencies.has(currency), `currency ${currency} is pinned already: its decimals never change`)
    const { decimals } = decodeJson<{ decimals: number }>(v)
    invariant(chart.currency.test(currency) && validDecimals(decimals, chart), `currency ${currency} with ${String(decimals)} decimals is not allowed`)
    pins.set(currency, decimals)
  }
  return (currency) => {
    const decimals = pins.get(currency)
    invariant(decimals !== undefined, `currency ${currency} has no pinned decimals`)
    return decimals
  }
}

/** The new transfers, each checked on its own. */
function checkTransfers (transfers: StoredTransfer[], committed: Committed, chart: Chart, pin: (c: string) => number): void {
  for (const t of transfers) {
    const id = t.id
    invariant(!committed.transfers.has(id), `transfer ${id} exists: transfers are immutable`)
    invariant(big(t.amount, `transfer ${id} amount`) > 0n, `transfer ${id} amount ${t.amount} is not positive`)
    invariant(t.debit !== t.credit, `transfer ${id} debits and credits the same account`)
    for (const a of [t.debit, t.credit]) invariant(accountKind(a, chart) !== undefined, `transfer ${id}: account ${a} is not in the chart of accounts`)
    invariant(chart.currency.test(t.currency), `transfer ${id}: ${t.currency} is not a currency code`)
    invariant(t.decimals === pin(t.currency), `transfer ${id}: ${t.currency} has ${pin(t.currency)} decimals, not ${t.decimals}`)
  }
}

/** The log and the per-account index hold each new transfer once, at the next sequence numbers. */
function checkIndexes (planned: Planned, transfers: StoredTransfer[], led: LedgerTx): void {
  const first = led.before.nextSeq
  invariant(led.nextSeq === first + transfers.length, `${transfers.length} new transfers but the sequence moves from ${first} to ${led.nextSeq}`)
  invariant(planned.log.size === transfers.length && planned.byAccount.size === 2 * transfers.length, 'the ledger indexes do not list each new transfer once')
  const seqs = new Set<number>()
  for (const t of transfers) {
    invariant(Number.isSafeInteger(t.seq) && t.seq >= first && t.seq < led.nextSeq && !seqs.has(t.seq), `transfer ${t.id} has sequence ${t.seq}`)
    seqs.add(t.seq)
    const keys = [pad(t.seq, 'seq'), join(t.debit, pad(t.seq, 'seq')), join(t.credit, pad(t.seq, 'seq'))]
    const held = [planned.log.get(keys[0] ?? ''), planned.byAccount.get(keys[1] ?? ''), planned.byAccount.get(keys[2] ?? '')]
    invariant(held.every(v => v !== undefined && UTF8.decode(v) === t.id), `transfer ${t.id} is not indexed at sequence ${t.seq}`)
  }
}

/** What the new transfers move, per account and currency. */
function movementsOf (transfers: StoredTransfer[]): Map<string, Movement> {
  const out = new Map<string, Movement>()
  const add = (account: string, t: StoredTransfer, side: 'debits' | 'credits'): void => {
    const k = join(account, t.currency)
    const m = out.get(k) ?? { account, currency: t.currency, debits: 0n, credits: 0n }
    m[side] += big(t.amount, `transfer ${t.id} amount`)
    out.set(k, m)
  }
  for (const t of transfers) { add(t.debit, t, 'debits'); add(t.credit, t, 'credits') }
  return out
}

interface Change { key: string, account: string, currency: string, before: Sides, after: Sides & { decimals: number } }
interface Sides { debits: bigint, credits: bigint }

function decodeStoredBalance (v: Uint8Array, what: string): Sides & { decimals: number } {
  const b = decodeJson<StoredBalance>(v)
  return { debits: big(b.debits, `${what} debits`), credits: big(b.credits, `${what} credits`), decimals: b.decimals }
}

/** Every balance the batch writes or its transfers move: its committed and its planned value. */
function balanceChanges (planned: Planned, committed: Committed, movements: Map<string, Movement>): Change[] {
  const out: Change[] = []
  for (const key of new Set([...planned.balances.keys(), ...movements.keys()])) {
    const i = key.lastIndexOf('\x00')
    const [account, currency] = [key.slice(0, i), key.slice(i + 1)]
    const what = `balance ${account} ${currency}`
    const held = committed.balances.get(key)
    const before = held === undefined ? { debits: 0n, credits: 0n } : decodeStoredBalance(held, what)
    const next = planned.balances.get(key)
    invariant(next !== undefined, `${what} is moved by a transfer but not written`)
    out.push({ key, account, currency, before, after: decodeStoredBalance(next, what) })
  }
  return out
}

/** Per currency the balance changes sum to zero, the ledger stays balanced, and the in-memory plan agrees. */
function checkTotals (changes: Change[], led: LedgerTx): void {
  const sums = new Map<string, bigint>()
  for (const c of changes) {
    const d = (c.after.debits - c.after.credits) - (c.before.debits - c.before.credits)
    sums.set(c.currency, (sums.get(c.currency) ?? 0n) + d)
  }
  for (const currency of new Set([...sums.keys(), ...led.deltas.keys()])) {
    const sum = sums.get(currency) ?? 0n
    check(sum === 0n, 'ledger-unbalanced', `refused before writing: ${currency} balances would change by ${sum} in sum`)
    const total = (led.before.totals.get(currency) ?? 0n) + sum
    check(total === 0n, 'ledger-unbalanced', `refused before writing: ${currency} balances would sum to ${total}`)
    invariant((led.deltas.get(currency) ?? 0n) === sum, `${currency}: the planned deltas disagree with the planned balances`)
  }
}

/** Every balance changes by exactly what the transfers move, keeps its sides non-negative and its currency's decimals. */
function checkMovements (changes: Change[], movements: Map<string, Movement>, pin: (c: string) => number): void {
  for (const { key, account, currency, before, after } of changes) {
    const what = `balance ${account} ${currency}`
    const m = movements.get(key) ?? { debits: 0n, credits: 0n }
    invariant(after.debits - before.debits === m.debits && after.credits - before.credits === m.credits,
      `${what} changes by ${after.debits - before.debits}/${after.credits - before.credits}, its transfers move ${m.debits}/${m.credits}`)
    invariant(after.debits >= 0n && after.credits >= 0n, `${what} would have a negative side`)
    const decimals = pin(currency)
    invariant(after.decimals === decimals, `${what} has ${after.decimals} decimals, the currency ${decimals}`)
  }
}

/** An account of a single-currency kind has balances in one currency at most. */
async function checkSingleCurrency (planned: Planned, subs: LedgerSubs, chart: Chart): Promise<void> {
  const accounts = new Set([...planned.balances.keys()].map(k => k.slice(0, k.lastIndexOf('\x00'))))
  for (const account of accounts) {
    if (accountKind(account, chart)?.currencies !== 'single') continue
    const currencies = new Set<string>()
    for await (const k of subs.balances.keys(under(account))) currencies.add(k.slice(account.length + 1))
    for (const k of planned.balances.keys()) if (k.startsWith(account + '\x00')) currencies.add(k.slice(account.length + 1))
    invariant(currencies.size <= 1, `account ${account} may move in one currency, not ${[...currencies].join(', ')}`)
  }
}
