/**
 * What must hold whatever the faults, checked against every agent's store:
 * - durable: every acknowledged push is counted in its interval, in our own signed report (or in
 *   the counters while the interval is open), each exactly once;
 * - agreement: both sides of a border hold byte-identical statements, and none changes once held;
 * - conservation: every ledger balances, and each neighbour account holds exactly what the
 *   co-signed statements say, once;
 * - model: a statement names exactly the attestations held for its period, and its lines and net
 *   are what the model computes from those attestations and the tariffs in force;
 * - liveness: once faults stop, every due period is settled on both sides, or left open on both
 *   sides by a usage dispute a revision may still resolve;
 * - disputes: where the two sides' own reports are beyond tolerance, both record the dispute and
 *   nobody attests; within it, the attestation holds the lower figure of each line.
 */
import { borderOf, toMinorUnits, type Store } from '@splitedge/store'
import { decodeDocument } from '@splitedge/wire'
import { TariffView, assembleStatement, reconcile } from '@splitedge/agent'
import { computeStatement } from '@splitedge/model'
import type { Acked } from './traffic.js'
import { ackKey } from './traffic.js'
import { INTERVAL_MS, PERIOD_INTERVALS, type SimNode } from './nodes.js'

export type CheckerName = 'durable' | 'agreement' | 'conservation' | 'model' | 'liveness' | 'disputes' | 'hostile'
export interface Violation { checker: CheckerName, detail: string }

const PERIOD_MS = INTERVAL_MS * PERIOD_INTERVALS

/** Volumes per `node|peer|start|class|direction` that a node has counted for its own side. */
async function counted (node: SimNode, peer: SimNode, store: Store, start: number): Promise<Map<string, bigint>> {
  const me = node.identity.peerId
  const out = new Map<string, bigint>()
  const report = await store.getReport(borderOf(me, peer.identity.peerId), start, me)
  let lines: Array<{ class: string, from: string, volume: string }>
  if (report !== undefined) {
    const d = decodeDocument(report.bytes, 'usage-report')
    lines = d.ok ? d.value.body.lines : []
  } else {
    lines = Object.values((await store.getUsage(borderOf(me, peer.identity.peerId), start))?.lines ?? {})
  }
  for (const l of lines) out.set(ackKey(node.name, peer.name, start, l.class, l.from === me ? 'out' : 'in'), BigInt(l.volume))
  return out
}

export async function checkDurable (nodes: SimNode[], stores: Map<SimNode, Store>, acked: Acked): Promise<Violation[]> {
  const out: Violation[] = []
  for (const [key, sum] of acked.sums) {
    const [n, p, s, cls, dir] = key.split('|') as [string, string, string, string, string]
    const node = nodes.find(x => x.name === n) as SimNode
    const peer = nodes.find(x => x.name === p) as SimNode
    const store = stores.get(node) as Store
    const got = (await counted(node, peer, store, Number(s))).get(ackKey(n, p, Number(s), cls, dir)) ?? 0n
    if (got !== sum) out.push({ checker: 'durable', detail: `${n} counts ${got} ${cls} ${dir} with ${p} in interval ${s}, acknowledged ${sum}` })
  }
  return out
}

interface Held { bytes: string, net: string, border: [string, string], decimals: number, currency: string, attestations: string[], id: string }

async function statementsOf (store: Store, border: string): Promise<Map<number, Held>> {
  const out = new Map<number, Held>()
  for (const s of await store.listStatements(border)) {
    const d = decodeDocument(s.bytes, 'settlement-statement')
    if (!d.ok) continue
    const b = d.value.body
    out.set(s.periodStart, { bytes: Buffer.from(s.bytes).toString('hex'), net: b.net, border: [b.border[0], b.border[1]], decimals: b.decimals, currency: b.currency, attestations: [...b.attestations], id: s.id })
  }
  return out
}

