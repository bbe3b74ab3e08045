/**
 * A lightweight neighbour of the agent under load: a real libp2p node (TCP on 127.0.0.1, noise,
 * yamux) with its own Ed25519 key, serving and initiating the border protocol of docs/protocol.md
 * 8.3 with the wire package's documents, and serving tariff-sync for its one tariff. It keeps its
 * reports and attestations in memory: it is the agent, not the neighbour, that is measured.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import { createLibp2p, type Libp2p } from 'libp2p'
import {
  checkAttestationParties, checkReportTime, cosign, decodeDocument, docId, encodeDocument, sign, verifyDocument,
  type Identity, type UsageAttestation, type UsageAttestationBody, type UsageReport
} from '@splitedge/wire'
import {
  BorderRequest, BorderResponse, MAX_FRAME_BYTES, PROTOCOLS, decodeFrame, encodeFrame, net
} from '@splitedge/node'
import { attestationBodyOf, reconcile, sortedPair, syntheticUsage } from '@splitedge/agent'
import * as dagCbor from '@ipld/dag-cbor'

/** What both sides of every border agree on (the agent's config carries the same). */
export interface BorderTerms {
  intervalMs: number
  graceMs: number
  clockSkewMs: number
  seed: string
  classes: string[]
  meanVolume: number
  noise: number
  tolerance: string
}

export type Outcome = 'attested' | 'disputed' | 'declined' | 'not-ready' | 'error'

/** Told once per interval of this border when it is attested at both ends (the agent stored it before answering or delivering). */
export type CompletionListener = (peer: string, start: number, at: number) => void

interface Own { doc: UsageReport, bytes: Uint8Array }

export class LoadNeighbour {
  readonly peerId: string
  /** Does this neighbour start the exchange (the lower PeerId of the border)? */
  readonly initiator: boolean
  readonly attested = new Map<number, Uint8Array>()
  readonly counts = { disputed: 0, declined: 0, errors: 0, notReady: 0, refused: 0, tariffSyncs: 0 }
  /**
   * The first interval this neighbour settles, once the driver sets it: earlier ones are declined,
   * as an agent declines intervals before it started settling a border; until then the agent is
   * told to try again (so a slow start leaves no backlog ahead of the measured intervals).
   */
  settleFrom: number | undefined
  private node: Libp2p | undefined
  private readonly reports = new Map<number, Own>()

  constructor (
    private readonly identity: Identity,
    private readonly agent: string,
    private readonly terms: BorderTerms,
    private readonly tariff: Uint8Array,
    private readonly onComplete: CompletionListener
  ) {
    this.peerId = identity.peerId
    this.initiator = identity.peerId < agent
  }

  /** Listen on a free loopback port; returns the address to put in the agent's config. */
  async start (): Promise<string> {
    const node = await createLibp2p({
      privateKey: this.identity.privateKey,
      addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      connectionManager: { maxConnections: 8, reconnectRetries: 0 },
      // As the agent's node does (a busy agent answers pings late).
      connectionMonitor: { pingTimeout: { minTimeout: net.PING_TIMEOUT_MIN_MS } }
    })
    this.node = node
    const fromAgent = (peer: string): boolean => peer === this.agent
    await net.handle(node, PROTOCOLS.border, async (bytes, peer) => await this.serve(bytes, peer), { maxRequestBytes: MAX_FRAME_BYTES.border, allow: fromAgent, timeoutMs: 15_000 })
    await net.handle(node, PROTOCOLS.tariffSync, (bytes) => this.serveTariff(bytes), { maxRequestBytes: 1024, allow: fromAgent, timeoutMs: 10_000 })
    const addr = node.getMultiaddrs().find(a => a.toString().startsWith('/ip4/127.0.0.1/tcp/'))
    if (addr === undefined) throw new Error('neighbour has no loopback TCP address')
    return addr.toString().replace(/\/p2p\/.*$/, '')
  }

  /** Where the agent listens, for the requests this neighbour starts (it normally reuses the agent's connection). */
  async knowAgent (addrs: string[]): Promise<void> {
    await this.libp2p().peerStore.merge(peerIdFromString(this.agent), { multiaddrs: addrs.map(a => multiaddr(a)) })
  }

  async stop (): Promise<void> { await this.node?.stop() }

  private libp2p (): Libp2p {
    if (this.node === undefined) throw new Error('neighbour not started')
    return this.node
  }

  private serveTariff (bytes: Uint8Array): Uint8Array {
    const req = dagCbor.decode(bytes) as { k?: unknown, id?: unknown }
    this.counts.tariffSyncs++
    const id = decodeDocument(this.tariff, 'tariff')
    const mine = id.ok ? docId(id.value) : ''
    if (req.k === 'current' || (req.k === 'by-id' && req.id === mine)) return dagCbor.encode({ k: 'tariff', doc: this.tariff })
    return dagCbor.encode({ k: 'none' })
  }

