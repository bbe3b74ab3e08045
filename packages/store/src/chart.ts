// The chart of accounts: every account the ledger may move money in, declared with its normal
// balance and its currency rule. A transfer to or from an account the chart does not declare is
// refused ('unknown-account') before anything is written (docs/operations.md, "Ledger accounts").

/** The side on which an account's balance normally sits: debit for what is owed to the books'
 *  keeper (receivables, cash, expenses), credit for what it owes or earned (payables, revenue). */
export type NormalBalance = 'debit' | 'credit'

/**
 * 'any': the account keeps one balance per currency it moves in, never netted across currencies;
 * 'single': it moves in one currency only, the first it was posted in.
 */
export type CurrencyRule = 'any' | 'single'

/** Whose books an account belongs to. */
export type BooksOf = 'agent' | 'clearer' | 'participant'

export interface AccountKind {
  /** The account's name or, with `suffix`, its prefix (e.g. `neighbour:`). */
  name: string
  /** What follows the prefix: a PeerId or a customer's address (any non-empty text). */
  suffix?: 'peer-id' | 'address'
  normal: NormalBalance
  currencies: CurrencyRule
  books: BooksOf
  /** What a debit and a credit mean. */
  description: string
}

export interface Chart {
  kinds: readonly AccountKind[]
  /** Every currency code (docs/protocol.md, `currency`). */
  currency: RegExp
  /** The most decimal places of a currency's minor unit (docs/protocol.md, `decimals`). */
  maxDecimals: number
}

/** The accounts of an agent, a clearer and an operator clearing through one. */
export const CHART: Chart = Object.freeze({
  currency: /^[A-Z][A-Z0-9]{1,11}$/,
  maxDecimals: 18,
  kinds: Object.freeze([
    { name: 'interconnect:revenue', normal: 'credit', currencies: 'any', books: 'agent', description: 'credited with what neighbours pay us by co-signed statements' },
    { name: 'interconnect:expense', normal: 'debit', currencies: 'any', books: 'agent', description: 'debited with what we pay neighbours by co-signed statements' },
    { name: 'neighbour:', suffix: 'peer-id', normal: 'debit', currencies: 'any', books: 'agent', description: 'one per neighbour: debit, it owes us; credit, we owe it' },
    { name: 'operator:', suffix: 'peer-id', normal: 'debit', currencies: 'any', books: 'clearer', description: 'one per operator served: debit, it owes the clearer; credit, the clearer owes it' },
    { name: 'margin', normal: 'credit', currencies: 'any', books: 'clearer', description: "the clearer's margin on cleared receipts" },
    { name: 'bank', normal: 'debit', currencies: 'any', books: 'clearer', description: 'money that moved at settlement of a clearing statement' },
    { name: 'clearer:', suffix: 'peer-id', normal: 'debit', currencies: 'any', books: 'participant', description: 'one per clearer: debit, the clearer owes us; credit, we owe it' },
    { name: 'customer:', suffix: 'address', normal: 'debit', currencies: 'any', books: 'participant', description: 'one per customer address in clearing statements: debit, it owes us; credit, we owe it' }
  ] satisfies AccountKind[])
})

/** The kind of `account` in `chart`, or undefined when the chart does not declare it. */
export function accountKind (account: string, chart: Chart = CHART): AccountKind | undefined {
  for (const k of chart.kinds) {
    if (k.suffix === undefined ? account === k.name : account.startsWith(k.name) && SUFFIX[k.suffix].test(account.slice(k.name.length))) return k
  }
  return undefined
}

/** A PeerId has no colon or space; an address is any non-empty text. */
const SUFFIX = { 'peer-id': /^[^\s:]+$/, address: /^[^]+$/ } as const

/** Whether `decimals` is a currency's number of decimal places under `chart`. */
export function validDecimals (decimals: number, chart: Chart = CHART): boolean {
  return Number.isInteger(decimals) && decimals >= 0 && decimals <= chart.maxDecimals
}
