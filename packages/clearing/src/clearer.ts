/**
 * The clearing intermediary (paper sections 4, 7, 9; README.md): a libp2p node that follows the
 * tariffs of the edge operators it serves (@splitedge/node's tariff book, as an agent does),
 * announces itself on the directory topic, prices end-to-end quotes, clears receipts into its own
 * double-entry ledger exactly once, and settles each period with each operator by a co-signed
 * clearing statement that also serves customers as evidence of settlement.
 *
 * `Clearer.start` is the composition root: it opens the store and the node, takes the system clock
 * and scheduler unless given others, and wires the services, each given only the parts it uses:
 * the tariff book, the announcer (announce.ts), the quote desk (quotes.ts), receipt clearing
 * (receipts.ts), the books (books.ts), and batch settlement (batch.ts, settlement.ts).
 *
 * Ledger accounts: `operator:<PeerId>` (debit: the operator owes the clearer; credit: the clearer
 * owes it), `margin` (the clearer's revenue), `bank` (money that moved at settlement).
 */
import { randomBytes } from 'node:crypto'
import type { Logger } from 'pino'
import { loadKeyFile, type ClearingLine, type ClearingStatement, type Identity } from '@splitedge/wire'
import { clearingRecords, openStore, type ClearedRecord, type IssuedQuote, type Store } from '@splitedge/store'
import { createNodeMetrics, libp2pNet, nodeLogger, net, systemClock, systemScheduler, tariffBook, TariffView, type Clock, type Scheduler, type TariffBook } from '@splitedge/node'
import type { ClearerApi } from './api.js'
import { Announcer } from './announce.js'
import type { SettleResult } from './batch.js'
import { ClearingBooks, type Evidence, type HeldStatement } from './books.js'
import type { Claim } from './claims.js'
import type { ClearerContext, ClearerParts } from './components.js'
import type { ClearerConfig } from './config.js'
import { ClearerDirectory } from './directory.js'
import { CLEARING_PROTOCOLS, MAX_CLEARING_FRAME_BYTES, type EvidenceItem } from './frames.js'
import { startClearerHttp, type ClearerHttp } from './http.js'
import type { QuoteRequest } from './pricing.js'
import { QuoteDesk, type QuoteOutcome } from './quotes.js'
import { ReceiptClearing, type ClearOutcome } from './receipts.js'
import { Serial } from './serial.js'
import { BatchSettlement, type SettleAttempt } from './settlement.js'

export interface ClearerOptions {
  config: ClearerConfig
  /** Default: loaded from `config.keyPath`. */
  identity?: Identity
  /** Default: LevelDB in `config.dataDir` (`memory: true` in the config of tests: pass a store). */
  store?: Store
  /** Default: the system clock (or `now`, when given). */
  clock?: Clock
  /** The time as a function; `clock` is preferred. */
  now?: () => number
  /** When periodic work runs. Default: timers. */
  scheduler?: Scheduler
  /** Default: node:crypto randomBytes (quote nonces). */
  random?: (n: number) => Uint8Array
  logger?: Logger
  /** Start the HTTP API when the config has one (default true). */
  http?: boolean
  /** How often the clearer announces and settles due periods (default 1000 ms). */
  tickMs?: number
}

export class Clearer implements ClearerApi {
  readonly ctx: ClearerContext
  readonly config: ClearerConfig
  /** The tariff book of the operators served. */
  readonly tariffs: TariffBook
  readonly view: TariffView
  readonly directory = new ClearerDirectory()
  private readonly names: Map<string, string>
  private readonly announcer: Announcer
  private readonly desk: QuoteDesk
  private readonly receipts: ReceiptClearing
  private readonly books: ClearingBooks
  private readonly settlement: BatchSettlement
  private readonly serial = new Serial()
  private cancelTick: (() => void) | undefined
  private ticking: Promise<void> | undefined
  private http: ClearerHttp | undefined
  private stopped = false

  private constructor (ctx: ClearerContext, config: ClearerConfig, random: (n: number) => Uint8Array, private readonly ownsStore: boolean, private readonly scheduler: Scheduler) {
    this.ctx = ctx
    this.config = config
    this.names = new Map(config.operators.map(o => [o.peerId, o.name]))
    const operators = config.operators.map(o => o.peerId)
    this.view = new TariffView(ctx.store)
    this.tariffs = tariffBook({ follows: operators, maySync: () => false, clockSkewMs: config.clockSkewMs })({
      identity: ctx.identity, store: ctx.store, net: ctx.net, clock: ctx.clock, log: ctx.log, counters: ctx.metrics
    })
    const parts: ClearerParts = {
      ...ctx,
      records: clearingRecords(ctx.store),
      view: this.view,
      serial: this.serial,
      nameOf: (peer) => this.nameOf(peer),
      serves: (op) => this.names.has(op)
    }
    const { periodMs, graceMs } = config
    this.announcer = new Announcer({ operators: [...operators].sort(), announceMs: config.announceMs, url: () => config.http?.publicUrl ?? this.http?.url }, { ...parts, directory: this.directory })
    this.desk = new QuoteDesk({ margin: config.margin, quoteTtlMs: config.quoteTtlMs, random }, parts)
    this.receipts = new ReceiptClearing({ margin: config.margin, periodMs, graceMs, clockSkewMs: config.clockSkewMs }, parts)
    this.books = new ClearingBooks({ periodMs }, parts)
    this.settlement = new BatchSettlement({ periodMs, graceMs, operators }, { ...parts, books: this.books })
  }

