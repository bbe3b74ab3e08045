// The ledger's part of the store: postings (planned by ledger.ts, checked by invariants.ts before
// the write), balances, entries in posting order, and the full consistency check.

import { decodeJson } from './codec.js'
import type { BatchOutcome, Engine, Step } from './engine.js'
import { check } from './errors.js'
import { join, part, SEP, under } from './keys.js'
import { decodeBalance, planPost, toEntry, validate, type StoredTransfer } from './ledger.js'
import type { AccountBalance, LedgerCheck, LedgerEntry, PostResult, Transfer } from './types.js'

interface Sides { debits: bigint, credits: bigint }

export class LedgerBook {
  constructor (private readonly engine: Engine) {}

  private get subs (): Engine['subs'] { return this.engine.subs }

  /** Posts one transfer; a retry with the same id and fields answers 'exists' and posts nothing. */
  async post (t: Transfer): Promise<PostResult> { return await this.engine.one(this.stepPost(t)) }

  /** Posts every transfer or none (then failures say why and the others 'linked-failed'). */
  async postAll (ts: Transfer[]): Promise<BatchOutcome<PostResult>> {
    return await this.engine.commit(ts.map(t => this.stepPost(t)))
  }

  /** Validated now (StoreError('invalid-argument')); planned inside the commit. */
  stepPost (t: Transfer): Step<PostResult> {
    validate(t, this.engine.chart)
    return async (tx, led) => await planPost(tx, led, this.subs, t)
  }

  async getTransfer (id: string): Promise<LedgerEntry | undefined> {
    this.engine.assertOpen()
    const v = await this.subs.transfers.get(part(id, 'transfer id'))
    return v === undefined ? undefined : toEntry(decodeJson<StoredTransfer>(v))
  }

  /** Balance of one account in one currency; zeros if it never moved (decimals -1 if the currency was never posted). */
  async balance (account: string, currency: string): Promise<AccountBalance> {
    this.engine.assertOpen()
    const v = await this.subs.balances.get(join(part(account, 'account'), part(currency, 'currency')))
    if (v !== undefined) return decodeBalance(join(account, currency), v)
    const cur = await this.subs.currencies.get(currency)
    const decimals = cur === undefined ? -1 : decodeJson<{ decimals: number }>(cur).decimals
    return { account, currency, decimals, debits: 0n, credits: 0n, net: 0n }
  }

  /** Every balance (of one account, if given), ordered by account then currency. */
  async balances (account?: string): Promise<AccountBalance[]> {
    this.engine.assertOpen()
    const range = account === undefined ? {} : under(part(account, 'account'))
    const out: AccountBalance[] = []
    for await (const [k, v] of this.subs.balances.iterator(range)) out.push(decodeBalance(k, v))
    return out
  }

  /** Entries in posting order: all of them, or those debiting or crediting `account`. */
  async entries (account?: string): Promise<LedgerEntry[]> {
    this.engine.assertOpen()
    const ids: string[] = []
    const dec = new TextDecoder()
    const source = account === undefined ? this.subs.log.values() : this.subs.byAccount.values(under(part(account, 'account')))
    for await (const v of source) ids.push(dec.decode(v))
    const values = ids.length === 0 ? [] : await this.subs.transfers.getMany(ids)
    return values.map((v, i) => {
      check(v !== undefined, 'corrupt', `ledger index points at missing transfer ${ids[i] ?? ''}`)
      return toEntry(decodeJson<StoredTransfer>(v))
    })
  }

  /**
   * Full consistency check: per currency the balances sum to zero, and every balance equals
   * what the transfers imply (so nothing was posted twice or half-posted).
   */
  async checkLedger (): Promise<LedgerCheck> {
    const problems: string[] = []
    const expected = await this.implied(problems)
    const totals = new Map<string, bigint>()
    for (const b of await this.balances()) {
      totals.set(b.currency, (totals.get(b.currency) ?? 0n) + b.net)
      const k = join(b.account, b.currency)
      const e = expected.get(k) ?? { debits: 0n, credits: 0n }
      if (e.debits !== b.debits || e.credits !== b.credits) {
        problems.push(`${b.account} ${b.currency}: stored ${b.debits}/${b.credits}, transfers imply ${e.debits}/${e.credits}`)
      }
      expected.delete(k)
    }
    for (const k of expected.keys()) problems.push(`no balance stored for ${k.replace(SEP, ' ')}`)
    for (const [currency, total] of totals) if (total !== 0n) problems.push(`${currency} balances sum to ${total}`)
    return { ok: problems.length === 0, problems }
  }

  /** The debits and credits per account and currency that the transfers imply. */
  private async implied (problems: string[]): Promise<Map<string, Sides>> {
    const expected = new Map<string, Sides>()
    const seen = new Set<string>()
    const add = (account: string, currency: string, side: keyof Sides, amount: bigint): void => {
      const k = join(account, currency)
      const e = expected.get(k) ?? { debits: 0n, credits: 0n }
      e[side] += amount
      expected.set(k, e)
    }
    for (const e of await this.entries()) {
      if (seen.has(e.id)) problems.push(`transfer ${e.id} appears twice in the log`)
      seen.add(e.id)
      add(e.debit, e.currency, 'debits', e.amount)
      add(e.credit, e.currency, 'credits', e.amount)
    }
    return expected
  }
}
