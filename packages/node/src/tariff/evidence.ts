/**
 * Equivocation: an issuer signed two different versions with one sequence number. Both signed
 * documents are kept as evidence in the store's `equivocation` area (read it with
 * `readEquivocation` of @splitedge/store).
 */
import { equivocationArea, equivocationKey, readEquivocation } from '@splitedge/store'
import type { TariffBookComponents } from './components.js'

/**
 * A validly signed version of `issuer` whose sequence number we already hold under another id:
 * keep both documents as evidence (once), and answer whether it was an equivocation.
 */
export async function keepEquivocation (
  c: Pick<TariffBookComponents, 'store' | 'log' | 'defects'>, issuer: string, seq: number, id: string, bytes: Uint8Array
): Promise<boolean> {
  const held = (await c.store.tariffsOf(issuer)).find(t => t.seq === seq)
  // DEFECT (simulator only): take an equivocation for an ordinary stale or conflicting version.
  if (held === undefined || held.id === id || c.defects?.has('ignore-equivocation') === true) return false
  if ((await readEquivocation(c.store, issuer, seq)) === undefined) {
    const documents = [{ id: held.id, bytes: Buffer.from(held.bytes).toString('base64') }, { id, bytes: Buffer.from(bytes).toString('base64') }]
    const w = await c.store.batch().put(equivocationArea(c.store), equivocationKey(issuer, seq), { issuer, seq, documents }).write()
    if (!w.ok) throw new Error(`evidence of ${issuer}'s equivocation at ${seq} not stored: ${w.results.join(',')}`)
    c.log.error({ issuer, seq, ids: [held.id, id] }, 'tariff equivocation: the issuer signed two different versions with one sequence number; both kept as evidence')
  }
  return true
}
