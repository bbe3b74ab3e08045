/**
 * Stores written before the lifecycle records kept a border's state in meta keys (`since:`,
 * `scheduled:`) and pending records (`interval`, `deliver`). Once per border, on start, they become
 * lifecycle records, in one write; a store that holds the marks already is left alone.
 */
import type { Store } from '@splitedge/store'
import type { IntervalBook } from './book.js'
import type { IntervalState } from './interval.js'

interface Legacy { peer: string, start: number }

const isLegacy = (v: unknown): v is Legacy =>
  typeof v === 'object' && v !== null && typeof (v as Legacy).peer === 'string' && typeof (v as Legacy).start === 'number'

export async function migrateBorder (store: Store, book: IntervalBook, peer: string, now: number): Promise<boolean> {
  const border = book.border(peer)
  const lc = book.lifecycle
  if ((await lc.mark(border, 'since')) !== undefined) return false
  const since = await store.getMeta(`since:${border}`)
  if (typeof since !== 'number') return false
  const batch = lc.putMark(store.batch(), border, 'since', since)
  const scheduled = await store.getMeta(`scheduled:${border}`)
  if (typeof scheduled === 'number') lc.putMark(batch, border, 'scheduled', scheduled)
  const put = (start: number, state: IntervalState): void => { lc.putInterval(batch, border, start, state) }
  for (const d of await store.listDisputes(border, 'open')) {
    if (d.kind !== 'usage' || !/^[0-9]{16}$/.test(d.key)) continue
    const unreportable = (d.detail as { reason?: unknown } | null)?.reason === 'unreportable'
    put(Number(d.key), { phase: unreportable ? 'unreportable' : 'disputed', attempts: 0, retryAt: now, at: now })
  }
  for (const [kind, phase] of [['interval', 'scheduled'], ['deliver', 'attested']] as const) {
    for (const p of await store.listPending(kind)) {
      if (!isLegacy(p.value) || p.value.peer !== peer) continue
      put(p.value.start, { phase, attempts: 0, retryAt: phase === 'scheduled' ? book.due(peer, p.value.start) : now, at: now })
      batch.deletePending(kind, p.key)
    }
  }
  await batch.write()
  return true
}
