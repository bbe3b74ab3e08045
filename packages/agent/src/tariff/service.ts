/**
 * The tariff book: our own versions and our neighbours'. Tariffs arrive by gossip on each issuer's
 * topic and by the tariff-sync protocol on every (re)connection; both paths go through `ingest`,
 * which applies every rule of the wire package before anything is stored.
 */
import { createHash } from 'node:crypto'
import {
  checkTariffSuccession, checkTopicIssuer, decodeDocument, docId, encodeDocument, sign, verifyDocument,
  type Tariff, type TariffBody
} from '@splitedge/wire'
import type { PricingTariff } from '@splitedge/model'
import { borderOf } from '@splitedge/store'
import type { AgentContext } from '../context.js'
import { ConfigError } from '../config/load.js'
import { handle, publish, request, subscribe, tariffTopic, HandlerError, RequestError } from '../net/index.js'
import { MAX_FRAME_BYTES, PROTOCOLS, TariffSyncRequest, TariffSyncResponse, decodeFrame, encodeFrame } from '../protocol/frames.js'

export type IngestResult =
  | { ok: true, status: 'created' | 'exists', id: string }
  | { ok: false, verdict: 'reject' | 'ignore', reason: string, message: string }

/** How many older versions a sync follows back through `previous` links. */
const MAX_CHAIN = 64

export class TariffService {
  private readonly syncing = new Map<string, Promise<void>>()
  private readonly lastLogged = new Map<string, number>()
  private lastRepublish: number | undefined
  private readonly storedListeners: Array<(issuer: string) => void> = []
  /** Be told each time a version of an issuer's tariff is stored (a view's cache follows it). */
  onStored (listener: (issuer: string) => void): void { this.storedListeners.push(listener) }
  private stored (issuer: string): void { for (const l of this.storedListeners) l(issuer) }
  /** Issuers whose tariffs we keep: our neighbours, plus any a clearer is told to follow. */
  readonly follows: Set<string>

  constructor (private readonly ctx: AgentContext, follow: Iterable<string> = ctx.neighbours.keys()) {
    this.follows = new Set(follow)
  }

  async start (): Promise<void> {
    const { ctx } = this
    await ctx.net.handle(PROTOCOLS.tariffSync, async (bytes) => await this.serve(bytes), {
      maxRequestBytes: 1024,
      allow: (peer) => ctx.neighbours.has(peer) || ctx.config.clearers.includes(peer),
      timeoutMs: 10_000
    })
    for (const peer of this.follows) {
      ctx.net.subscribe(tariffTopic(peer), async (bytes) => {
        const r = await this.ingest(bytes, peer, 'gossip')
        if (r.ok) return 'accept'
        if (r.reason === 'gap') void this.sync(peer)
        return r.verdict
      }, () => {})
    }
  }

  /** Serve a tariff-sync request: our current tariff, or any of our versions by id. */
  private async serve (bytes: Uint8Array): Promise<Uint8Array> {
    let req: TariffSyncRequest
    try {
      req = decodeFrame(TariffSyncRequest, bytes)
    } catch (err) {
      this.ctx.metrics.rejected.inc({ kind: 'tariff-sync-frame', reason: 'malformed' })
      this.ctx.log.warn({ reason: 'malformed' }, `tariff-sync request rejected: ${(err as Error).message}`)
      throw new HandlerError(`malformed: ${(err as Error).message}`)
    }
    const me = this.ctx.identity.peerId
    const rec = req.k === 'current' ? await this.ctx.store.latestTariff(me) : await this.ctx.store.getTariff(req.id)
    if (rec === undefined || rec.issuer !== me) return encodeFrame(TariffSyncResponse, { k: 'none' })
    return encodeFrame(TariffSyncResponse, { k: 'tariff', doc: rec.bytes })
  }

  /** A rejection repeats on every gossip and sync (a skewed clock, a stuck issuer): log it once a minute per key; the metric counts all. */
  private logNow (key: string): boolean {
    const now = this.ctx.now()
    const last = this.lastLogged.get(key)
    if (last !== undefined && now - last < 60_000) return false
    this.lastLogged.set(key, now)
    return true
  }