  /** Our signed report of an interval, made once (as an agent's synthetic source would). */
  ownReport (start: number): Own {
    const held = this.reports.get(start)
    if (held !== undefined) return held
    const { terms } = this
    const lines = syntheticUsage({ seed: terms.seed, classes: terms.classes, meanVolume: terms.meanVolume, noise: terms.noise }, this.peerId, this.agent, start)
    const signed = sign(this.identity, 'usage-report', {
      border: sortedPair(this.peerId, this.agent),
      reporter: this.peerId,
      interval: { start, length: terms.intervalMs },
      lines: lines.map(l => ({ class: l.class, from: l.from, to: l.to, volume: l.volume, ...(l.messages !== undefined ? { messages: Number(l.messages) } : {}) })),
      metrics: []
    })
    if (!signed.ok) throw new Error(`neighbour cannot sign its report: ${signed.error.message}`)
    const own = { doc: signed.value, bytes: encodeDocument(signed.value) }
    this.reports.set(start, own)
    return own
  }

  /** The agent's report, checked as docs/protocol.md 8.3 step 2 says; throws a refusal. */
  private checkReport (bytes: Uint8Array, start?: number): UsageReport {
    const d = decodeDocument(bytes, 'usage-report')
    if (!d.ok) throw new net.HandlerError(`${d.error.code}: ${d.error.message}`)
    const v = verifyDocument(d.value)
    if (!v.ok) throw new net.HandlerError(`${v.error.code}: ${v.error.message}`)
    const b = d.value.body
    if (b.reporter !== this.agent) throw new net.HandlerError('wrong-reporter: not the agent\'s report')
    const [x, y] = sortedPair(this.peerId, this.agent)
    if (b.border[0] !== x || b.border[1] !== y) throw new net.HandlerError('wrong-parties: not our border')
    if (b.interval.length !== this.terms.intervalMs || b.interval.start % b.interval.length !== 0 || (start !== undefined && b.interval.start !== start)) throw new net.HandlerError('interval-mismatch: not one of our intervals')
    const t = checkReportTime(b.interval, Date.now(), this.terms.clockSkewMs)
    if (!t.ok) throw new net.HandlerError(`${t.reason}: ${t.message}`)
    return d.value
  }

  /** The attestation both sides compute from the two reports, or undefined beyond tolerance. */
  private attestationBody (mine: UsageReport, theirs: UsageReport, tolerance: string): UsageAttestationBody | undefined {
    const [first, second] = mine.body.border[0] === this.peerId ? [mine, theirs] : [theirs, mine]
    const fig = (r: UsageReport) => ({
      reporter: r.body.reporter,
      lines: r.body.lines.map(l => ({ class: l.class, from: l.from, to: l.to, volume: l.volume, ...(l.messages !== undefined ? { messages: String(l.messages) } : {}) })),
      metrics: r.body.metrics.map(m => ({ ...m }))
    })
    const r = reconcile(fig(first), fig(second), tolerance)
    return r.ok ? attestationBodyOf(first, second, tolerance, r) : undefined
  }

  /** A co-signed attestation of our border, checked (parties, both signatures, interval). */
  private checkAttestation (bytes: Uint8Array, start?: number): UsageAttestation {
    const d = decodeDocument(bytes, 'usage-attestation')
    if (!d.ok) throw new net.HandlerError(`${d.error.code}: ${d.error.message}`)
    const parties = checkAttestationParties(d.value, [this.peerId, this.agent])
    if (!parties.ok) throw new net.HandlerError(`${parties.reason}: ${parties.message}`)
    const v = verifyDocument(d.value)
    if (!v.ok) throw new net.HandlerError(`${v.error.code}: ${v.error.message}`)
    const { interval } = d.value.body
    if (interval.length !== this.terms.intervalMs || (start !== undefined && interval.start !== start)) throw new net.HandlerError('interval-mismatch: not the interval asked')
    return d.value
  }

  private complete (start: number, bytes: Uint8Array): void {
    if (this.attested.has(start)) return
    this.attested.set(start, bytes)
    this.onComplete(this.peerId, start, Date.now())
  }

  private reply (r: BorderResponse): Uint8Array {
    return encodeFrame(BorderResponse, r.k === 'ok' || r.k === 'none' ? r : { ...r, time: Date.now() })
  }

  // ---- responder (the agent has the lower PeerId) ------------------------------------------