/** Agreement and model, per border; `seen` remembers every statement ever held, to catch a change. */
export async function checkStatements (nodes: SimNode[], stores: Map<SimNode, Store>, edges: Array<[number, number]>, seen: Map<string, string>): Promise<Violation[]> {
  const out: Violation[] = []
  for (const [a, b] of edges) {
    const [x, y] = [nodes[a] as SimNode, nodes[b] as SimNode]
    const border = borderOf(x.identity.peerId, y.identity.peerId)
    const [sx, sy] = [await statementsOf(stores.get(x) as Store, border), await statementsOf(stores.get(y) as Store, border)]
    for (const [side, held] of [[x, sx], [y, sy]] as const) {
      for (const [start, h] of held) {
        const k = `${side.name}|${border}|${start}`
        const before = seen.get(k)
        if (before !== undefined && before !== h.bytes) out.push({ checker: 'agreement', detail: `${side.name}'s statement for ${x.name}-${y.name} period ${start} changed` })
        seen.set(k, h.bytes)
        const atts = (await (stores.get(side) as Store).listAttestations(border, start, start + PERIOD_MS)).map(r => r.id).sort()
        if (JSON.stringify([...h.attestations].sort()) !== JSON.stringify(atts)) out.push({ checker: 'model', detail: `${side.name}'s statement for ${x.name}-${y.name} period ${start} names ${h.attestations.length} attestations, ${atts.length} are held` })
      }
    }
    for (const [start, h] of sx) {
      const other = sy.get(start)
      if (other !== undefined && other.bytes !== h.bytes) out.push({ checker: 'agreement', detail: `${x.name}-${y.name} period ${start}: the two sides hold different statements` })
    }
  }
  return out
}

/** Each ledger balances, and each neighbour account is exactly the sum of its co-signed statements. */
export async function checkConservation (nodes: SimNode[], stores: Map<SimNode, Store>, edges: Array<[number, number]>): Promise<Violation[]> {
  const out: Violation[] = []
  for (const node of nodes) {
    const store = stores.get(node) as Store
    const check = await store.checkLedger()
    if (!check.ok) out.push({ checker: 'conservation', detail: `${node.name}'s ledger: ${check.problems.join('; ')}` })
    for (const [a, b] of edges) {
      if (a !== node.index && b !== node.index) continue
      const peer = nodes[a === node.index ? b : a] as SimNode
      const me = node.identity.peerId
      let expected = 0n
      for (const h of (await statementsOf(store, borderOf(me, peer.identity.peerId))).values()) {
        const owedByFirst = toMinorUnits(h.net, h.decimals)
        expected += h.border[0] === me ? -owedByFirst : owedByFirst
      }
      const held = (await store.balances(`neighbour:${peer.identity.peerId}`)).reduce((s, x) => s + x.net, 0n)
      if (held !== expected) out.push({ checker: 'conservation', detail: `${node.name}'s account with ${peer.name} holds ${held}, its statements say ${expected}` })
    }
  }
  return out
}

/** After the faults stop: every period that ended long enough ago is settled, or disputed, on both sides. */
export async function checkLiveness (nodes: SimNode[], stores: Map<SimNode, Store>, edges: Array<[number, number]>, due: { from: number, to: number }): Promise<Violation[]> {
  const out: Violation[] = []
  for (const [a, b] of edges) {
    const [x, y] = [nodes[a] as SimNode, nodes[b] as SimNode]
    const border = borderOf(x.identity.peerId, y.identity.peerId)
    const [sx, sy] = [await statementsOf(stores.get(x) as Store, border), await statementsOf(stores.get(y) as Store, border)]
    const disputed = async (n: SimNode, start: number): Promise<boolean> => (await (stores.get(n) as Store).listDisputes(border, 'open')).some(d => d.kind === 'usage' && Number(d.key) >= start && Number(d.key) < start + PERIOD_MS)
    for (let start = Math.ceil(due.from / PERIOD_MS) * PERIOD_MS; start + PERIOD_MS <= due.to; start += PERIOD_MS) {
      if (sx.has(start) && sy.has(start)) continue
      if (!sx.has(start) && !sy.has(start) && await disputed(x, start) && await disputed(y, start)) continue
      out.push({ checker: 'liveness', detail: `${x.name}-${y.name} period ${start} not settled on both sides (${sx.has(start) ? 'x' : '-'}${sy.has(start) ? 'y' : '-'})` })
    }
  }
  return out
}

type Lines = Array<{ class: string, from: string, to: string, volume: string }>

async function ownLines (store: Store, border: string, start: number, me: string): Promise<Lines | undefined> {
  const r = await store.getReport(border, start, me)
  if (r === undefined) return undefined
  const d = decodeDocument(r.bytes, 'usage-report')
  return d.ok ? d.value.body.lines : undefined
}