  /**
   * Check and store a tariff from `issuer` (the topic's or the sync peer's). Only followed issuers'
   * tariffs are kept. A version whose `previous` we lack is a gap: ignored here, filled by sync.
   */
  async ingest (bytes: Uint8Array, issuer: string, via: 'gossip' | 'sync'): Promise<IngestResult> {
    const { ctx } = this
    const reject = (reason: string, message: string, verdict: 'reject' | 'ignore' = 'reject'): IngestResult => {
      ctx.metrics.rejected.inc({ kind: 'tariff', reason })
      if (verdict === 'reject' && this.logNow(`${issuer}:${reason}`)) ctx.log.warn({ issuer, via, reason }, `tariff rejected: ${message}`)
      else ctx.log.debug({ issuer, via, reason }, `tariff ignored: ${message}`)
      return { ok: false, verdict, reason, message }
    }
    const decoded = decodeDocument(bytes, 'tariff')
    if (!decoded.ok) return reject(decoded.error.code, decoded.error.message)
    const doc = decoded.value
    const topic = checkTopicIssuer(doc, issuer)
    if (!topic.ok) return reject(topic.reason, topic.message)
    const sig = verifyDocument(doc)
    if (!sig.ok) return reject(sig.error.code, sig.error.message)
    if (!this.follows.has(issuer)) return reject('not-followed', `${issuer} is not an issuer we follow`, 'ignore')
    const id = docId(doc)
    const last = await ctx.store.latestTariff(issuer)
    const lastAccepted = last === undefined ? undefined : { seq: last.seq, id: last.id, noticeMs: this.noticeOf(last.bytes) }
    const verdict = checkTariffSuccession(lastAccepted, doc, ctx.now(), ctx.config.clockSkewMs)
    if (!verdict.ok) {
      if (verdict.reason === 'duplicate') {
        // The current version again: expected by sync; by gossip a replay, dropped without being
        // forwarded or costing the sender score, and counted.
        if (via === 'sync') return { ok: true, status: 'exists', id }
        return reject('duplicate', verdict.message, 'ignore')
      }
      // An old version we hold: harmless by sync (walking back a chain), a replay by gossip.
      if (verdict.reason === 'stale-sequence' && via === 'sync' && (await ctx.store.getTariff(id)) !== undefined) return { ok: true, status: 'exists', id }
      if (verdict.reason === 'previous-mismatch' && last !== undefined && doc.body.seq > last.seq) {
        return reject('gap', `version ${doc.body.seq} follows one we do not hold (last ${last.seq})`, 'ignore')
      }
      if (await this.equivocation(issuer, doc.body.seq, id, bytes)) return reject('equivocation', `${issuer} signed two different versions ${doc.body.seq}; both kept as evidence`)
      return reject(verdict.reason, verdict.message)
    }
    const put = await ctx.store.putTariff({ issuer, seq: doc.body.seq, id, effective: doc.body.effective, bytes })
    if (put === 'created') this.stored(issuer)
    if (put === 'conflict') {
      if (await this.equivocation(issuer, doc.body.seq, id, bytes)) return reject('equivocation', `${issuer} signed two different versions ${doc.body.seq}; both kept as evidence`)
      return reject('conflict', `another version ${doc.body.seq} is already held`)
    }
    if (put === 'created') {
      ctx.metrics.accepted.inc({ kind: 'tariff' })
      ctx.log.info({ issuer, seq: doc.body.seq, id, via }, 'tariff accepted')
      await this.checkUnits(issuer)
    }
    return { ok: true, status: put, id }
  }

  /**
   * A validly signed version whose sequence number we already hold under another id: the issuer
   * equivocated. Keep both signed documents as evidence (`equivocation:<issuer>:<seq>`); answers
   * whether it was one.
   */
  private async equivocation (issuer: string, seq: number, id: string, bytes: Uint8Array): Promise<boolean> {
    const held = (await this.ctx.store.tariffsOf(issuer)).find(t => t.seq === seq)
    // DEFECT (simulator only): take an equivocation for an ordinary stale or conflicting version.
    if (held === undefined || held.id === id || this.ctx.defects.has('ignore-equivocation')) return false
    const key = `equivocation:${issuer}:${seq}`
    if ((await this.ctx.store.getMeta(key)) === undefined) {
      await this.ctx.store.putMeta(key, { issuer, seq, documents: [{ id: held.id, bytes: Buffer.from(held.bytes).toString('base64') }, { id, bytes: Buffer.from(bytes).toString('base64') }] })
      this.ctx.log.error({ issuer, seq, ids: [held.id, id] }, 'tariff equivocation: the issuer signed two different versions with one sequence number; both kept as evidence')
    }
    return true
  }

  private noticeOf (bytes: Uint8Array): number {
    const d = decodeDocument(bytes, 'tariff')
    return d.ok ? d.value.body.noticeMs : 0
  }

