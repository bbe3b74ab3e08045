/**
 * The flow collector: the agent's `ipfix` usage source. It listens on one UDP socket for IPFIX and
 * NetFlow v9, decodes each packet (decode.ts), attributes each flow record to a neighbour, a
 * direction and a class (attribute.ts), and adds it to in-memory counters (aggregate.ts).
 *
 * Durability: the counters are written to the store every `syncMs`, and always before the agent
 * signs its report for an interval (`seal` then `sync`, from UsageSource.measure), in one batch with
 * every exporter's last sequence number. A crash therefore loses at most the records received since
 * the last sync; when an exporter sends again after a restart, the gap between its sequence number
 * and the one stored says how many were lost (received and not synced, or sent while the agent was
 * down), and the agent logs it and counts it in `splitedge_ipfix_lost_at_restart_total`.
 *
 * Late records: a record part for an interval whose report is signed (or being signed) never
 * changes it; it is counted in `splitedge_ipfix_late_total` and dropped.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram'
import { borderOf, type UsageCounters } from '@splitedge/store'
import type { AgentContext } from '../context.js'
import type { UsageFeed } from '../usage/source.js'
import { addLine } from '../usage/counters.js'
import { Attributor, exporterKey } from './attribute.js'
import { FlowAggregator, type Pending } from './aggregate.js'
import { FlowDecoder, type FlowRecord } from './decode.js'
import type { FlowSettings } from './config.js'
import { FlowState, type FlowCounters } from './state.js'

export { FLOW_COUNTERS, FLOW_SEQUENCES, type FlowCounters } from './state.js'

interface Stats {
  packets: number, bytes: number, records: number, templates: number, malformed: number, late: number
  lostRecords: number, lostPackets: number, restartRecords: number, restartPackets: number
  noBorder: number, noClass: number, noTemplate: number, future: number, notAllowed: number
}

const newStats = (): Stats => ({
  packets: 0, bytes: 0, records: 0, templates: 0, malformed: 0, late: 0, lostRecords: 0, lostPackets: 0,
  restartRecords: 0, restartPackets: 0, noBorder: 0, noClass: 0, noTemplate: 0, future: 0, notAllowed: 0
})

/** Records timed further than this in the future are dropped (an exporter's clock gone wrong). */
const MAX_FUTURE_MS = 86_400_000

export class FlowCollector implements UsageFeed {
  private socket: Socket | undefined
  private decoder: FlowDecoder
  readonly aggregator: FlowAggregator
  private readonly stats = new Map<string, Stats>()
  private readonly sealed = new Set<string>()
  private timer: NodeJS.Timeout | undefined
  private chain: Promise<void> = Promise.resolve()
  private sequencesDirty = false
  private stopped = false
  private boundPort = 0
  private current: Stats = newStats()
  private limit = 0
  private readonly state: FlowState
  /** Each decoded record, counted into the exporter's tallies and the aggregator. */
  private readonly sink = (rec: FlowRecord): void => {
    const st = this.current
    st.records++
    if (rec.endMs > this.limit) { st.future++; return }
    const out = this.aggregator.add(rec)
    if (out === 'no-border') st.noBorder++
    else if (out === 'no-class') st.noClass++
  }

  constructor (
    private readonly ctx: AgentContext,
    readonly settings: FlowSettings,
    private readonly exclusive: <T>(fn: () => Promise<T>) => Promise<T>,
    private readonly unitFor: (start: number) => Promise<string>
  ) {
    this.decoder = new FlowDecoder(settings)
    this.state = new FlowState(ctx.store)
    this.aggregator = new FlowAggregator(new Attributor(settings.rules, settings.classes), { intervalMs: ctx.config.intervalMs, time: settings.time, sampling: settings.sampling })
  }

  /** The UDP port the collector listens on (useful with port 0). */
  get port (): number { return this.boundPort }

