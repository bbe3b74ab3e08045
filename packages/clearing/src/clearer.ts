/**
 * The clearing intermediary (paper sections 4, 7, 9; README.md): a libp2p node that
 * follows the tariffs of the edge operators it serves (same validation and sync as an agent),
 * announces itself on the directory topic, prices end-to-end quotes, clears receipts into its own
 * double-entry ledger exactly once, and settles each period with each operator by a co-signed
 * clearing statement that also serves customers as evidence of settlement.
 *
 * Ledger accounts: `operator:<PeerId>` (debit: the operator owes the clearer; credit: the clearer
 * owes it), `margin` (the clearer's revenue), `bank` (money that moved at settlement).
 */
import { randomBytes } from 'node:crypto'
import { pino, type Logger } from 'pino'
import { MemoryLevel } from 'memory-level'
import {
  decodeDocument, docId, encodeBody, encodeDocument, loadKeyFile, sign, verifyDocument,
  type ClearingLine, type ClearingStatement, type ClearingStatementBody, type Consent, type Identity, type Quote, type QuoteBody, type Receipt, type Result
} from '@splitedge/wire'
import { borderOf, openStore, toMinorUnits, type Store } from '@splitedge/store'
import { ZERO, add, dec, format, formatRounded, sub, type Dec } from '@splitedge/model'
import { TariffService, TariffView, createMetrics, type AgentConfig, type AgentContext } from '@splitedge/agent'
import { decodeFrame, encodeFrame, libp2pNet, net } from '@splitedge/node'
import { assessClaim, checkSignatures, type Claim, type ClaimRejection, type Clearing } from './claims.js'
import { priceQuote, type PricedQuote, type QuoteRequest } from './pricing.js'
import { ClearerDirectory, DIRECTORY_TOPIC } from './directory.js'
import type { ClearerConfig } from './config.js'
import {
  CLEARING_PROTOCOLS, MAX_CLEARING_FRAME_BYTES, QuoteRequestFrame, QuoteResponseFrame, SettleAnswerFrame, SettleOfferFrame,
  type EvidenceItem
} from './frames.js'
import { startClearerHttp, type ClearerHttp } from './http.js'

export interface ClearerOptions {
  config: ClearerConfig
  /** Default: loaded from `config.keyPath`. */
  identity?: Identity
  /** Default: LevelDB in `config.dataDir` (`memory: true` in the config of tests: pass a store). */
  store?: Store
  /** Default: Date.now. */
  now?: () => number
  /** Default: node:crypto randomBytes (quote nonces). */
  random?: (n: number) => Uint8Array
  logger?: Logger
  /** Start the HTTP API when the config has one (default true). */
  http?: boolean
  /** How often the clearer announces and settles due periods (default 1000 ms). */
  tickMs?: number
}

/** A cleared receipt as the clearer keeps it (meta `clearing:receipt:<id>`). */
export interface ClearedRecord extends Clearing {
  time: number
  periodStart: number
  evidence: 'consent' | 'dispute'
  reason: string | null
  receiptDoc: string
  consentDoc: string | null
}

export type ClearOutcome =
  | { ok: true, status: 'cleared', record: ClearedRecord }
  | { ok: false, error: ClaimRejection }

export type SettleResult = 'settled' | 'nothing' | 'open' | 'refused' | 'error'

export type Evidence =
  | { status: 'settled', statement: ClearingStatement, bytes: Uint8Array, line: ClearingLine }
  | { status: 'cleared', record: ClearedRecord }
  | { status: 'unknown' }

const equalBytes = (x: Uint8Array, y: Uint8Array): boolean => Buffer.compare(x, y) === 0
const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64')
const unb64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'))
const RECEIPT_KEY = (id: string): string => `clearing:receipt:${id}`
const CONSENT_KEY = (id: string): string => `clearing:consent:${id}`
/** Issued quotes, numbered from 1 (meta `clearing:quote:<seq>`); the newest QUOTES_KEPT are kept. */
const QUOTE_KEY = (seq: number): string => `clearing:quote:${String(seq % QUOTES_KEPT).padStart(8, '0')}`
const QUOTE_COUNT = 'clearing:quotes'
export const QUOTES_KEPT = 10_000

/** A quote the clearer issued, as it keeps it. */
export interface IssuedQuote { seq: number, id: string, total: string, body: QuoteBody }
const opAccount = (op: string): string => `operator:${op}`

