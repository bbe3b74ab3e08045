/**
 * The tariff-sync protocol (docs/protocol.md): one request, one response. The server answers with
 * its own current version or one of its versions by id; the client walks back through `previous`
 * links to the newest version it holds.
 */
import { decodeDocument } from '@splitedge/wire'
import { MAX_FRAME_BYTES, PROTOCOLS, TariffSyncRequest, TariffSyncResponse, decodeFrame, encodeFrame } from '../frames.js'
import { HandlerError, RequestError } from '../net/errors.js'
import type { TariffBookComponents } from './components.js'

/** How many older versions a sync follows back through `previous` links. */
export const MAX_CHAIN = 64

/** Serve a tariff-sync request: our current tariff, or any of our versions by id. */
export async function serveTariffSync (c: Pick<TariffBookComponents, 'identity' | 'store' | 'counters' | 'log'>, bytes: Uint8Array): Promise<Uint8Array> {
  let req: TariffSyncRequest
  try {
    req = decodeFrame(TariffSyncRequest, bytes)
  } catch (err) {
    c.counters.rejected.inc({ kind: 'tariff-sync-frame', reason: 'malformed' })
    c.log.warn({ reason: 'malformed' }, `tariff-sync request rejected: ${(err as Error).message}`)
    throw new HandlerError(`malformed: ${(err as Error).message}`)
  }
  const me = c.identity.peerId
  const rec = req.k === 'current' ? await c.store.latestTariff(me) : await c.store.getTariff(req.id)
  if (rec === undefined || rec.issuer !== me) return encodeFrame(TariffSyncResponse, { k: 'none' })
  return encodeFrame(TariffSyncResponse, { k: 'tariff', doc: rec.bytes })
}

/** One version from `peer`: its current one or one by id; undefined when it has none or is unreachable. */
export async function fetchTariff (c: Pick<TariffBookComponents, 'net' | 'log'>, peer: string, req: TariffSyncRequest): Promise<Uint8Array | undefined> {
  try {
    const res = decodeFrame(TariffSyncResponse, await c.net.request(peer, PROTOCOLS.tariffSync, encodeFrame(TariffSyncRequest, req), {
      maxResponseBytes: MAX_FRAME_BYTES.tariffSync, timeoutMs: 10_000
    }))
    return res.k === 'tariff' ? res.doc : undefined
  } catch (err) {
    c.log.debug({ peer, err: (err as Error).message, code: err instanceof RequestError ? err.code : undefined }, 'tariff sync failed')
    return undefined
  }
}

/**
 * `peer`'s current version and, walking back through `previous`, every version down to the newest
 * we hold (at most MAX_CHAIN): oldest first, the order they must be applied in.
 */
export async function fetchChain (c: Pick<TariffBookComponents, 'net' | 'log' | 'store'>, peer: string): Promise<Uint8Array[]> {
  const current = await fetchTariff(c, peer, { k: 'current' })
  if (current === undefined) return []
  const chain: Uint8Array[] = [current]
  for (let i = 0; i < MAX_CHAIN; i++) {
    const d = decodeDocument(chain[chain.length - 1] as Uint8Array, 'tariff')
    if (!d.ok) break
    const prev = d.value.body.previous
    if (prev === null || (await c.store.getTariff(prev)) !== undefined) break
    const older = await fetchTariff(c, peer, { k: 'by-id', id: prev })
    if (older === undefined) break
    chain.push(older)
  }
  return chain.reverse()
}