  async start (): Promise<void> {
    await this.state.migrate()
    const restored = await this.state.sequences()
    this.decoder = new FlowDecoder(this.settings, restored)
    const s = this.settings
    const socket = createSocket({ type: s.family, recvBufferSize: 8 * 1024 * 1024 })
    socket.on('message', (msg, rinfo) => { this.receive(msg, rinfo) })
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject)
      socket.bind(s.port, s.host, () => { socket.off('error', reject); resolve() })
    })
    socket.on('error', (err) => { this.ctx.log.error({ err: err.message }, 'flow collector socket error') })
    this.socket = socket
    this.boundPort = socket.address().port
    this.timer = setInterval(() => { void this.tick() }, s.syncMs)
    this.ctx.log.info({ listen: `${s.host}:${this.boundPort}`, exporters: s.exporters === undefined ? 'any' : [...s.exporters], borders: s.rules.length, restoredScopes: restored.size }, 'flow collector listening (IPFIX and NetFlow v9)')
  }

  private statsOf (exporter: string): Stats {
    let st = this.stats.get(exporter)
    if (st === undefined) { st = newStats(); this.stats.set(exporter, st) }
    return st
  }

  /** Handle one datagram. Never throws. */
  receive (msg: Uint8Array, rinfo: Pick<RemoteInfo, 'address' | 'port'>): void {
    const exporter = exporterKey(rinfo.address)
    if (this.settings.exporters !== undefined && !this.settings.exporters.has(exporter)) {
      this.statsOf('(not allowed)').notAllowed++
      return
    }
    const st = this.statsOf(exporter)
    st.packets++
    st.bytes += msg.length
    const now = this.ctx.now()
    let r
    this.current = st
    this.limit = now + MAX_FUTURE_MS
    try {
      r = this.decoder.decode(msg, exporter, now, String(rinfo.port), this.sink)
    } catch (err) {
      // The decoder does not throw on input; should it ever, the packet is counted as malformed.
      st.malformed++
      this.ctx.log.error({ exporter, err: (err as Error).message }, 'flow decoder failed on a packet')
      return
    }
    this.sequencesDirty = true
    st.templates += r.templates
    st.noTemplate += r.dropped
    if (r.malformed !== undefined) {
      st.malformed++
      this.ctx.log.debug({ exporter, problem: r.malformed }, 'malformed export packet')
    }
    if (r.lost > 0) {
      if (r.restored) {
        if (r.lostUnit === 'records') st.restartRecords += r.lost
        else st.restartPackets += r.lost
        this.ctx.log.warn({ exporter, domain: r.domain, lost: r.lost, unit: r.lostUnit }, `flow export lost across the agent's restart: ${r.lost} ${r.lostUnit} received after the last sync or sent while the agent was down`)
      } else if (r.lostUnit === 'records') {
        st.lostRecords += r.lost
      } else {
        st.lostPackets += r.lost
      }
    }

  }

  /**
   * UsageFeed: write every record received so far; given an interval, also close it (our report
   * for it is being signed from these counters): records for it that arrive later are late.
   */
  async flush (peer?: string, start?: number): Promise<void> {
    await this.sync(peer !== undefined && start !== undefined ? `${peer}|${start}` : undefined)
  }

  /** UsageFeed: octets, packets and record parts per class and direction, for the usage view. */
  async detail (peer: string, start: number): Promise<Record<string, { octets: number, packets: number, records: number }>> {
    const flows = await this.state.counters(peer, start)
    return Object.fromEntries(Object.entries(flows.lines).map(([k, l]) => [k, { octets: l.octets, packets: l.packets, records: l.records }]))
  }

  private async tick (): Promise<void> {
    for (const [exporter, n] of this.decoder.expire(this.ctx.now())) this.statsOf(exporter).noTemplate += n
    await this.sync().catch((err: Error) => { this.ctx.log.warn({ err: err.message }, 'flow counters sync failed; will retry') })
    this.flushStats()
  }

  /** Write the pending counters to the store (one at a time; a call waits for its own write). */
  async sync (seal?: string): Promise<void> {
    const run = async (): Promise<void> => { await this.exclusive(async () => { await this.write(seal) }) }
    this.chain = this.chain.then(run, run)
    return await this.chain
  }

  /**
   * One write of everything pending; then `seal` (an interval key) takes no more records. Each
   * interval's volumes go through the intake's store plan (usage/counters.ts limits, added inside
   * the store's serialised commit), so an interval already sealed into our report refuses them:
   * they are late, never lost silently and never double-counted.
   */
  private async write (seal?: string): Promise<void> {
    const taken = this.aggregator.take()
    if (taken.size === 0 && !this.sequencesDirty) {
      if (seal !== undefined) this.sealed.add(seal)
      return
    }
    this.sequencesDirty = false
    const left = new Map(taken)
    try {
      const batch = this.ctx.store.batch()
      for (const [key, p] of taken) {
        const flows = await this.addInterval(p)
        left.delete(key)
        if (flows !== undefined) this.state.putCounters(batch, p.peer, p.start, flows)
      }
      this.state.putSequences(batch, this.decoder.sequences())
      const r = await batch.write()
      if (!r.ok) throw new Error(`store refused the write: ${r.results.join(',')}`)
    } catch (err) {
      // Only what was not committed goes back: an interval already added must not count twice.
      let records = 0
      for (const p of left.values()) for (const l of p.lines.values()) records += l.records
      this.aggregator.restore(left, records)
      this.sequencesDirty = true
      throw err
    }
    if (seal !== undefined) this.sealed.add(seal)
    this.pruneSealed()
  }

  /** Add one interval's pending volumes; the flow detail to store with it, or undefined when late or refused. */
  private async addInterval (p: Pending): Promise<FlowCounters | undefined> {
    const me = this.ctx.identity.peerId
    if (this.sealed.has(`${p.peer}|${p.start}`)) { this.late(p); return undefined }
    const unit = await this.unitFor(p.start)
    const border = borderOf(me, p.peer)
    const items = [...p.lines.values()].map(l => {
      const [from, to] = l.dir === 'out' ? [me, p.peer] : [p.peer, me]
      const volume = String(unit === 'packet' ? l.packets : l.octets)
      return { border, start: p.start, apply: (c: UsageCounters) => addLine(c, { class: l.class, from, to, volume }, true) }
    })
    const r = await this.ctx.store.addUsage({ reporter: me, items, answer: (accepted) => ({ accepted }) })
    if (r.status === 'sealed') { this.late(p); return undefined }
    if (r.status === 'refused') {
      this.ctx.log.error({ peer: p.peer, start: p.start, reason: r.reason }, 'flow counters refused by the intake: not counted')
      return undefined
    }
    const flows = await this.state.counters(p.peer, p.start)
    for (const l of p.lines.values()) {
      const fl = flows.lines[`${l.class}|${l.dir}`] ?? { class: l.class, direction: l.dir, octets: 0, packets: 0, records: 0 }
      flows.lines[`${l.class}|${l.dir}`] = { ...fl, octets: fl.octets + l.octets, packets: fl.packets + l.packets, records: fl.records + l.records }
    }
    return flows
  }

  private late (p: Pending): void {
    for (const [exporter, n] of p.byExporter) this.statsOf(exporter).late += n
    this.ctx.log.debug({ peer: p.peer, start: p.start }, 'late flow records for an interval already reported: not counted')
  }

  private pruneSealed (): void {
    const horizon = this.ctx.now() - 2 * this.ctx.config.intervalMs * this.ctx.config.periodIntervals
    for (const k of this.sealed) if (Number(k.slice(k.lastIndexOf('|') + 1)) < horizon) this.sealed.delete(k)
  }

  /** Move the per-exporter tallies into the Prometheus counters. */
  flushStats (): void {
    const m = this.ctx.metrics.flow
    for (const [exporter, st] of this.stats) {
      const e = { exporter }
      if (st.packets > 0) m.packets.inc(e, st.packets)
      if (st.bytes > 0) m.bytes.inc(e, st.bytes)
      if (st.records > 0) m.records.inc(e, st.records)
      if (st.templates > 0) m.templates.inc(e, st.templates)
      if (st.malformed > 0) m.malformed.inc(e, st.malformed)
      if (st.late > 0) m.late.inc(e, st.late)
      if (st.lostRecords > 0) m.lost.inc({ exporter, unit: 'records' }, st.lostRecords)
      if (st.lostPackets > 0) m.lost.inc({ exporter, unit: 'packets' }, st.lostPackets)
      if (st.restartRecords > 0) m.lostAtRestart.inc({ exporter, unit: 'records' }, st.restartRecords)
      if (st.restartPackets > 0) m.lostAtRestart.inc({ exporter, unit: 'packets' }, st.restartPackets)
      if (st.noBorder > 0) m.unattributed.inc({ exporter, reason: 'no-border' }, st.noBorder)
      if (st.noClass > 0) m.unattributed.inc({ exporter, reason: 'no-class' }, st.noClass)
      if (st.noTemplate > 0) m.dropped.inc({ exporter, reason: 'no-template' }, st.noTemplate)
      if (st.future > 0) m.dropped.inc({ exporter, reason: 'future' }, st.future)
      if (st.notAllowed > 0) m.dropped.inc({ exporter, reason: 'exporter-not-allowed' }, st.notAllowed)
      this.stats.set(exporter, newStats())
    }
    m.unsynced.set(this.aggregator.unsynced)
  }

  async stop (): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    if (this.timer !== undefined) clearInterval(this.timer)
    const socket = this.socket
    this.socket = undefined
    if (socket !== undefined) await new Promise<void>(resolve => socket.close(() => resolve()))
    try {
      await this.sync()
    } catch (err) {
      this.ctx.log.error({ err: (err as Error).message, records: this.aggregator.unsynced }, 'flow counters could not be synced at stop: these records are lost')
    }
    this.flushStats()
  }
}
