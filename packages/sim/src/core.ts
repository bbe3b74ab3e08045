/**
 * Baseline (a): a central core. Every agent sends its signed tariff and its signed usage report of
 * every border and interval to one hub; the hub verifies every signature, reconciles the two
 * reports of each border and interval with the agent's own rule, computes every border's
 * statement with the model, and answers each agent's settle request with its statements, signed.
 * Thin clients, but the same documents, the same rules, the same libp2p stack and transport.
 */
import { reconcile } from '@splitedge/agent'
import { net } from '@splitedge/node'
import { computeStatement, type StatementInput, type UsageLine } from '@splitedge/model'
import {
  decodeDocument, docId, encodeBody, generateIdentity, tariffToPricing, verifyDocument, verifyRaw,
  type Identity, type Tariff, type UsageReport
} from '@splitedge/wire'
import { adjacency } from './topology.js'
import {
  TOLERANCE, firstPeriodStart, heapNow, identities, inBatches, quietTraffic, startMeasure, until,
  type CycleOptions, type DesignResult, type PhaseResult
} from './cycle.js'
import { GossipMeter, figuresOf, sampleOf, type Sample } from './counters.js'
import { reportBytes, tariffBytes, SimError } from './documents.js'

export const CORE_PROTOCOL = '/splitedge-sim/core/1.0.0'
const KIND = { tariff: 1, report: 2, settle: 3 } as const
const OK = Uint8Array.of(0)
const REFUSED = Uint8Array.of(1)

/** The hub: everything it holds, and the work it did. */
export class Hub {
  readonly tariffs = new Map<string, { id: string, doc: Tariff }>()
  /** border key -> interval start -> reporter -> report */
  readonly reports = new Map<string, Map<number, Map<string, UsageReport>>>()
  readonly statements = new Map<string, Uint8Array>()
  storedKeys = 0
  storedBytes = 0
  signaturesVerified = 0

  constructor (private readonly identity: Identity, private readonly intervalMs: number, private readonly periodIntervals: number) {}

  serve (req: Uint8Array): Uint8Array {
    const kind = req[0]
    const body = req.subarray(1)
    if (kind === KIND.tariff) {
      const d = decodeDocument(body, 'tariff')
      if (!d.ok) return REFUSED
      this.signaturesVerified += d.value.sigs.length
      if (!verifyDocument(d.value).ok) return REFUSED
      this.tariffs.set(d.value.body.issuer, { id: docId(d.value), doc: d.value })
      this.keep(body.length)
      return OK
    }
    if (kind === KIND.report) {
      const d = decodeDocument(body, 'usage-report')
      if (!d.ok) return REFUSED
      this.signaturesVerified += d.value.sigs.length
      if (!verifyDocument(d.value).ok || !d.value.body.border.includes(d.value.body.reporter)) return REFUSED
      const b = d.value.body
      const byStart = this.reports.get(b.border.join('|')) ?? new Map<number, Map<string, UsageReport>>()
      this.reports.set(b.border.join('|'), byStart)
      const byReporter = byStart.get(b.interval.start) ?? new Map<string, UsageReport>()
      byStart.set(b.interval.start, byReporter)
      byReporter.set(b.reporter, d.value)
      this.keep(body.length)
      return OK
    }
    if (kind === KIND.settle) {
      const text = new TextDecoder().decode(body)
      const [who, start] = [text.slice(0, text.indexOf(' ')), Number(text.slice(text.indexOf(' ') + 1))]
      const parts: Uint8Array[] = []
      for (const key of this.reports.keys()) {
        const [a, b] = key.split('|') as [string, string]
        if (a !== who && b !== who) continue
        parts.push(this.statement(a, b, start))
      }
      return this.signed(parts)
    }
    return REFUSED
  }

  private keep (bytes: number): void { this.storedKeys++; this.storedBytes += bytes }