  /** Fetch a neighbour's current tariff and any versions between it and the last we hold. */
  /**
   * Fetch `peer`'s current tariff and any versions we lack. Best effort, and never rejects: callers
   * fire it and carry on, so a failure (the peer gone, our disk full) is logged and the next
   * connection or tick tries again. An unhandled rejection would end the process (found by the
   * simulator's disk fault).
   */
  async sync (peer: string): Promise<void> {
    const running = this.syncing.get(peer)
    if (running !== undefined) return await running
    const p = this.doSync(peer)
      .catch((err: Error) => { this.ctx.log.warn({ peer, err: err.message }, 'tariff sync failed; will retry') })
      .finally(() => this.syncing.delete(peer))
    this.syncing.set(peer, p)
    return await p
  }

  private async doSync (peer: string): Promise<void> {
    const current = await this.fetch(peer, { k: 'current' })
    if (current === undefined) return
    // Walk back through `previous` until we reach a version we hold, then apply oldest first.
    const chain: Uint8Array[] = [current]
    for (let i = 0; i < MAX_CHAIN; i++) {
      const d = decodeDocument(chain[chain.length - 1] as Uint8Array, 'tariff')
      if (!d.ok) break
      const prev = d.value.body.previous
      if (prev === null || (await this.ctx.store.getTariff(prev)) !== undefined) break
      const older = await this.fetch(peer, { k: 'by-id', id: prev })
      if (older === undefined) break
      chain.push(older)
    }
    for (const bytes of chain.reverse()) await this.ingest(bytes, peer, 'sync')
  }

  /** A neighbour's tariff by id, fetched from it if we do not hold it. */
  async ensure (peer: string, id: string): Promise<boolean> {
    if ((await this.ctx.store.getTariff(id)) !== undefined) return true
    await this.sync(peer)
    if ((await this.ctx.store.getTariff(id)) !== undefined) return true
    const bytes = await this.fetch(peer, { k: 'by-id', id })
    if (bytes === undefined) return false
    return (await this.ingest(bytes, peer, 'sync')).ok
  }

  private async fetch (peer: string, req: TariffSyncRequest): Promise<Uint8Array | undefined> {
    try {
      const res = decodeFrame(TariffSyncResponse, await this.ctx.net.request(peer, PROTOCOLS.tariffSync, encodeFrame(TariffSyncRequest, req), {
        maxResponseBytes: MAX_FRAME_BYTES.tariffSync, timeoutMs: 10_000
      }))
      return res.k === 'tariff' ? res.doc : undefined
    } catch (err) {
      this.ctx.log.debug({ peer, err: (err as Error).message, code: err instanceof RequestError ? err.code : undefined }, 'tariff sync failed')
      return undefined
    }
  }

  /**
   * Sign and publish a new version of our own tariff. Unchanged pricing publishes nothing and
   * returns the current version. `effective` defaults to the earliest the notice period allows.
   */
  async publishOwn (pricing: PricingTariff, noticeMs: number, effective?: number): Promise<{ id: string, seq: number, status: 'published' | 'unchanged' }> {
    // One publish at a time: each reads the version the previous one stored and takes the next.
    const run = this.publishing.then(async () => await this.publishNext(pricing, noticeMs, effective))
    this.publishing = run.catch(() => {})
    return await run
  }

  private publishing: Promise<unknown> = Promise.resolve()

  private async publishNext (pricing: PricingTariff, noticeMs: number, effective?: number): Promise<{ id: string, seq: number, status: 'published' | 'unchanged' }> {
    const { ctx } = this
    const me = ctx.identity.peerId
    const last = await ctx.store.latestTariff(me)
    let lastBody: TariffBody | undefined
    if (last !== undefined) {
      const d = decodeDocument(last.bytes, 'tariff')
      if (!d.ok) throw new Error(`own tariff ${last.id} in the store does not decode: ${d.error.message}`)
      lastBody = d.value.body
      if (fingerprint(lastBody.pricing) === fingerprint(pricing) && lastBody.noticeMs === noticeMs && effective === undefined) {
        return { id: last.id, seq: last.seq, status: 'unchanged' }
      }
    }
    const published = ctx.now()
    const notice = Math.max(noticeMs, lastBody?.noticeMs ?? 0)
    const body: TariffBody = {
      issuer: me,
      seq: last === undefined ? 1 : last.seq + 1,
      previous: last?.id ?? null,
      published,
      effective: effective ?? published + notice,
      noticeMs,
      pricing
    }
    const signed = sign(ctx.identity, 'tariff', body)
    // The loader checks the wire schema first; anything left is still the operator's to fix, not a 500.
    if (!signed.ok) throw new ConfigError(`tariff${signed.error.path !== undefined ? ` ${signed.error.path}` : ''}`, `cannot be signed: ${signed.error.message}`)
    const doc: Tariff = signed.value
    const bytes = encodeDocument(doc)
    const id = docId(doc)
    const put = await ctx.store.putTariff({ issuer: me, seq: body.seq, id, effective: body.effective, bytes })
    if (put === 'created') this.stored(me)
    if (put === 'conflict') throw new Error(`tariff version ${body.seq} already exists with another content`)
    const recipients = await ctx.net.publish(tariffTopic(me), bytes)
    ctx.log.info({ seq: body.seq, id, effective: body.effective, recipients }, 'tariff published')
    await this.checkUnits(me)
    return { id, seq: body.seq, status: 'published' }
  }