export class Clearer {
  readonly ctx: AgentContext
  readonly config: ClearerConfig
  readonly tariffs: TariffService
  readonly view: TariffView
  readonly directory = new ClearerDirectory()
  private readonly served: Set<string>
  private readonly names: Map<string, string>
  private readonly random: (n: number) => Uint8Array
  private queue: Promise<unknown> = Promise.resolve()
  /** Quotes are numbered one after another (apart from clearing, which may wait on the network). */
  private quoteLog: Promise<unknown> = Promise.resolve()
  private timer: NodeJS.Timeout | undefined
  private ticking: Promise<void> | undefined
  private lastAnnounce = -Infinity
  /** Periods an operator refused or could not be reached for: not retried before this time. */
  private readonly retryAfter = new Map<string, number>()
  private announceSeq = 0
  private http: ClearerHttp | undefined
  private stopped = false

  private constructor (ctx: AgentContext, config: ClearerConfig, random: (n: number) => Uint8Array, private readonly ownsStore: boolean) {
    this.ctx = ctx
    this.config = config
    this.random = random
    this.served = new Set(config.operators.map(o => o.peerId))
    this.names = new Map(config.operators.map(o => [o.peerId, o.name]))
    this.view = new TariffView(ctx.store)
    this.tariffs = new TariffService(ctx, this.served)
  }

  static async start (opts: ClearerOptions & { tickMs?: number }): Promise<Clearer> {
    const { config } = opts
    const log = opts.logger ?? pino({ level: config.logLevel, base: { clearer: config.name } })
    const identity = opts.identity ?? await loadKeyFile(config.keyPath)
    const store = opts.store ?? await openStore({ path: config.dataDir })
    let node: net.NetNode
    try {
      node = await net.createNode({ privateKey: identity.privateKey, listen: config.listen, transport: config.transport })
    } catch (e) {
      if (opts.store === undefined) await store.close()
      throw e
    }
    // The tariff service reads an agent's config; a clearer has no neighbours and settles no borders.
    const agentConfig: AgentConfig = {
      name: config.name, keyPath: config.keyPath, dataDir: config.dataDir, listen: config.listen, transport: config.transport,
      http: undefined, tariffPath: undefined, intervalMs: config.periodMs, graceMs: config.graceMs, periodIntervals: 1,
      clockSkewMs: config.clockSkewMs, usage: { source: 'http' }, neighbours: [], clearers: [], logLevel: config.logLevel
    }
    const metrics = createMetrics({ defaultMetrics: opts.store === undefined })
    // Rejected streams (refused, oversize, malformed, stalled) are counted and logged, as on an agent.
    net.countRejections(node, metrics.rejected, log)
    const ctx: AgentContext = {
      config: agentConfig, identity, store, node, net: libp2pNet(node, config.operators), neighbours: new Map(), now: opts.now ?? Date.now, log, metrics, defects: new Set()
    }
    const c = new Clearer(ctx, config, opts.random ?? ((n) => randomBytes(n)), opts.store === undefined)
    await c.boot(opts.http ?? true, opts.tickMs ?? 1000)
    return c
  }

  private async boot (http: boolean, tickMs: number): Promise<void> {
    const { ctx } = this
    await this.tariffs.start()
    ctx.net.subscribe(DIRECTORY_TOPIC, (bytes, from) => {
      const v = this.directory.ingest(bytes, ctx.now(), from)
      if (!v.ok && v.verdict === 'reject') ctx.log.warn({ from, reason: v.reason }, `announcement rejected: ${v.message}`)
      return v.ok ? 'accept' : v.verdict
    }, () => {})
    await ctx.net.handle(CLEARING_PROTOCOLS.quote, async (bytes) => await this.serveQuote(bytes), {
      maxRequestBytes: MAX_CLEARING_FRAME_BYTES.quote, allow: () => true, timeoutMs: 10_000
    })
    ctx.net.onConnection('connect', (peerId) => {
      ctx.log.info({ operator: this.nameOf(peerId) }, 'operator connected')
      void this.tariffs.sync(peerId).catch(() => {})
      void this.announce().catch(() => {})
    })
    await ctx.net.start()
    if (http && this.config.http !== undefined) this.http = await startClearerHttp(this, this.config.http)
    await this.announce()
    this.timer = setInterval(() => { void this.tick() }, tickMs)
    ctx.log.info({ peerId: this.peerId, listen: this.listening(), http: this.http?.url }, 'clearer started')
  }

