/**
 * Hostile parties of a VOPR run:
 * - a stranger linked to one agent (not its neighbour) that sends forged reports, forged and
 *   replayed tariffs, and garbage on the protocols and topics;
 * - an equivocating neighbour: two different tariff versions signed with one sequence number,
 *   published to its neighbours (with an effective time beyond the run, so settlement is untouched).
 * The `hostile` checker then requires that nothing forged was stored, and that every neighbour
 * that saw both versions keeps both as evidence.
 */
import { createHash } from 'node:crypto'
import { encodeDocument, identityFromSeed, sign, type Identity } from '@splitedge/wire'
import { BorderRequest, PROTOCOLS, encodeFrame, net as agentNet } from '@splitedge/node'
import { readEquivocation, type Store } from '@splitedge/store'
import type { Rng } from '../rng.js'
import { below } from '../rng.js'
import type { EventQueue } from '../world/time.js'
import type { SimNetwork } from '../world/net.js'
import { INTERVAL_MS, pricingOf, type SimNode } from './nodes.js'
import type { Violation } from './checkers.js'

export interface Hostility { stranger?: Identity, equivocations: Array<{ issuer: SimNode, seq: number }>, sent: number }

/** A tariff for `issuer` signed by `signer` (forged when they differ). */
function tariffDoc (signer: Identity, issuer: string, seq: number, previous: string | null, now: number, price: string): Uint8Array {
  const pricing = { ...pricingOf(0), classes: { be: { mode: 'unicast' as const, quality: 'BE', price } } }
  const body = { issuer, seq, previous, published: now, effective: now + 10 * 86_400_000, noticeMs: 0, pricing }
  const s = sign(signer, 'tariff', body)
  if (!s.ok) throw new Error(s.error.message)
  return encodeDocument(s.value)
}

/** The stranger: linked to a0, sending garbage and forgeries every interval. */
export async function startStranger (seed: number, queue: EventQueue, network: SimNetwork, rng: Rng, nodes: SimNode[], until: number, h: Hostility): Promise<void> {
  const stranger = await identityFromSeed(createHash('sha256').update(`splitedge/vopr/${seed}/stranger`).digest())
  h.stranger = stranger
  const victim = nodes[0] as SimNode
  const issuer = nodes[1] as SimNode
  network.link(stranger.peerId, victim.identity.peerId)
  const port = network.port(stranger.peerId)
  await port.start()
  const topic = agentNet.tariffTopic(issuer.identity.peerId)
  port.subscribe(topic, () => 'accept', () => {})
  for (let t = queue.now() + INTERVAL_MS; t < until; t += INTERVAL_MS) {
    queue.at(t + below(rng, INTERVAL_MS), 'stranger', async () => {
      h.sent++
      const junk = new Uint8Array(1 + below(rng, 64)).map(() => below(rng, 256))
      const forged = tariffDoc(stranger, issuer.identity.peerId, 1_000_000, null, queue.now(), '0.000001')
      const replayed = (await issuer.store?.tariffsOf(issuer.identity.peerId))?.[0]?.bytes
      const oversized = new Uint8Array(300 * 1024).fill(0xa5)
      for (const bytes of [junk, forged, oversized, ...(replayed !== undefined ? [replayed] : [])]) await port.publish(topic, bytes)
      await port.request(victim.identity.peerId, PROTOCOLS.border, oversized, { maxResponseBytes: 1024, timeoutMs: 10_000 }).catch(() => {})
      await port.request(victim.identity.peerId, PROTOCOLS.border, junk, { maxResponseBytes: 1024, timeoutMs: 10_000 }).catch(() => {})
      const report = encodeFrame(BorderRequest, { k: 'get-attestation', start: 0 })
      await port.request(victim.identity.peerId, PROTOCOLS.border, report, { maxResponseBytes: 1024, timeoutMs: 10_000 }).catch(() => {})
    })
  }
}

/** Two versions of `issuer` with the next sequence number, both validly signed, published in turn. */
export async function equivocate (queue: EventQueue, network: SimNetwork, issuer: SimNode, h: Hostility): Promise<void> {
  const store = issuer.store
  if (store === undefined) return
  const last = await store.latestTariff(issuer.identity.peerId)
  if (last === undefined) return
  const seq = last.seq + 1
  const docs = [tariffDoc(issuer.identity, issuer.identity.peerId, seq, last.id, queue.now(), '0.000009'), tariffDoc(issuer.identity, issuer.identity.peerId, seq, last.id, queue.now(), '0.000008')]
  h.equivocations.push({ issuer, seq })
  // Sent as the issuer's own (compromised or buggy) agent would: on its topic, from its address.
  for (const d of docs) network.publishAs(issuer.identity.peerId, agentNet.tariffTopic(issuer.identity.peerId), d)
}

/** Nothing forged stored; every neighbour of an equivocator that saw both versions kept both. */
export async function checkHostile (nodes: SimNode[], stores: Map<SimNode, Store>, edges: Array<[number, number]>, h: Hostility): Promise<Violation[]> {
  const out: Violation[] = []
  for (const node of nodes) {
    const store = stores.get(node) as Store
    for (const issuer of nodes) {
      for (const t of await store.tariffsOf(issuer.identity.peerId)) {
        if (h.stranger !== undefined && Buffer.from(t.bytes).includes(Buffer.from(h.stranger.peerId))) out.push({ checker: 'hostile', detail: `${node.name} stored a tariff naming the stranger` })
      }
    }
  }
  for (const e of h.equivocations) {
    for (const [a, b] of edges) {
      if (a !== e.issuer.index && b !== e.issuer.index) continue
      const nb = nodes[a === e.issuer.index ? b : a] as SimNode
      const store = stores.get(nb) as Store
      const held = (await store.tariffsOf(e.issuer.identity.peerId)).filter(t => t.seq === e.seq)
      if (held.length > 1) out.push({ checker: 'hostile', detail: `${nb.name} holds two versions ${e.seq} of ${e.issuer.name}` })
      if ((await readEquivocation(store, e.issuer.identity.peerId, e.seq)) === undefined) out.push({ checker: 'hostile', detail: `${nb.name} kept no evidence of ${e.issuer.name}'s two versions ${e.seq}` })
    }
  }
  return out
}

