// A co-signed statement's ledger postings, in the books of whoever stores it: one pure function
// for the three places that store a statement and post it (an agent's bilateral settlement, a
// clearer's settlement with an operator, the operator's side of it). Write the statement and its
// postings together with `store.batch().putPostedStatement(record, postingsOf(doc, books))`.

import { docId, type ClearingStatement, type SettlementStatement } from '@splitedge/wire'
import { check } from './errors.js'
import { toMinorUnits } from './money.js'
import type { Transfer } from './types.js'

/** A settlement statement in the books of one of its two parties (an agent): `self` is our PeerId. */
export interface PartyBooks { of: 'party', self: string }
/** A clearing statement in the clearer's books. */
export interface ClearerBooks { of: 'clearer' }
/**
 * A clearing statement in the operator's books: `customers[i]` is the address of the customer
 * line i is about (for a `paid` line, the operator's customer at the receipt's local end; for a
 * `pays` line, the one at its remote end).
 */
export interface OperatorBooks { of: 'operator', customers: readonly string[] }

export type Books = PartyBooks | ClearerBooks | OperatorBooks

/**
 * The transfers that post `doc` to `books`, in posting order; none when nothing moves. Transfer
 * ids derive from the statement's id, so posting a statement again answers 'exists'.
 *
 * - party: the net moves between `neighbour:<peer>` and `interconnect:expense` (we pay) or
 *   `interconnect:revenue` (we are paid); one transfer, id = the statement id.
 * - clearer: the net moves between `operator:<operator>` and `bank`; one transfer, id = the statement id.
 * - operator: each line moves between `clearer:<clearer>` and `customer:<address>`: a `paid`
 *   line its charge (the clearer owes us), a `pays` line its charge plus margin (we owe the
 *   clearer); id = `<statement id>:<line index>`.
 */
export function postingsOf (doc: SettlementStatement, books: PartyBooks): Transfer[]
export function postingsOf (doc: ClearingStatement, books: ClearerBooks | OperatorBooks): Transfer[]
export function postingsOf (doc: SettlementStatement | ClearingStatement, books: Books): Transfer[] {
  if (doc.type === 'settlement-statement') {
    check(books.of === 'party', 'invalid-argument', 'a settlement statement is posted to the books of one of its parties')
    return partyPostings(doc, books.self)
  }
  check(books.of !== 'party', 'invalid-argument', 'a clearing statement is posted to the clearer\'s or the operator\'s books')
  return books.of === 'clearer' ? clearerPostings(doc) : operatorPostings(doc, books.customers)
}

/** `net` as a sign and a magnitude in minor units. */
function signed (net: string, decimals: number): { negative: boolean, amount: bigint } {
  return { negative: net.startsWith('-'), amount: toMinorUnits(net.replace(/^-/, ''), decimals) }
}

function partyPostings (doc: SettlementStatement, self: string): Transfer[] {
  const b = doc.body
  const [first, second] = b.border
  check(self === first || self === second, 'invalid-argument', `${self} is not a party to this statement`)
  const id = docId(doc)
  const { negative, amount } = signed(b.net, b.decimals) // what border[0] pays border[1]
  if (amount === 0n) return []
  const iPay = first === self ? !negative : negative
  const account = `neighbour:${first === self ? second : first}`
  return [{
    id,
    debit: iPay ? 'interconnect:expense' : account,
    credit: iPay ? account : 'interconnect:revenue',
    amount,
    currency: b.currency,
    decimals: b.decimals,
    ref: `statement ${id} period ${b.period.start}-${b.period.end}`,
    time: b.period.end
  }]
}

function clearerPostings (doc: ClearingStatement): Transfer[] {
  const b = doc.body
  const id = docId(doc)
  const { negative, amount } = signed(b.net, b.decimals) // what the operator pays the clearer
  if (amount <= 0n) return []
  const operator = `operator:${b.operator}`
  return [{
    id,
    debit: negative ? operator : 'bank',
    credit: negative ? 'bank' : operator,
    amount,
    currency: b.currency,
    decimals: b.decimals,
    ref: `settle ${id}`,
    time: b.period.end
  }]
}

function operatorPostings (doc: ClearingStatement, customers: readonly string[]): Transfer[] {
  const b = doc.body
  check(customers.length === b.lines.length, 'invalid-argument', `${customers.length} customers for ${b.lines.length} lines`)
  const id = docId(doc)
  const clearer = `clearer:${b.clearer}`
  const out: Transfer[] = []
  b.lines.forEach((l, i) => {
    const customer = `customer:${customers[i] ?? ''}`
    const amount = l.side === 'paid' ? toMinorUnits(l.charge, b.decimals) : sumMinorUnits(l.charge, l.margin, b.decimals)
    if (amount <= 0n) return
    const [debit, credit] = l.side === 'paid' ? [clearer, customer] : [customer, clearer]
    out.push({ id: `${id}:${i}`, debit, credit, amount, currency: b.currency, decimals: b.decimals, ref: `clearing ${id}`, time: b.period.end })
  })
  return out
}

const DECIMAL = /^(-?)([0-9]+)(?:\.([0-9]+))?$/

/** An exact decimal string scaled by 10^scale (scale at least its number of decimal places). */
function scaled (decimal: string, scale: number): bigint {
  const m = DECIMAL.exec(decimal)
  check(m !== null, 'invalid-argument', `not a decimal string: ${JSON.stringify(decimal)}`)
  const [, sign = '', whole = '', frac = ''] = m
  const units = BigInt(whole + frac.padEnd(scale, '0'))
  return sign === '-' ? -units : units
}

/** a + b exactly, in minor units of `decimals`; refused if the sum has more decimal places. */
function sumMinorUnits (a: string, b: string, decimals: number): bigint {
  const places = (s: string): number => s.split('.')[1]?.length ?? 0
  const scale = Math.max(decimals, places(a), places(b))
  const sum = scaled(a, scale) + scaled(b, scale)
  const unit = 10n ** BigInt(scale - decimals)
  check(sum % unit === 0n, 'invalid-argument', `${a} + ${b} has more than ${decimals} decimal places`)
  return sum / unit
}