  /**
   * Compare units across each border `issuer`'s newest tariff touches: two tariffs priced per
   * different units cannot settle, so a mismatch is a dispute (in /v1/disputes and the log), opened
   * once per pair of versions; a later matching pair resolves it.
   */
  private async checkUnits (issuer: string): Promise<void> {
    const { ctx } = this
    const me = ctx.identity.peerId
    const mine = await this.latestPricing(me)
    if (mine === undefined) return
    for (const peer of issuer === me ? [...ctx.neighbours.keys()] : ctx.neighbours.has(issuer) ? [issuer] : []) {
      const theirs = await this.latestPricing(peer)
      if (theirs === undefined) continue
      const border = borderOf(me, peer)
      if (theirs.pricing.unit === mine.pricing.unit) {
        for (const d of await ctx.store.listDisputes(border, 'open')) {
          if (d.kind === 'settlement' && d.key.startsWith('unit:')) await ctx.store.resolveDispute({ kind: 'settlement', border, key: d.key, resolution: { tariffs: [mine.id, theirs.id], unit: mine.pricing.unit }, time: ctx.now() })
        }
        continue
      }
      const name = ctx.neighbours.get(peer)?.name ?? peer
      const reason = `unit mismatch: ${name} prices per ${theirs.pricing.unit} (tariff ${theirs.id}), we price per ${mine.pricing.unit} (tariff ${mine.id}); this border cannot settle until one side publishes a tariff in the other's unit`
      const r = await ctx.store.putDispute({ kind: 'settlement', border, key: `unit:${mine.id}:${theirs.id}`, detail: { reason, ours: { tariff: mine.id, unit: mine.pricing.unit }, theirs: { tariff: theirs.id, unit: theirs.pricing.unit } }, time: ctx.now() })
      if (r === 'created') {
        ctx.metrics.disputes.inc({ kind: 'settlement' })
        ctx.log.warn({ peer: name, ours: mine.pricing.unit, theirs: theirs.pricing.unit }, reason)
      }
    }
  }

  private async latestPricing (issuer: string): Promise<{ id: string, pricing: PricingTariff } | undefined> {
    const rec = await this.ctx.store.latestTariff(issuer)
    if (rec === undefined) return undefined
    const d = decodeDocument(rec.bytes, 'tariff')
    return d.ok ? { id: rec.id, pricing: d.value.body.pricing as PricingTariff } : undefined
  }

  /**
   * Re-announce our current tariff after a neighbour connects (gossip may have missed it). At most
   * once per interval: every neighbour also fetches our tariff by sync when it connects, and an
   * announcement per connection would cost a hub D² messages when it starts (found by the
   * Internet-scale simulation).
   */
  async republish (): Promise<void> {
    const now = this.ctx.now()
    if (this.lastRepublish !== undefined && now - this.lastRepublish < this.ctx.config.intervalMs) return
    this.lastRepublish = now
    const last = await this.ctx.store.latestTariff(this.ctx.identity.peerId)
    if (last !== undefined) await this.ctx.net.publish(tariffTopic(this.ctx.identity.peerId), last.bytes).catch(() => 0)
  }
}

/** Stable digest of pricing content, to tell whether a tariff file changed. */
function fingerprint (p: PricingTariff): string {
  const canon = (v: unknown): unknown => Array.isArray(v)
    ? v.map(canon)
    : v !== null && typeof v === 'object'
      ? Object.fromEntries(Object.keys(v).sort().map(k => [k, canon((v as Record<string, unknown>)[k])]))
      : v
  return createHash('sha256').update(JSON.stringify(canon(p))).digest('hex')
}
