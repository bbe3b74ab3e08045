/**
 * The tariff book: our own versions and those of the issuers we follow. Versions arrive by gossip
 * on each issuer's topic and by the tariff-sync protocol on every (re)connection; both paths go
 * through `ingest`, which applies every rule of the wire package before anything is stored. An
 * agent runs one (its neighbours followed), and so does a clearer (the operators it serves).
 *
 *     const book = tariffBook({ follows, maySync, clockSkewMs })({ identity, store, net, clock, log, counters })
 *     await book.start()
 */
import { checkTariffSuccession, checkTopicIssuer, decodeDocument, docId, verifyDocument, type Tariff } from '@splitedge/wire'
import type { Refusal } from '@splitedge/wire'
import type { PricingTariff } from '@splitedge/model'
import type { TariffRecord } from '@splitedge/store'
import { PROTOCOLS } from '../frames.js'
import { tariffTopic } from '../net/topics.js'
import type { TariffBookComponents, TariffBookInit } from './components.js'
import { keepEquivocation } from './evidence.js'
import { nextVersion, type PublishResult } from './publish.js'
import { fetchChain, fetchTariff, serveTariffSync } from './sync.js'

export type IngestResult =
  | { ok: true, status: 'created' | 'exists', id: string }
  | { ok: false, verdict: 'reject' | 'ignore', reason: string, message: string }

/** Where a version came from: an issuer's topic, or a tariff-sync answer. */
export type Via = 'gossip' | 'sync'

/** A version that passed every check and is to be stored. */
interface Checked { doc: Tariff, id: string }

/** A rejection repeats on every gossip and sync (a skewed clock, a stuck issuer): logged once a minute per key. */
const LOG_EVERY_MS = 60_000

export class TariffBook {
  /** Issuers whose tariffs we keep. */
  readonly follows: Set<string>
  private readonly syncing = new Map<string, Promise<void>>()
  private readonly lastLogged = new Map<string, number>()
  private publishing: Promise<unknown> = Promise.resolve()
  private started = false

  constructor (private readonly init: TariffBookInit, private readonly c: TariffBookComponents) {
    this.follows = new Set(init.follows)
  }

  /** Serve tariff-sync and join every followed issuer's topic. */
  async start (): Promise<void> {
    const { c } = this
    await c.net.handle(PROTOCOLS.tariffSync, async (bytes) => await serveTariffSync(c, bytes), {
      maxRequestBytes: 1024,
      allow: (peer) => this.init.maySync(peer),
      timeoutMs: 10_000
    })
    for (const peer of this.follows) {
      c.net.subscribe(tariffTopic(peer), async (bytes) => {
        const r = await this.ingest(bytes, peer, 'gossip')
        if (r.ok) return 'accept'
        if (r.reason === 'gap') void this.sync(peer)
        return r.verdict
      }, () => {})
    }
    this.started = true
  }

  /** Stop serving tariff-sync and leave the topics (the network itself is the caller's to stop). */
  async stop (): Promise<void> {
    if (!this.started) return
    this.started = false
    for (const peer of this.follows) this.c.net.unsubscribe(tariffTopic(peer))
    await this.c.net.unhandle(PROTOCOLS.tariffSync)
  }

  /**
   * Check and store a tariff from `issuer` (the topic's or the sync peer's). Only followed issuers'
   * tariffs are kept. A version whose `previous` we lack is a gap: ignored here, filled by sync.
   */
  async ingest (bytes: Uint8Array, issuer: string, via: Via): Promise<IngestResult> {
    const checked = await this.check(bytes, issuer, via)
    if (!('doc' in checked)) return checked
    const { doc, id } = checked
    const put = await this.c.store.putTariff({ issuer, seq: doc.body.seq, id, effective: doc.body.effective, bytes })
    if (put === 'conflict') {
      if (await keepEquivocation(this.c, issuer, doc.body.seq, id, bytes)) return this.equivocated(issuer, via, doc.body.seq)
      return this.reject(issuer, via, 'conflict', `another version ${doc.body.seq} is already held`)
    }
    if (put === 'created') {
      this.c.counters.accepted.inc({ kind: 'tariff' })
      this.c.log.info({ issuer, seq: doc.body.seq, id, via }, 'tariff accepted')
      await this.init.onStored?.(issuer)
    }
    return { ok: true, status: put, id }
  }

  /** Every rule of the wire package, in order: the verdict, or the version to store. */
  private async check (bytes: Uint8Array, issuer: string, via: Via): Promise<IngestResult | Checked> {
    const decoded = decodeDocument(bytes, 'tariff')
    if (!decoded.ok) return this.reject(issuer, via, decoded.error.code, decoded.error.message)
    const doc = decoded.value
    const topic = checkTopicIssuer(doc, issuer)
    if (!topic.ok) return this.reject(issuer, via, topic.reason, topic.message)
    const id = docId(doc)
    // The very bytes we already hold were verified before they were stored: a version arrives
    // by gossip and again by sync on every reconnection, and verifying was most of ingesting.
    if (!(await this.holds(id, bytes))) {
      const sig = verifyDocument(doc)
      if (!sig.ok) return this.reject(issuer, via, sig.error.code, sig.error.message)
    }
    if (!this.follows.has(issuer)) return this.reject(issuer, via, 'not-followed', `${issuer} is not an issuer we follow`, 'ignore')
    const last = await this.c.store.latestTariff(issuer)
    const lastAccepted = last === undefined ? undefined : { seq: last.seq, id: last.id, noticeMs: noticeOf(last) }
    const verdict = checkTariffSuccession(lastAccepted, doc, this.c.clock.now(), this.init.clockSkewMs)
    if (verdict.ok) return { doc, id }
    if (verdict.reason === 'duplicate') {
      // The current version again: expected by sync; by gossip a replay, dropped without being
      // forwarded or costing the sender score, and counted.
      if (via === 'sync') return { ok: true, status: 'exists', id }
      return this.reject(issuer, via, 'duplicate', verdict.message, 'ignore')
    }
    // An old version we hold: harmless by sync (walking back a chain), a replay by gossip.
    if (verdict.reason === 'stale-sequence' && via === 'sync' && (await this.c.store.getTariff(id)) !== undefined) return { ok: true, status: 'exists', id }
    if (verdict.reason === 'previous-mismatch' && last !== undefined && doc.body.seq > last.seq) {
      return this.reject(issuer, via, 'gap', `version ${doc.body.seq} follows one we do not hold (last ${last.seq})`, 'ignore')
    }
    if (await keepEquivocation(this.c, issuer, doc.body.seq, id, bytes)) return this.equivocated(issuer, via, doc.body.seq)
    return this.reject(issuer, via, verdict.reason, verdict.message)
  }