  get peerId (): string { return this.ctx.identity.peerId }
  /** The clearer's libp2p node. */
  get libp2p (): net.NetNode {
    if (this.ctx.node === undefined) throw new Error('this clearer runs on a simulated network, not libp2p')
    return this.ctx.node
  }

  /** The addresses the clearer's node listens on. */
  listening (): string[] { return this.ctx.node?.getMultiaddrs().map(String) ?? [] }
  get url (): string | undefined { return this.http?.url }
  serves (operator: string): boolean { return this.served.has(operator) }
  nameOf (peer: string): string { return this.names.get(peer) ?? peer }
  connected (): string[] { return this.ctx.net.connected() }

  // ---- directory -------------------------------------------------------------------------------

  /** Sign and publish which operators we clear for; our own directory takes it too. */
  async announce (): Promise<void> {
    const now = this.ctx.now()
    this.announceSeq = Math.max(this.announceSeq + 1, now)
    const url = this.config.http?.publicUrl ?? this.http?.url
    const signed = sign(this.ctx.identity, 'clearer-announcement', {
      clearer: this.peerId,
      seq: this.announceSeq,
      operators: [...this.served].sort(),
      ...(url !== undefined ? { url } : {}),
      issued: now,
      expires: now + Math.max(3 * this.config.announceMs, 60_000)
    })
    if (!signed.ok) throw new Error(`announcement: ${signed.error.message}`)
    this.directory.accept(signed.value, now)
    this.lastAnnounce = now
    await this.ctx.net.publish(DIRECTORY_TOPIC, encodeDocument(signed.value)).catch(() => 0)
  }

  // ---- quotes ----------------------------------------------------------------------------------

  /** Price and sign a quote from the tariffs in force now. */
  async quote (req: QuoteRequest): Promise<Result<{ doc: Quote, priced: PricedQuote }, { code: string, message: string }>> {
    const now = this.ctx.now()
    for (const e of req.ends) {
      if (!this.served.has(e.operator)) return { ok: false, error: { code: 'not-served', message: `this clearer does not clear for ${e.operator}` } }
    }
    const tariffs = new Map<string, { id: string, pricing: import('@splitedge/model').PricingTariff }>()
    for (const e of req.ends) {
      const t = await this.view.inForce(e.operator, now)
      if (t !== undefined) tariffs.set(e.operator, { id: t.id, pricing: t.pricing })
    }
    const priced = priceQuote(req, (op) => tariffs.get(op), this.config.margin)
    if (!priced.ok) return priced
    const p = priced.value
    const body: QuoteBody = {
      clearer: this.peerId,
      nonce: Buffer.from(this.random(16)).toString('hex'),
      ends: req.ends.map(e => ({ operator: e.operator, role: e.role })),
      class: req.class,
      volume: req.volume,
      apportion: req.apportion.kind === 'shares' ? { kind: 'shares', shares: req.apportion.shares } : { kind: req.apportion.kind },
      charges: p.charges,
      margin: p.margin,
      currency: p.currency,
      decimals: p.decimals,
      tariffs: p.tariffs,
      issued: now,
      expires: now + this.config.quoteTtlMs
    }
    const signed = sign(this.ctx.identity, 'quote', body)
    if (!signed.ok) return { ok: false, error: { code: 'invalid', message: signed.error.message } }
    await this.keepQuote(signed.value, p.total)
    this.ctx.metrics.accepted.inc({ kind: 'quote' })
    return { ok: true, value: { doc: signed.value, priced: p } }
  }

  /** Store an issued quote under the next number; past QUOTES_KEPT the oldest slot is reused. */
  private async keepQuote (doc: Quote, total: string): Promise<void> {
    const run = this.quoteLog.then(async () => {
      const seq = Number(await this.ctx.store.getMeta(QUOTE_COUNT) ?? 0) + 1
      const kept: IssuedQuote = { seq, id: docId(doc), total, body: doc.body }
      const w = await this.ctx.store.batch().putMeta(QUOTE_KEY(seq), kept as never).putMeta(QUOTE_COUNT, seq).write()
      if (!w.ok) throw new Error(`quote ${kept.id} not stored: ${w.results.join(',')}`)
    })
    this.quoteLog = run.catch(() => {})
    await run
  }