  /** The border's statement for the period at `start`, computed once. */
  private statement (a: string, b: string, start: number): Uint8Array {
    const key = `${a}|${b}|${start}`
    const held = this.statements.get(key)
    if (held !== undefined) return held
    const ta = this.tariffs.get(a)
    const tb = this.tariffs.get(b)
    const byStart = this.reports.get(`${a}|${b}`)
    const usage: UsageLine[] = []
    const reportIds: string[] = []
    for (let s = start; s < start + this.intervalMs * this.periodIntervals; s += this.intervalMs) {
      const pair = byStart?.get(s)
      const ra = pair?.get(a)
      const rb = pair?.get(b)
      if (ra === undefined || rb === undefined) continue
      const fig = (x: UsageReport): Parameters<typeof reconcile>[0] => ({ lines: x.body.lines.map(l => ({ class: l.class, from: l.from, to: l.to, volume: l.volume })), metrics: [] })
      const r = reconcile(fig(ra), fig(rb), TOLERANCE)
      if (!r.ok) continue
      reportIds.push(docId(ra), docId(rb))
      for (const l of r.lines) usage.push({ class: l.class, from: l.from, to: l.to, volume: l.volume })
    }
    if (ta === undefined || tb === undefined) throw new SimError('protocol', `hub lacks a tariff of ${ta === undefined ? a : b}`)
    const input: StatementInput = {
      parties: [a, b],
      segments: [{ tariffs: { [a]: { ref: ta.id, pricing: tariffToPricing(ta.doc) }, [b]: { ref: tb.id, pricing: tariffToPricing(tb.doc) } }, usage }],
      measured: {},
      periodFees: reportIds.length === 2 * this.periodIntervals
    }
    const st = computeStatement(input)
    const bytes = encodeBody({
      border: [a, b], period: { start, end: start + this.intervalMs * this.periodIntervals }, currency: st.currency, decimals: st.decimals,
      attestations: reportIds, lines: st.lines, net: st.net
    })
    this.statements.set(key, bytes)
    this.keep(bytes.length)
    return bytes
  }

  /** Statements, each length-prefixed, then the hub's signature over all of them. */
  private signed (parts: Uint8Array[]): Uint8Array {
    const len = parts.reduce((s, p) => s + 4 + p.length, 0)
    const out = new Uint8Array(len + 64)
    const view = new DataView(out.buffer)
    let at = 0
    for (const p of parts) { view.setUint32(at, p.length); out.set(p, at + 4); at += 4 + p.length }
    out.set(this.identity.sign(out.subarray(0, len)), len)
    return out
  }
}

/** Split a settle answer; undefined when the hub's signature does not verify. */
export function openStatements (hub: string, res: Uint8Array): Uint8Array[] | undefined {
  if (res.length < 64) return undefined
  const len = res.length - 64
  if (!verifyRaw(hub, res.subarray(0, len), res.subarray(len))) return undefined
  const view = new DataView(res.buffer, res.byteOffset, res.byteLength)
  const out: Uint8Array[] = []
  for (let at = 0; at < len;) { const n = view.getUint32(at); out.push(res.subarray(at + 4, at + 4 + n)); at += 4 + n }
  return out
}

interface Client { node: net.NetNode, identity: Identity }

export async function runCore (opts: CycleOptions): Promise<DesignResult> {
  const { graph, intervalMs: I, periodIntervals: K, runId } = opts
  const batch = opts.batch ?? 64
  const T0 = firstPeriodStart(I * K)
  const heap0 = heapNow()
  const meter = new GossipMeter()
  const hubId = await generateIdentity()
  const hubNode = await net.createNode({
    privateKey: hubId.privateKey, listen: [`/memory/${runId}-core-hub`], transport: 'memory',
    limits: { maxConnections: 2 * graph.n + 64, maxIncomingPendingConnections: 1024, inboundConnectionThreshold: 1_000_000 }
  })
  meter.attach(hubNode)
  const hub = new Hub(hubId, I, K)
  const clients: Client[] = []
  const phases: PhaseResult[] = []
  try {
    await net.handle(hubNode, CORE_PROTOCOL, (req) => hub.serve(req), { maxRequestBytes: 1 << 20, allow: () => true, timeoutMs: 60_000, maxInboundStreams: 64 })
    const hubAddr = hubNode.getMultiaddrs()[0]
    if (hubAddr === undefined) throw new SimError('protocol', 'hub has no address')
    const t0 = Date.now()
    await inBatches(await identities(graph.n), batch, async (identity, i) => {
      const node = await net.createNode({ privateKey: identity.privateKey, listen: [], transport: 'memory' })
      meter.attach(node)
      clients[i] = { node, identity }
      await node.dial(hubAddr)
    })
    phases.push({ name: 'start', ok: true, ms: Date.now() - t0, missing: 0 })
    const nodes = [hubNode, ...clients.map(c => c.node)]
    phases.push(await quietTraffic(nodes, meter, opts.phaseTimeoutMs))

    const measure = startMeasure(() => nodes.map(n => sampleOf(n, meter)), heap0)
    const talk = new HubTalk(hubId.peerId)
    phases.push(...await sendDocuments(talk, clients, adjacency(graph), T0, opts))
    const settle = await collectStatements(talk, clients, T0, opts.phaseTimeoutMs)
    phases.push(settle.phase)
    const incomplete = 2 * graph.edges.length - settle.got
    const { samples: [hubSample, ...samples], process, cycleMs } = measure()
    if (hubSample === undefined) throw new SimError('protocol', 'no sample of the hub')
    // Signatures checked outside verifyDocument: each client checks the hub's signature once.
    process.signaturesVerified += clients.length
    hubSample.storedKeys = hub.storedKeys
    hubSample.storedBytes = hub.storedBytes
    const hubFigures = { ...figuresOf(hubSample), signaturesVerified: hub.signaturesVerified }
    if (settle.badSig > 0) phases.push({ name: 'hub-signature', ok: false, ms: 0, missing: settle.badSig })
    return { design: 'core', n: graph.n, edges: graph.edges.length, agents: samples.map(figuresOf), samples, hub: hubFigures, process, phases, incomplete, cycleMs }
  } finally {
    await inBatches(clients.filter(c => c !== undefined), batch, async c => { await c.node.stop() })
    await hubNode.stop()
  }
}