  private async holds (id: string, bytes: Uint8Array): Promise<boolean> {
    const held = await this.c.store.getTariff(id)
    return held !== undefined && Buffer.from(held.bytes.buffer, held.bytes.byteOffset, held.bytes.byteLength).equals(bytes)
  }

  private equivocated (issuer: string, via: Via, seq: number): IngestResult {
    return this.reject(issuer, via, 'equivocation', `${issuer} signed two different versions ${seq}; both kept as evidence`)
  }

  /** Count a rejection; log it (once a minute per issuer and reason), or note an ignored one at debug. */
  private reject (issuer: string, via: Via, reason: Refusal, message: string, verdict: 'reject' | 'ignore' = 'reject'): IngestResult {
    this.c.counters.rejected.inc({ kind: 'tariff', reason })
    if (verdict === 'reject' && this.logNow(`${issuer}:${reason}`)) this.c.log.warn({ issuer, via, reason }, `tariff rejected: ${message}`)
    else this.c.log.debug({ issuer, via, reason }, `tariff ignored: ${message}`)
    return { ok: false, verdict, reason, message }
  }

  private logNow (key: string): boolean {
    const now = this.c.clock.now()
    const last = this.lastLogged.get(key)
    if (last !== undefined && now - last < LOG_EVERY_MS) return false
    this.lastLogged.set(key, now)
    return true
  }

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
      .catch((err: Error) => { this.c.log.warn({ peer, err: err.message }, 'tariff sync failed; will retry') })
      .finally(() => this.syncing.delete(peer))
    this.syncing.set(peer, p)
    return await p
  }

  private async doSync (peer: string): Promise<void> {
    for (const bytes of await fetchChain(this.c, peer)) await this.ingest(bytes, peer, 'sync')
  }

  /** An issuer's version by id, fetched from `peer` if we do not hold it. */
  async ensure (peer: string, id: string): Promise<boolean> {
    if ((await this.c.store.getTariff(id)) !== undefined) return true
    await this.sync(peer)
    if ((await this.c.store.getTariff(id)) !== undefined) return true
    const bytes = await fetchTariff(this.c, peer, { k: 'by-id', id })
    if (bytes === undefined) return false
    return (await this.ingest(bytes, peer, 'sync')).ok
  }

  /**
   * Sign and publish a new version of our own tariff. Unchanged pricing publishes nothing and
   * returns the current version. `effective` defaults to the earliest the notice period allows.
   * A pricing that cannot be signed throws TariffSignError.
   */
  async publishOwn (pricing: PricingTariff, noticeMs: number, effective?: number): Promise<PublishResult> {
    // One publish at a time: each reads the version the previous one stored and takes the next.
    const run = this.publishing.then(async () => await this.publishNext(pricing, noticeMs, effective))
    this.publishing = run.catch(() => {})
    return await run
  }

  private async publishNext (pricing: PricingTariff, noticeMs: number, effective?: number): Promise<PublishResult> {
    const { c } = this
    const me = c.identity.peerId
    const next = nextVersion(c.identity, await c.store.latestTariff(me), pricing, noticeMs, effective, c.clock.now())
    if (next.kind === 'unchanged') return { id: next.id, seq: next.seq, status: 'unchanged' }
    const { body, id, bytes } = next
    const put = await c.store.putTariff({ issuer: me, seq: body.seq, id, effective: body.effective, bytes })
    if (put === 'conflict') throw new Error(`tariff version ${body.seq} already exists with another content`)
    const recipients = await c.net.publish(tariffTopic(me), bytes)
    c.log.info({ seq: body.seq, id, effective: body.effective, recipients }, 'tariff published')
    await this.init.onStored?.(me)
    return { id, seq: body.seq, status: 'published' }
  }

  /** Announce our current version on our topic again (gossip may have missed it). */
  async announce (): Promise<void> {
    const last = await this.c.store.latestTariff(this.c.identity.peerId)
    if (last !== undefined) await this.c.net.publish(tariffTopic(this.c.identity.peerId), last.bytes).catch(() => 0)
  }
}

function noticeOf (rec: TariffRecord): number {
  const d = decodeDocument(rec.bytes, 'tariff')
  return d.ok ? d.value.body.noticeMs : 0
}

/** The tariff book as a component factory: `tariffBook(init)(components)`. */
export function tariffBook (init: TariffBookInit): (components: TariffBookComponents) => TariffBook {
  return (components) => new TariffBook(init, components)
}