  /** The composition root: the store, the node, the system clock and scheduler unless given, the services. */
  static async start (opts: ClearerOptions): Promise<Clearer> {
    const { config } = opts
    const log = opts.logger ?? nodeLogger('clearer', config.name, config.logLevel)
    const identity = opts.identity ?? await loadKeyFile(config.keyPath)
    const store = opts.store ?? await openStore({ path: config.dataDir })
    let node: net.NetNode
    try {
      node = await net.createNode({ privateKey: identity.privateKey, listen: config.listen, transport: config.transport })
    } catch (e) {
      if (opts.store === undefined) await store.close()
      throw e
    }
    const metrics = createNodeMetrics({ defaultMetrics: opts.store === undefined })
    // Rejected streams (refused, oversize, malformed, stalled) are counted and logged, as on an agent.
    net.countRejections(node, metrics.rejected, log)
    const clock = opts.clock ?? (opts.now !== undefined ? { now: opts.now } : systemClock)
    const ctx: ClearerContext = { identity, store, node, net: libp2pNet(node, config.operators), clock, log, metrics }
    const c = new Clearer(ctx, config, opts.random ?? ((n) => randomBytes(n)), opts.store === undefined, opts.scheduler ?? systemScheduler)
    try {
      await c.boot(opts.http ?? true, opts.tickMs ?? 1000)
    } catch (e) {
      await c.stop().catch(() => {})
      throw e
    }
    return c
  }

  private async boot (http: boolean, tickMs: number): Promise<void> {
    const { ctx } = this
    await this.tariffs.start()
    this.announcer.listen()
    await ctx.net.handle(CLEARING_PROTOCOLS.quote, async (bytes) => await this.desk.serve(bytes), {
      maxRequestBytes: MAX_CLEARING_FRAME_BYTES.quote, allow: () => true, timeoutMs: 10_000
    })
    ctx.net.onConnection('connect', (peerId) => {
      ctx.log.info({ operator: this.nameOf(peerId) }, 'operator connected')
      void this.tariffs.sync(peerId).catch(() => {})
      void this.announcer.announce().catch(() => {})
    })
    await ctx.net.start()
    const adopted = await this.settlement.adopt()
    if (adopted > 0) ctx.log.info({ batches: adopted }, 'periods cleared before batches were stored now have one')
    if (http && this.config.http !== undefined) this.http = await startClearerHttp(this, this.config.http)
    await this.announcer.announce()
    this.cancelTick = this.scheduler.every(tickMs, () => { void this.tick() })
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
  serves (operator: string): boolean { return this.names.has(operator) }
  nameOf (peer: string): string { return this.names.get(peer) ?? peer }
  connected (): string[] { return this.ctx.net.connected() }

  /** Sign and publish which operators we clear for; our own directory takes it too. */
  async announce (): Promise<void> { await this.announcer.announce() }

  /** Price and sign a quote from the tariffs in force now. */
  async quote (req: QuoteRequest): Promise<QuoteOutcome> { return await this.desk.quote(req) }
  /** Issued quotes, newest first: up to `limit` numbered below `before` (default: from the newest). */
  async quotes (limit: number, before?: number): Promise<{ items: IssuedQuote[], next?: number }> { return await this.desk.quotes(limit, before) }

  /**
   * Clear a receipt: debit the remote operator (its share of the local charge plus our margin),
   * credit the local operator, in one durable batch keyed by the receipt id. A receipt presented
   * again, forged, or not covered by its evidence is refused with a reason.
   */
  async clear (claim: Claim): Promise<ClearOutcome> { return await this.receipts.clear(claim) }
  async cleared (): Promise<ClearedRecord[]> { return await this.receipts.cleared() }

  /** The lines of `operator`'s statement for the period starting at `start`, from the ledger. */
  async linesFor (operator: string, start: number): Promise<{ lines: ClearingLine[], evidence: EvidenceItem[], records: ClearedRecord[] }> { return await this.books.linesFor(operator, start) }
  /** Build and sign (as the clearer) the statement for `operator` and the period at `start`. */
  async statementFor (operator: string, start: number): Promise<{ doc: ClearingStatement, evidence: EvidenceItem[] } | undefined> { return await this.books.statementFor(operator, start) }
  /** Co-signed clearing statements we hold, decoded. */
  async statements (): Promise<HeldStatement[]> { return await this.books.statements() }
  /** Evidence for a customer that a cleared receipt was settled with her local operator. */
  async evidence (receiptId: string): Promise<Evidence> { return await this.books.evidence(receiptId) }
  /** The ledger balances, and every statement matches it. */
  async audit (): Promise<{ ok: boolean, problems: string[] }> { return await this.books.audit() }

  /** Move one period's batch settlement with `operator` on now. */
  async settle (operator: string, start: number): Promise<SettleResult> { return await this.settlement.settle(operator, start) }
  /** Move every batch settlement on as far as it goes now: closed periods are offered, refused ones retried when due. */
  async settleDue (): Promise<SettleAttempt[]> { return await this.settlement.settleDue() }

  /** The periodic work: re-announce when due, move batch settlements on. */
  async tick (): Promise<void> {
    if (this.ticking !== undefined) return await this.ticking
    this.ticking = (async () => {
      if (this.stopped) return
      try {
        await this.announcer.tick()
        await this.settlement.settleDue()
      } catch (e) {
        this.ctx.log.warn({ err: (e as Error).message }, 'clearer tick failed; will retry')
      }
    })().finally(() => { this.ticking = undefined })
    return await this.ticking
  }

  async stop (): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    this.cancelTick?.()
    await this.ticking?.catch(() => {})
    await this.serial.idle()
    await this.http?.close()
    await this.desk.idle()
    await this.ctx.net.stop()
    if (this.ownsStore) await this.ctx.store.close()
    this.ctx.log.info('clearer stopped')
  }
}