/** Both sides' own reports against what they attested or disputed, interval by interval. */
export async function checkDisputes (nodes: SimNode[], stores: Map<SimNode, Store>, edges: Array<[number, number]>, range: { from: number, to: number }, tolerance: string): Promise<Violation[]> {
  const out: Violation[] = []
  for (const [a, b] of edges) {
    const [x, y] = [nodes[a] as SimNode, nodes[b] as SimNode]
    const border = borderOf(x.identity.peerId, y.identity.peerId)
    const [sx, sy] = [stores.get(x) as Store, stores.get(y) as Store]
    for (let start = range.from; start < range.to; start += INTERVAL_MS) {
      const [lx, ly] = [await ownLines(sx, border, start, x.identity.peerId), await ownLines(sy, border, start, y.identity.peerId)]
      if (lx === undefined || ly === undefined) continue
      const r = reconcile({ lines: lx, metrics: [] }, { lines: ly, metrics: [] }, tolerance)
      const key = String(start).padStart(16, '0')
      const name = `${x.name}-${y.name} interval ${start}`
      if (!r.ok) {
        for (const [n, s] of [[x, sx], [y, sy]] as const) {
          if ((await s.getDispute('usage', border, key)) === undefined) out.push({ checker: 'disputes', detail: `${name}: reports beyond tolerance, but ${n.name} recorded no dispute` })
          if ((await s.getAttestation(border, start)) !== undefined) out.push({ checker: 'disputes', detail: `${name}: reports beyond tolerance, but ${n.name} holds an attestation` })
        }
        continue
      }
      const att = await sx.getAttestation(border, start)
      if (att === undefined) continue
      const d = decodeDocument(att.bytes, 'usage-attestation')
      const got = d.ok ? d.value.body.lines.map(l => `${l.class}|${l.from}|${l.to}|${l.volume}`).sort() : []
      const want = r.lines.filter(l => l.volume !== '0' || got.some(g => g.startsWith(`${l.class}|${l.from}|${l.to}|`))).map(l => `${l.class}|${l.from}|${l.to}|${l.volume}`).sort()
      if (JSON.stringify(got) !== JSON.stringify(want)) out.push({ checker: 'disputes', detail: `${name}: attested ${got.join(',')}, the lower figures are ${want.join(',')}` })
    }
  }
  return out
}

/** Every statement with attestations recomputed by the model from the attestations and tariffs its agent holds. */
export async function checkModel (nodes: SimNode[], stores: Map<SimNode, Store>, edges: Array<[number, number]>): Promise<Violation[]> {
  const out: Violation[] = []
  for (const [a, b] of edges) {
    const [x, y] = [nodes[a] as SimNode, nodes[b] as SimNode]
    const border = borderOf(x.identity.peerId, y.identity.peerId)
    const parties: [string, string] = x.identity.peerId < y.identity.peerId ? [x.identity.peerId, y.identity.peerId] : [y.identity.peerId, x.identity.peerId]
    const store = stores.get(x) as Store
    const view = new TariffView(store)
    for (const st of await store.listStatements(border)) {
      const d = decodeDocument(st.bytes, 'settlement-statement')
      if (!d.ok || d.value.body.attestations.length === 0) continue
      const body = d.value.body
      const atts = (await store.listAttestations(border, body.period.start, body.period.end)).flatMap(r => {
        const doc = decodeDocument(r.bytes, 'usage-attestation')
        return doc.ok ? [{ id: r.id, doc: doc.value }] : []
      })
      const model = computeStatement(await assembleStatement(parties, PERIOD_INTERVALS, atts, async (issuer, t) => await view.inForce(issuer, t)))
      const lines = (ls: ReadonlyArray<{ kind: string, class: string | null, from: string, to: string, volume: string, amount: string }>): string => JSON.stringify(ls.map(l => [l.kind, l.class, l.from, l.to, l.volume, l.amount]))
      if (model.net !== body.net || lines(model.lines) !== lines(body.lines)) out.push({ checker: 'model', detail: `${x.name}-${y.name} period ${body.period.start}: statement net ${body.net}, the model computes ${model.net}` })
    }
  }
  return out
}