  /** Issued quotes, newest first: up to `limit` numbered below `before` (default: from the newest). */
  async quotes (limit: number, before?: number): Promise<{ items: IssuedQuote[], next?: number }> {
    const count = Number(await this.ctx.store.getMeta(QUOTE_COUNT) ?? 0)
    const oldest = Math.max(1, count - QUOTES_KEPT + 1)
    const items: IssuedQuote[] = []
    let seq = Math.min(count, (before ?? count + 1) - 1)
    for (; seq >= oldest && items.length < limit; seq--) {
      const q = await this.ctx.store.getMeta(QUOTE_KEY(seq)) as IssuedQuote | undefined
      if (q !== undefined && q.seq === seq) items.push(q)
    }
    return seq >= oldest ? { items, next: seq + 1 } : { items }
  }

  private async serveQuote (bytes: Uint8Array): Promise<Uint8Array> {
    let req: QuoteRequestFrame
    try { req = decodeFrame(QuoteRequestFrame, bytes) } catch (e) {
      return encodeFrame(QuoteResponseFrame, { k: 'refused', code: 'malformed', reason: (e as Error).message.slice(0, 500) })
    }
    const r = await this.quote(req)
    return r.ok
      ? encodeFrame(QuoteResponseFrame, { k: 'quote', doc: encodeDocument(r.value.doc) })
      : encodeFrame(QuoteResponseFrame, { k: 'refused', code: r.error.code, reason: r.error.message.slice(0, 500) })
  }

  // ---- clearing --------------------------------------------------------------------------------

