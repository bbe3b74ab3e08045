/**
 * The tariff book on its own components (no agent, no libp2p): an issuer publishes, a follower
 * that has no agent config (as a clearer) keeps its versions by gossip and sync, every wire rule
 * rejects and counts, an equivocation is kept as typed evidence, and who may sync is the init's
 * to say.
 */
import assert from 'node:assert/strict'
import { decodeDocument, docId, encodeDocument, generateIdentity, sign, verifyCounts, type Identity, type TariffBody } from '@splitedge/wire'
import type { PricingTariff } from '@splitedge/model'
import { listEquivocations, readEquivocation, type Store } from '@splitedge/store'
import { tariffBook, TariffBook, TariffSignError, TariffView, type TariffBookInit } from '../src/index.js'
import { FakeHub, counters, memStore, memoryLog } from './tariff-fakes.js'

const pricing = (price: string): PricingTariff => ({
  currency: 'EUR', decimals: 6, unit: 'octet',
  classes: { be: { mode: 'unicast', quality: 'BE', price } },
  weights: { '*': { send: '1', receive: '1' } }
})

interface Node { id: Identity, store: Store, book: TariffBook, counters: ReturnType<typeof counters>, log: ReturnType<typeof memoryLog>, stored: string[] }

describe('node: the tariff book on narrow components', () => {
  let hub: FakeHub
  let now = 1_800_000_000_000
  const clock = { now: () => now }

  async function node (init: Partial<TariffBookInit> & { follows: string[] }, id?: Identity, defects?: ReadonlySet<string>): Promise<Node> {
    const identity = id ?? await generateIdentity()
    const store = await memStore()
    const c = counters()
    const log = memoryLog()
    const stored: string[] = []
    const book = tariffBook({
      maySync: () => true,
      clockSkewMs: 5000,
      onStored: async (issuer) => { stored.push(issuer) },
      ...init
    })({ identity, store, net: hub.port(identity.peerId), clock, log, counters: c, ...(defects !== undefined ? { defects } : {}) })
    await book.start()
    return { id: identity, store, book, counters: c, log, stored }
  }

  const signed = (id: Identity, body: TariffBody): { bytes: Uint8Array, id: string } => {
    const s = sign(id, 'tariff', body)
    assert.ok(s.ok)
    return { bytes: encodeDocument(s.value), id: docId(s.value) }
  }

  beforeEach(() => { hub = new FakeHub() })

  it('an issuer\'s versions reach a follower by gossip; its own publish is stored, announced and reported to onStored', async () => {
    const issuer = await node({ follows: [] })
    const follower = await node({ follows: [issuer.id.peerId], maySync: () => false })
    const p1 = await issuer.book.publishOwn(pricing('0.000001'), 0)
    assert.equal(p1.status, 'published')
    assert.deepEqual(issuer.stored, [issuer.id.peerId])
    assert.equal((await follower.store.latestTariff(issuer.id.peerId))?.id, p1.id)
    assert.equal(follower.counters.count('tariff'), 1)
    assert.deepEqual(follower.stored, [issuer.id.peerId])
    // The same pricing again publishes nothing.
    assert.deepEqual(await issuer.book.publishOwn(pricing('0.000001'), 0), { id: p1.id, seq: 1, status: 'unchanged' })
    // The view decodes what the book stored.
    const t = await new TariffView(follower.store).inForce(issuer.id.peerId, now)
    assert.equal(t?.pricing.classes.be?.price, '0.000001')
  })

  it('a follower that missed versions catches up by sync, oldest first; who may sync is the init\'s', async () => {
    const issuer = await node({ follows: [], maySync: (p) => p !== stranger.peerId })
    const stranger = await generateIdentity()
    const ids: string[] = []
    for (const price of ['0.000001', '0.000002', '0.000003']) { now += 1000; ids.push((await issuer.book.publishOwn(pricing(price), 0)).id) }
    const late = await node({ follows: [issuer.id.peerId] })
    await late.book.sync(issuer.id.peerId)
    assert.deepEqual((await late.store.tariffsOf(issuer.id.peerId)).map(t => t.id), ids)
    assert.equal(late.counters.count('tariff'), 3)
    // The stranger is refused by maySync: sync gets nothing and does not throw.
    const refused = await node({ follows: [issuer.id.peerId] }, stranger)
    await refused.book.sync(issuer.id.peerId)
    assert.deepEqual(await refused.store.tariffsOf(issuer.id.peerId), [])
    assert.equal(await refused.book.ensure(issuer.id.peerId, ids[2] as string), false)
    assert.equal(await late.book.ensure(issuer.id.peerId, ids[2] as string), true)
  })

  it('rejects and counts each broken rule; reads the time from the clock component; ignores issuers it does not follow', async () => {
    const issuerId = await generateIdentity()
    const follower = await node({ follows: [issuerId.peerId] })
    const base = (seq: number, previous: string | null, published = now): TariffBody => ({ issuer: issuerId.peerId, seq, previous, published, effective: published, noticeMs: 0, pricing: pricing('0.000001') })
    const future = signed(issuerId, base(1, null, now + 60_000))
    assert.deepEqual(await follower.book.ingest(future.bytes, issuerId.peerId, 'gossip').then(r => !r.ok && r.reason), 'future-published')
    now += 60_000 // the clock catches up: the same version is fine now
    assert.ok((await follower.book.ingest(future.bytes, issuerId.peerId, 'gossip')).ok)
    assert.deepEqual(await follower.book.ingest(future.bytes, issuerId.peerId, 'sync'), { ok: true, status: 'exists', id: future.id })
    const dup = await follower.book.ingest(future.bytes, issuerId.peerId, 'gossip')
    assert.deepEqual(!dup.ok && [dup.verdict, dup.reason], ['ignore', 'duplicate'])
    const other = await generateIdentity()
    const wrong = await follower.book.ingest(signed(other, { ...base(1, null), issuer: other.peerId }).bytes, issuerId.peerId, 'gossip')
    assert.deepEqual(!wrong.ok && wrong.reason, 'wrong-issuer')
    const notFollowed = await follower.book.ingest(signed(other, { ...base(1, null), issuer: other.peerId }).bytes, other.peerId, 'gossip')
    assert.deepEqual(!notFollowed.ok && [notFollowed.verdict, notFollowed.reason], ['ignore', 'not-followed'])
    const gap = await follower.book.ingest(signed(issuerId, base(3, 'bafyreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy')).bytes, issuerId.peerId, 'gossip')
    assert.deepEqual(!gap.ok && [gap.verdict, gap.reason], ['ignore', 'gap'])
    for (const reason of ['future-published', 'duplicate', 'wrong-issuer', 'not-followed', 'gap']) assert.equal(follower.counters.count('tariff', reason), 1, reason)
    // One warning line per issuer and reason a minute; the counter counts them all.
    await follower.book.ingest(future.bytes.slice(0, 10), issuerId.peerId, 'gossip')
    await follower.book.ingest(future.bytes.slice(0, 10), issuerId.peerId, 'gossip')
    assert.equal(follower.log.lines.filter(l => l.level === 'warn' && l.msg.startsWith('tariff rejected')).length, 3)
  })

  it('verifies a version once: the same bytes again skip the signature check; other bytes of a held version are checked', async () => {
    const issuerId = await generateIdentity()
    const follower = await node({ follows: [issuerId.peerId] })
    const v1 = signed(issuerId, { issuer: issuerId.peerId, seq: 1, previous: null, published: now, effective: now, noticeMs: 0, pricing: pricing('0.000001') })
    const before = verifyCounts().signatures
    assert.ok((await follower.book.ingest(v1.bytes, issuerId.peerId, 'gossip')).ok)
    assert.equal(verifyCounts().signatures - before, 1)
    assert.deepEqual(await follower.book.ingest(v1.bytes, issuerId.peerId, 'sync'), { ok: true, status: 'exists', id: v1.id })
    const dup = await follower.book.ingest(v1.bytes, issuerId.peerId, 'gossip')
    assert.deepEqual(!dup.ok && dup.reason, 'duplicate')
    assert.equal(verifyCounts().signatures - before, 1, 'the held bytes were not verified again')
    // The same body (so the same id) under a broken signature: different bytes, checked and refused.
    const forged = decodeDocument(v1.bytes, 'tariff')
    assert.ok(forged.ok)
    const sig = new Uint8Array(forged.value.sigs[0]?.sig ?? [])
    sig[0] = (sig[0] ?? 0) ^ 1
    const bad = await follower.book.ingest(encodeDocument({ ...forged.value, sigs: [{ signer: issuerId.peerId, sig }] }), issuerId.peerId, 'gossip')
    assert.deepEqual(!bad.ok && bad.reason, 'bad-signature')
    assert.equal(verifyCounts().signatures - before, 2)
  })

  it('keeps both documents of an equivocation in the typed evidence area, once; the simulator\'s defect keeps none', async () => {
    const issuerId = await generateIdentity()
    const follower = await node({ follows: [issuerId.peerId] })
    const body = (price: string): TariffBody => ({ issuer: issuerId.peerId, seq: 1, previous: null, published: now, effective: now, noticeMs: 0, pricing: pricing(price) })
    const first = signed(issuerId, body('0.000001'))
    const second = signed(issuerId, body('0.000009'))
    assert.ok((await follower.book.ingest(first.bytes, issuerId.peerId, 'gossip')).ok)
    for (let i = 0; i < 2; i++) {
      const r = await follower.book.ingest(second.bytes, issuerId.peerId, 'gossip')
      assert.deepEqual(!r.ok && [r.verdict, r.reason], ['reject', 'equivocation'])
    }
    const ev = await readEquivocation(follower.store, issuerId.peerId, 1)
    assert.deepEqual(ev?.documents.map(d => d.id), [first.id, second.id])
    assert.deepEqual(Buffer.from(ev?.documents[1]?.bytes ?? '', 'base64'), Buffer.from(second.bytes))
    assert.equal((await listEquivocations(follower.store)).length, 1)
    assert.equal(follower.log.lines.filter(l => l.level === 'error').length, 1, 'logged once')
    // Evidence written before the area existed (a meta key) is still found.
    const old = await memStore()
    await old.putMeta(`equivocation:${issuerId.peerId}:7`, { issuer: issuerId.peerId, seq: 7, documents: [{ id: 'a', bytes: '' }, { id: 'b', bytes: '' }] })
    assert.equal((await readEquivocation(old, issuerId.peerId, 7))?.seq, 7)

    const blind = await node({ follows: [issuerId.peerId] }, undefined, new Set(['ignore-equivocation']))
    assert.ok((await blind.book.ingest(first.bytes, issuerId.peerId, 'gossip')).ok)
    const r = await blind.book.ingest(second.bytes, issuerId.peerId, 'gossip')
    assert.ok(!r.ok && r.reason !== 'equivocation')
    assert.equal(await readEquivocation(blind.store, issuerId.peerId, 1), undefined)
  })

  it('a pricing that breaks a wire rule throws TariffSignError naming the field; stop leaves the topics and the protocol', async () => {
    const issuer = await node({ follows: [] })
    await assert.rejects(issuer.book.publishOwn({ ...pricing('0.000001'), currency: 'eur' }, 0), (e: unknown) => e instanceof TariffSignError && /currency/.test(`${e.path ?? ''} ${e.message}`))
    const follower = await node({ follows: [issuer.id.peerId] })
    await follower.book.stop()
    await issuer.book.publishOwn(pricing('0.000002'), 0)
    assert.equal(await follower.store.latestTariff(issuer.id.peerId), undefined, 'no longer subscribed')
    await issuer.book.stop()
    await follower.book.start()
    await follower.book.sync(issuer.id.peerId)
    assert.equal(await follower.store.latestTariff(issuer.id.peerId), undefined, 'the issuer no longer serves tariff-sync')
  })
})