  private async serve (bytes: Uint8Array, _peer: string): Promise<Uint8Array> {
    let req: BorderRequest
    try {
      req = decodeFrame(BorderRequest, bytes)
    } catch (err) {
      throw new net.HandlerError(`malformed: ${(err as Error).message}`)
    }
    switch (req.k) {
      case 'get-attestation': {
        const held = this.attested.get(req.start)
        return this.reply(held === undefined ? { k: 'none' } : { k: 'attestation', doc: held })
      }
      case 'attestation': {
        const doc = this.checkAttestation(req.doc)
        this.complete(doc.body.interval.start, req.doc)
        return this.reply({ k: 'ok' })
      }
      case 'report': return this.answerReport(req.doc, req.tolerance)
    }
  }

  private answerReport (doc: Uint8Array, tolerance: string): Uint8Array {
    let theirs: UsageReport
    try {
      theirs = this.checkReport(doc)
    } catch (err) {
      if ((err as Error).message.startsWith('future-interval')) return this.reply({ k: 'not-ready', reason: (err as Error).message.slice(0, 500) })
      throw err
    }
    const start = theirs.body.interval.start
    const held = this.attested.get(start)
    if (held !== undefined) return this.reply({ k: 'attestation', doc: held })
    if (this.settleFrom === undefined) return this.reply({ k: 'not-ready', reason: 'not settling this border yet' })
    if (start < this.settleFrom) return this.reply({ k: 'declined', reason: 'interval before this neighbour started settling the border' })
    const tol = Number(tolerance) < Number(this.terms.tolerance) ? tolerance : this.terms.tolerance
    const mine = this.ownReport(start)
    const body = this.attestationBody(mine.doc, theirs, tol)
    if (body === undefined) { this.counts.disputed++; return this.reply({ k: 'dispute', report: mine.bytes }) }
    const half = sign(this.identity, 'usage-attestation', body)
    if (!half.ok) throw new Error(`cannot sign attestation: ${half.error.message}`)
    return this.reply({ k: 'cosign', report: mine.bytes, doc: encodeDocument(half.value) })
  }

  // ---- initiator (this neighbour has the lower PeerId) ------------------------------------

  /** One exchange for an interval this neighbour starts: report, check and co-sign, deliver. */
  async exchange (start: number): Promise<Outcome> {
    if (this.attested.has(start)) return 'attested'
    const mine = this.ownReport(start)
    let res: BorderResponse
    try {
      res = decodeFrame(BorderResponse, await this.request(encodeFrame(BorderRequest, { k: 'report', doc: mine.bytes, tolerance: this.terms.tolerance, time: Date.now() }), MAX_FRAME_BYTES.border))
    } catch {
      this.counts.errors++
      return 'error'
    }
    switch (res.k) {
      case 'attestation': this.complete(start, this.checkAttestationBytes(res.doc, start)); return 'attested'
      case 'cosign': return await this.cosignAndDeliver(mine, res.report, res.doc, start)
      case 'dispute': this.counts.disputed++; return 'disputed'
      case 'declined': this.counts.declined++; return 'declined'
      default: this.counts.notReady++; return 'not-ready'
    }
  }

  private checkAttestationBytes (bytes: Uint8Array, start: number): Uint8Array {
    this.checkAttestation(bytes, start)
    return bytes
  }

  private async cosignAndDeliver (mine: Own, report: Uint8Array, doc: Uint8Array, start: number): Promise<Outcome> {
    const theirs = this.checkReport(report, start)
    const d = decodeDocument(doc, 'usage-attestation')
    if (!d.ok) { this.counts.refused++; return 'error' }
    const half = d.value
    if (Number(half.body.rule.tolerance) > Number(this.terms.tolerance)) { this.counts.refused++; return 'error' }
    const expected = this.attestationBody(mine.doc, theirs, half.body.rule.tolerance)
    if (expected === undefined) { this.counts.disputed++; return 'disputed' }
    if (docId({ type: 'usage-attestation', body: expected }) !== docId(half)) { this.counts.refused++; return 'error' }
    if (!verifyDocument(half, [this.agent]).ok) { this.counts.refused++; return 'error' }
    const full = cosign(this.identity, half)
    if (!full.ok) throw new Error(full.error.message)
    const bytes = encodeDocument(full.value)
    for (let attempt = 0; attempt < 20; attempt++) {
      try {
        const ack = decodeFrame(BorderResponse, await this.request(encodeFrame(BorderRequest, { k: 'attestation', doc: bytes }), 1024))
        if (ack.k === 'ok') { this.complete(start, bytes); return 'attested' }
      } catch {
        this.counts.errors++
      }
      await new Promise(resolve => setTimeout(resolve, 200))
    }
    return 'error'
  }

  private async request (bytes: Uint8Array, maxResponseBytes: number): Promise<Uint8Array> {
    return await net.request(this.libp2p(), this.agent, PROTOCOLS.border, bytes, { maxResponseBytes, timeoutMs: 30_000 })
  }
}