  /** Run `fn` after every earlier clearing or settlement: check-then-write stays atomic. */
  private async serial<T> (fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn)
    this.queue = run.catch(() => {})
    return await run
  }

  /**
   * Clear a receipt: debit the remote operator (its share of the local charge plus our margin),
   * credit the local operator, in one durable batch keyed by the receipt id. A receipt presented
   * again, forged, or not covered by its evidence is refused with a reason.
   */
  async clear (claim: Claim): Promise<ClearOutcome> {
    return await this.serial(async () => {
      const out = await this.clearOnce(claim)
      if (!out.ok) {
        this.ctx.metrics.rejected.inc({ kind: 'receipt', reason: out.error.code })
        this.ctx.log.info({ reason: out.error.code }, `receipt refused: ${out.error.message}`)
      }
      return out
    })
  }

  private async clearOnce (claim: Claim): Promise<ClearOutcome> {
    const { ctx } = this
    const refuse = (code: ClaimRejection['code'], message: string): ClearOutcome => ({ ok: false, error: { code, message } })
    const sig = checkSignatures(claim)
    if (!sig.ok) return sig
    const rid = docId(claim.receipt)
    const held = await ctx.store.getMeta(RECEIPT_KEY(rid)) as ClearedRecord | undefined
    if (held !== undefined) return refuse('replayed', `receipt ${rid} was already cleared at ${held.time}`)
    const cid = claim.evidence.kind === 'consent' ? docId(claim.evidence.consent) : undefined
    const used = cid === undefined ? undefined : await ctx.store.getMeta(CONSENT_KEY(cid)) as { volume: string } | undefined
    const now = ctx.now()
    const t = await this.view.inForce(claim.receipt.body.operator, claim.receipt.body.interval.start)
    const verdict = assessClaim(claim, {
      serves: (op) => this.served.has(op),
      tariff: t === undefined ? undefined : { id: t.id, pricing: t.pricing },
      consentUsed: used === undefined ? ZERO : dec(used.volume),
      margin: this.config.margin,
      now,
      skewMs: this.config.clockSkewMs
    })
    if (!verdict.ok) return verdict
    const c = verdict.value
    // The remote end pays in the local operator's currency; we only clear within one currency.
    const remoteTariff = await this.view.latest(c.remote)
    if (remoteTariff !== undefined && remoteTariff.pricing.currency !== c.currency) {
      return refuse('currency-mismatch', `${c.remote} prices in ${remoteTariff.pricing.currency}, the receipt's charge is in ${c.currency}`)
    }
    const periodStart = now - (now % this.config.periodMs)
    const record: ClearedRecord = {
      ...c, time: now, periodStart,
      evidence: claim.evidence.kind,
      reason: claim.evidence.kind === 'dispute' ? claim.evidence.reason : null,
      receiptDoc: b64(encodeDocument(claim.receipt)),
      consentDoc: claim.evidence.kind === 'consent' ? b64(encodeDocument(claim.evidence.consent)) : null
    }
    const batch = ctx.store.batch()
      .post({ id: rid, debit: opAccount(c.remote), credit: opAccount(c.local), amount: toMinorUnits(c.charge, c.decimals), currency: c.currency, decimals: c.decimals, ref: `clear ${rid}`, time: now })
    const margin = toMinorUnits(c.margin, c.decimals)
    if (margin > 0n) batch.post({ id: `${rid}:margin`, debit: opAccount(c.remote), credit: 'margin', amount: margin, currency: c.currency, decimals: c.decimals, ref: `margin ${rid}`, time: now })
    batch.putMeta(RECEIPT_KEY(rid), record as never)
    if (cid !== undefined) batch.putMeta(CONSENT_KEY(cid), { volume: format(add(used === undefined ? ZERO : dec(used.volume), dec(c.volume))) })
    const w = await batch.write()
    if (!w.ok) return refuse('replayed', `ledger refused the postings: ${w.results.join(',')}`)
    ctx.metrics.accepted.inc({ kind: 'receipt' })
    ctx.log.info({ receipt: rid, local: this.nameOf(c.local), remote: this.nameOf(c.remote), charge: c.charge, margin: c.margin, currency: c.currency }, 'receipt cleared')
    return { ok: true, status: 'cleared', record }
  }

  async cleared (): Promise<ClearedRecord[]> {
    const out: ClearedRecord[] = []
    for (const e of await this.ctx.store.entries()) {
      if (!e.ref.startsWith('clear ')) continue
      const r = await this.ctx.store.getMeta(RECEIPT_KEY(e.id)) as ClearedRecord | undefined
      if (r !== undefined) out.push(r)
    }
    return out
  }

  // ---- batch settlement ------------------------------------------------------------------------

  /** The lines of `operator`'s statement for the period starting at `start`, from the ledger. */
  async linesFor (operator: string, start: number): Promise<{ lines: ClearingLine[], evidence: EvidenceItem[], records: ClearedRecord[] }> {
    const end = start + this.config.periodMs
    const lines: ClearingLine[] = []
    const evidence: EvidenceItem[] = []
    const records: ClearedRecord[] = []
    for (const e of await this.ctx.store.entries(opAccount(operator))) {
      if (!e.ref.startsWith('clear ') || e.time < start || e.time >= end) continue
      const r = await this.ctx.store.getMeta(RECEIPT_KEY(e.id)) as ClearedRecord | undefined
      if (r === undefined) throw new Error(`ledger entry ${e.id} has no clearing record`)
      const pays = r.remote === operator
      lines.push({ receipt: r.receipt, side: pays ? 'pays' : 'paid', class: r.class, volume: r.volume, charge: r.charge, margin: pays ? r.margin : '0', tariff: r.tariff })
      evidence.push({ receipt: unb64(r.receiptDoc), role: r.role, remote: r.remote, ...(r.consentDoc !== null ? { consent: unb64(r.consentDoc) } : {}) })
      records.push(r)
    }
    return { lines, evidence, records }
  }

  /** Build and sign (as the clearer) the statement for `operator` and the period at `start`. */
  async statementFor (operator: string, start: number): Promise<{ doc: ClearingStatement, evidence: EvidenceItem[] } | undefined> {
    const { lines, evidence, records } = await this.linesFor(operator, start)
    if (lines.length === 0) return undefined
    const first = records[0] as ClearedRecord
    let total: Dec = ZERO
    for (const l of lines) total = l.side === 'pays' ? add(total, add(dec(l.charge), dec(l.margin))) : sub(total, dec(l.charge))
    const body: ClearingStatementBody = {
      clearer: this.peerId,
      operator,
      period: { start, end: start + this.config.periodMs },
      currency: first.currency,
      decimals: first.decimals,
      lines,
      net: formatRounded(total, first.decimals)
    }
    const signed = sign(this.ctx.identity, 'clearing-statement', body)
    if (!signed.ok) throw new Error(`statement: ${signed.error.message}`)
    return { doc: signed.value, evidence }
  }

  /** Settle one period with one operator: offer our statement, store it co-signed, post the net. */
  async settle (operator: string, start: number): Promise<SettleResult> {
    return await this.serial(async () => await this.settleOnce(operator, start))
  }

  private async settleOnce (operator: string, start: number): Promise<SettleResult> {
    const { ctx } = this
    const border = borderOf(this.peerId, operator)
    if ((await ctx.store.getStatement(border, start)) !== undefined) return 'settled'
    if (start + this.config.periodMs + this.config.graceMs > ctx.now()) return 'open'
    const offer = await this.statementFor(operator, start)
    if (offer === undefined) return 'nothing'
    let answer: SettleAnswerFrame
    try {
      answer = decodeFrame(SettleAnswerFrame, await ctx.net.request(operator, CLEARING_PROTOCOLS.settle,
        encodeFrame(SettleOfferFrame, { statement: encodeDocument(offer.doc), evidence: offer.evidence }),
        { maxResponseBytes: MAX_CLEARING_FRAME_BYTES.settle, timeoutMs: 30_000 }))
    } catch (e) {
      ctx.log.debug({ operator: this.nameOf(operator), err: (e as Error).message }, 'clearing settlement failed; will retry')
      return 'error'
    }
    if (answer.k === 'refused') {
      ctx.metrics.disputes.inc({ kind: 'clearing' })
      ctx.log.warn({ operator: this.nameOf(operator), period: start, code: answer.code }, `clearing statement refused: ${answer.reason}`)
      return 'refused'
    }
    const d = decodeDocument(answer.doc, 'clearing-statement')
    if (!d.ok || docId(d.value) !== docId(offer.doc) || !verifyDocument(d.value).ok) {
      ctx.log.warn({ operator: this.nameOf(operator) }, 'co-signed clearing statement does not check')
      return 'error'
    }
    const full = d.value
    const id = docId(full)
    const amount = toMinorUnits(full.body.net.replace(/^-/, ''), full.body.decimals)
    const batch = ctx.store.batch().putStatement({ border, periodStart: start, id, bytes: encodeDocument(full) })
    if (amount > 0n) {
      const opPays = !full.body.net.startsWith('-')
      batch.post({
        id, debit: opPays ? 'bank' : opAccount(operator), credit: opPays ? opAccount(operator) : 'bank',
        amount, currency: full.body.currency, decimals: full.body.decimals, ref: `settle ${id}`, time: full.body.period.end
      })
    }
    const w = await batch.write()
    if (!w.ok) throw new Error(`clearing statement ${id} conflicts with the store: ${w.results.join(',')}`)
    ctx.metrics.statements.inc()
    ctx.log.info({ operator: this.nameOf(operator), period: full.body.period, net: full.body.net, currency: full.body.currency, id }, 'clearing period settled')
    return 'settled'
  }

  /** Settle every closed period that has cleared receipts and no statement yet. */
  async settleDue (): Promise<Array<{ operator: string, start: number, result: SettleResult }>> {
    const out: Array<{ operator: string, start: number, result: SettleResult }> = []
    const now = this.ctx.now()
    for (const op of this.served) {
      const starts = new Set<number>()
      for (const e of await this.ctx.store.entries(opAccount(op))) {
        if (e.ref.startsWith('clear ')) starts.add(e.time - (e.time % this.config.periodMs))
      }
      for (const start of [...starts].sort((a, b) => a - b)) {
        if (start + this.config.periodMs + this.config.graceMs > now) continue
        if ((await this.ctx.store.getStatement(borderOf(this.peerId, op), start)) !== undefined) continue
        const key = `${op}|${start}`
        if ((this.retryAfter.get(key) ?? 0) > now) continue
        const result = await this.settle(op, start)
        // A refusal needs a person (or new evidence); an unreachable operator, a short wait.
        if (result === 'refused' || result === 'error') this.retryAfter.set(key, now + (result === 'refused' ? 60_000 : 2_000))
        else this.retryAfter.delete(key)
        out.push({ operator: op, start, result })
      }
    }
    return out
  }

  /** Co-signed clearing statements we hold, decoded. */
  async statements (): Promise<Array<{ operator: string, id: string, doc: ClearingStatement, bytes: Uint8Array }>> {
    const out = []
    for (const s of await this.ctx.store.listStatements()) {
      if (!s.border.includes(this.peerId)) continue
      const d = decodeDocument(s.bytes, 'clearing-statement')
      if (!d.ok) continue
      out.push({ operator: d.value.body.operator, id: s.id, doc: d.value, bytes: s.bytes })
    }
    return out
  }

  /**
   * Evidence for a customer that a cleared receipt was settled with her local operator (paper
   * section 9.2): the clearing statement that operator co-signed, with the receipt's line.
   */
  async evidence (receiptId: string): Promise<Evidence> {
    const r = await this.ctx.store.getMeta(RECEIPT_KEY(receiptId)) as ClearedRecord | undefined
    if (r === undefined) return { status: 'unknown' }
    const s = await this.ctx.store.getStatement(borderOf(this.peerId, r.local), r.periodStart)
    if (s === undefined) return { status: 'cleared', record: r }
    const d = decodeDocument(s.bytes, 'clearing-statement')
    if (!d.ok) throw new Error(`stored statement ${s.id} does not decode`)
    const line = d.value.body.lines.find(l => l.receipt === receiptId && l.side === 'paid')
    if (line === undefined) return { status: 'cleared', record: r }
    return { status: 'settled', statement: d.value, bytes: s.bytes, line }
  }

  /**
   * The books' own audit: the ledger balances to zero, every statement's lines and net are what
   * the ledger holds for that operator and period, and every settled operator account is square.
   */
  async audit (): Promise<{ ok: boolean, problems: string[] }> {
    const problems = [...(await this.ctx.store.checkLedger()).problems]
    for (const b of await this.ctx.store.balances()) {
      if (b.account === 'bank' || b.account === 'margin' || b.account.startsWith('operator:')) continue
      problems.push(`unexpected account ${b.account}`)
    }
    for (const s of await this.statements()) {
      const { lines } = await this.linesFor(s.operator, s.doc.body.period.start)
      if (!equalBytes(encodeBody(lines), encodeBody(s.doc.body.lines))) problems.push(`statement ${s.id}: lines differ from the ledger`)
      let total = 0n
      for (const e of await this.ctx.store.entries(opAccount(s.operator))) {
        if (e.ref.startsWith('settle ') || e.time < s.doc.body.period.start || e.time >= s.doc.body.period.end) continue
        total += e.debit === opAccount(s.operator) ? e.amount : -e.amount
      }
      if (total !== toMinorUnits(s.doc.body.net.replace(/^-/, ''), s.doc.body.decimals) * (s.doc.body.net.startsWith('-') ? -1n : 1n)) {
        problems.push(`statement ${s.id}: net ${s.doc.body.net} but the ledger moved ${total} minor units`)
      }
    }
    return { ok: problems.length === 0, problems }
  }

  // ---- lifecycle -------------------------------------------------------------------------------

  async tick (): Promise<void> {
    if (this.ticking !== undefined) return await this.ticking
    this.ticking = (async () => {
      if (this.stopped) return
      try {
        if (this.ctx.now() - this.lastAnnounce >= this.config.announceMs) await this.announce()
        await this.settleDue()
      } catch (e) {
        this.ctx.log.warn({ err: (e as Error).message }, 'clearer tick failed; will retry')
      }
    })().finally(() => { this.ticking = undefined })
    return await this.ticking
  }

  async stop (): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    if (this.timer !== undefined) clearInterval(this.timer)
    await this.ticking?.catch(() => {})
    await this.queue.catch(() => {})
    await this.http?.close()
    await this.quoteLog.catch(() => {})
    await this.ctx.net.stop()
    if (this.ownsStore) await this.ctx.store.close()
    this.ctx.log.info('clearer stopped')
  }
}

/** A fresh in-memory store (tests, the demo). */
export async function memoryStore (): Promise<Store> {
  return await openStore({ db: new MemoryLevel<string, Uint8Array>({ valueEncoding: 'view' }) as never })
}

/** Decode a presented claim's documents (base64 or bytes) into a Claim, or say which is bad. */
export function claimFrom (input: { receipt: Uint8Array, role: 'sender' | 'receiver', remote: string, consent?: Uint8Array, dispute?: string }): Result<Claim, ClaimRejection> {
  const r = decodeDocument(input.receipt, 'receipt')
  if (!r.ok) return { ok: false, error: { code: 'forged-receipt', message: `receipt: ${r.error.message}` } }
  const receipt: Receipt = r.value
  if (input.consent !== undefined) {
    const c = decodeDocument(input.consent, 'consent')
    if (!c.ok) return { ok: false, error: { code: 'forged-consent', message: `consent: ${c.error.message}` } }
    const consent: Consent = c.value
    return { ok: true, value: { receipt, role: input.role, remote: input.remote, evidence: { kind: 'consent', consent } } }
  }
  return { ok: true, value: { receipt, role: input.role, remote: input.remote, evidence: { kind: 'dispute', reason: input.dispute ?? 'receiver disputes paying' } } }
}
