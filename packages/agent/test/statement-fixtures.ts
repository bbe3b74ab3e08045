/** Co-signed settlement statements for view tests and the views benchmark: real signatures, made-up figures. */
import { cosign, docId, encodeDocument, sign, type Identity, type SettlementStatementBody } from '@splitedge/wire'
import { borderOf, type Store } from '@splitedge/store'

export const PERIOD = 3_600_000
const FAKE_ID = 'bafyreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy'

/** Period `p`'s statement between `a` and `b`: twelve usage lines. */
export function statementBody (a: Identity, b: Identity, p: number): SettlementStatementBody {
  const [x, y] = a.peerId < b.peerId ? [a.peerId, b.peerId] : [b.peerId, a.peerId]
  const lines = Array.from({ length: 12 }, (_, i) => ({
    kind: 'usage', class: i % 2 === 0 ? 'be' : 'ef', from: i % 4 < 2 ? x : y, to: i % 4 < 2 ? y : x, volume: String(1_000_000 + p * 7 + i),
    tariffs: { [x]: FAKE_ID, [y]: FAKE_ID }, factors: { [x]: '1', [y]: '1' }, amount: `${i}.${String(p % 1_000_000).padStart(6, '0')}`
  }))
  return { border: [x, y], period: { start: p * PERIOD, end: (p + 1) * PERIOD }, currency: 'EUR', decimals: 6, attestations: Array.from({ length: 12 }, () => FAKE_ID), lines, net: '1.000000' }
}

/** Store periods `from` to `to` (exclusive) of the border a-b, a hundred per synced batch. */
export async function fillStatements (store: Store, a: Identity, b: Identity, from: number, to: number): Promise<void> {
  const border = borderOf(a.peerId, b.peerId)
  for (let p = from; p < to; p += 100) {
    const batch = store.batch()
    for (let q = p; q < Math.min(to, p + 100); q++) {
      const one = sign(a, 'settlement-statement', statementBody(a, b, q))
      if (!one.ok) throw new Error(one.error.message)
      const both = cosign(b, one.value)
      if (!both.ok) throw new Error(both.error.message)
      batch.putStatement({ border, periodStart: q * PERIOD, id: docId(both.value), bytes: encodeDocument(both.value) })
    }
    await batch.write()
  }
}