/** A client's requests to the hub, and how many of them the hub refused or that failed, over the whole cycle. */
class HubTalk {
  refused = 0
  failed = 0
  constructor (readonly hub: string) {}

  async send (node: net.NetNode, kind: number, body: Uint8Array): Promise<Uint8Array> {
    const req = new Uint8Array(body.length + 1)
    req[0] = kind
    req.set(body, 1)
    return await net.request(node, this.hub, CORE_PROTOCOL, req, { maxResponseBytes: 1 << 22, timeoutMs: 60_000 })
  }

  /** Send, counting a refusal or a failure instead of throwing. */
  async sendOk (node: net.NetNode, kind: number, body: Uint8Array): Promise<void> {
    try {
      if ((await this.send(node, kind, body))[0] !== 0) this.refused++
    } catch { this.failed++ }
  }

  /** A phase that took `since`..now; what is missing is every refusal and failure so far. */
  phase (name: string, since: number): PhaseResult {
    const missing = this.refused + this.failed
    return { name, ok: missing === 0, ms: Date.now() - since, missing }
  }
}

/** Every client's tariff, then each interval's usage report of each of its borders. */
async function sendDocuments (talk: HubTalk, clients: Client[], adj: number[][], T0: number, opts: CycleOptions): Promise<PhaseResult[]> {
  const c0 = Date.now()
  await Promise.all(clients.map(async (c, i) => { await talk.sendOk(c.node, KIND.tariff, tariffBytes(c.identity, i, T0 - 1)) }))
  const phases = [talk.phase('tariffs', c0)]
  for (let k = 0; k < opts.periodIntervals; k++) {
    const t = Date.now()
    await Promise.all(clients.map(async (c, i) => {
      for (const j of adj[i] ?? []) await talk.sendOk(c.node, KIND.report, reportBytes(c.identity, (clients[j] as Client).identity.peerId, T0 + k * opts.intervalMs, opts.intervalMs, opts.usageSeed))
    }))
    phases.push(talk.phase(`report ${k}`, t))
  }
  return phases
}

/** Each client asks once for its statements of the period and checks the hub's signature on them. */
async function collectStatements (talk: HubTalk, clients: Client[], T0: number, timeoutMs: number): Promise<{ phase: PhaseResult, got: number, badSig: number }> {
  let got = 0
  let badSig = 0
  const phase = await until('settle', timeoutMs, async () => {
    await Promise.all(clients.map(async c => {
      try {
        const sts = openStatements(talk.hub, await talk.send(c.node, KIND.settle, new TextEncoder().encode(`${c.identity.peerId} ${T0}`)))
        if (sts === undefined) badSig++
        else got += sts.length
      } catch { talk.failed++ }
    }))
    return 0
  })
  return { phase, got, badSig }
}
