/**
 * The agent's HTTP API: read-only JSON views for operators and tests, `/health`, Prometheus
 * `/metrics`, counter pushes on `POST /v1/usage`, and, for loopback callers only, `POST /v1/tariff`
 * (`splitedge tariff publish`) and `POST /v1/disputes/revise` (`splitedge disputes revise`: resolve
 * a usage dispute by revising our figures, see border/service.ts `revise`). Bodies are size-limited and parsed strictly; errors are JSON with a
 * message that names the field.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { writeFile, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
import { decodeDocument } from '@splitedge/wire'
import { fromMinorUnits, peersOf } from '@splitedge/store'
import { brokerageView, isModelError, type Statement } from '@splitedge/model'
import type { Agent } from '../agent.js'
import { UsageError } from '../usage/source.js'
import { ConfigError } from '../config/load.js'
import type { ReviseInput, ReviseRefusal } from '../border/revise.js'

export interface HttpApi { url: string, close: () => Promise<void> }

const MAX_BODY = 4 * 1024 * 1024

/** An HTTP answer other than 200, with the message the JSON error carries. */
export class HttpError extends Error {
  constructor (readonly status: number, message: string) { super(message) }
}

async function readBody (req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const c of req) {
    size += (c as Buffer).length
    if (size > MAX_BODY) throw new HttpError(413, `body over ${MAX_BODY} bytes`)
    chunks.push(c as Buffer)
  }
  return Buffer.concat(chunks).toString('utf8')
}

const json = (res: ServerResponse, status: number, body: unknown): void => {
  const text = JSON.stringify(body, (_k, v) => typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v, 2)
  res.writeHead(status, { 'content-type': 'application/json' })
  res.end(text + '\n')
}

export const isLoopback = (addr: string | undefined): boolean => addr === '127.0.0.1' || addr === '::1' || addr === '::ffff:127.0.0.1'

/** Operator actions that change what the agent signs are taken from this host only: 403 otherwise. */
export function requireLoopback (remoteAddress: string | undefined, what: string): void {
  if (!isLoopback(remoteAddress)) throw new HttpError(403, `${what} is only accepted from loopback`)
}

/** HTTP status of each refusal of a revision. */
const REVISE_STATUS: Record<ReviseRefusal, number> = {
  'unknown-neighbour': 400, 'bad-figures': 400, 'not-disputed': 409, settled: 409, 'no-reports': 409, conflict: 409
}

/** `POST /v1/disputes/revise` body: { neighbour, intervalStart, accept: true } or { neighbour, intervalStart, lines }. */
async function revise (agent: Agent, text: string): Promise<unknown> {
  let body: unknown
  try { body = JSON.parse(text) } catch { throw new HttpError(400, 'body is not JSON') }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new HttpError(400, 'body must be an object { neighbour, intervalStart, accept | lines }')
  const b = body as { neighbour?: unknown, intervalStart?: unknown, accept?: unknown, lines?: unknown }
  if (typeof b.neighbour !== 'string') throw new UsageError('neighbour', 'must be a neighbour\'s name or PeerId')
  const peer = agent.usage.resolvePeer(b.neighbour, 'neighbour')
  const { intervalMs } = agent.ctx.config
  if (typeof b.intervalStart !== 'number' || !Number.isSafeInteger(b.intervalStart) || b.intervalStart < 0 || b.intervalStart % intervalMs !== 0) {
    throw new UsageError('intervalStart', `must be an interval start (a multiple of ${intervalMs} ms)`)
  }
  if ((b.accept !== undefined) === (b.lines !== undefined)) throw new UsageError('accept', 'give either accept: true (adopt the neighbour\'s figures) or lines (corrected figures), not both')
  let input: ReviseInput
  if (b.accept !== undefined) {
    if (b.accept !== true) throw new UsageError('accept', 'must be true')
    input = { accept: true }
  } else {
    input = { lines: agent.usage.corrected(peer, b.lines, 'lines').lines }
  }
  const out = await agent.border.revise(peer, b.intervalStart, input)
  if (!out.ok) throw new HttpError(REVISE_STATUS[out.code], out.message)
  return { neighbour: agent.border.nameOf(peer), intervalStart: b.intervalStart, report: out.report, revision: out.revision, lines: out.lines, metrics: out.metrics }
}

export async function startHttpApi (agent: Agent, opts: { host: string, port: number }): Promise<HttpApi> {
  const views = new Views(agent)
  const server = createServer((req, res) => {
    void route(agent, views, req, res).catch((err: unknown) => {
      if (err instanceof HttpError) return json(res, err.status, { error: err.message })
      if (err instanceof UsageError) return json(res, err.status, { error: err.message, field: err.field })
      if (err instanceof ConfigError) return json(res, 400, { error: err.message, field: err.field })
      agent.ctx.log.error({ err: (err as Error).message, url: req.url }, 'http handler failed')
      json(res, 500, { error: 'internal error' })
    })
  })
  return await listenHttp(server, opts)
}

/**
 * Listen on `opts` (port 0 picks a free one) and answer the URL to reach the server on, a
 * wildcard address given as 127.0.0.1. Shared by the agent's and the clearer's APIs.
 */
export async function listenHttp (server: Server, opts: { host: string, port: number }): Promise<HttpApi> {
  server.requestTimeout = 30_000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port, opts.host, () => { server.off('error', reject); resolve() })
  })
  const a = server.address() as AddressInfo
  const host = a.family === 'IPv6' ? `[${a.address}]` : a.address
  return {
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${a.port}`,
    close: async () => { server.closeAllConnections(); await new Promise<void>(resolve => server.close(() => resolve())) }
  }
}

async function route (agent: Agent, views: Views, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://agent')
  const q = url.searchParams
  const method = req.method ?? 'GET'
  const get = method === 'GET' || method === 'HEAD'
  switch (`${get ? 'GET' : method} ${url.pathname}`) {
    case 'GET /health':
      return json(res, 200, { ok: true, name: agent.ctx.config.name, peerId: agent.peerId, neighboursConnected: agent.connected().length, neighbours: agent.ctx.neighbours.size })
    case 'GET /metrics': {
      res.writeHead(200, { 'content-type': agent.ctx.metrics.registry.contentType })
      res.end(await agent.ctx.metrics.registry.metrics())
      return
    }
    case 'GET /v1/neighbours': return json(res, 200, await views.neighbours())
    case 'GET /v1/tariffs': return json(res, 200, await views.tariffs())
    case 'GET /v1/attestations': return json(res, 200, await views.attestations(q.get('neighbour') ?? undefined))
    case 'GET /v1/disputes': return json(res, 200, await views.disputes())
    case 'GET /v1/statements': return json(res, 200, await views.statements(q.get('neighbour') ?? undefined))
    case 'GET /v1/ledger': return json(res, 200, await views.ledger())
    case 'GET /v1/brokerage': return json(res, 200, await views.brokerage())
    case 'GET /v1/counters': return json(res, 200, agent.counters())
    case 'POST /v1/usage': {
      let body: unknown
      try { body = JSON.parse(await readBody(req)) } catch (err) { if (err instanceof HttpError) throw err; throw new HttpError(400, 'body is not JSON') }
      const items = Array.isArray(body) ? body : [body]
      return json(res, 200, await agent.usage.push(items as never))
    }
    case 'POST /v1/tariff': {
      requireLoopback(req.socket.remoteAddress, 'tariff publishing')
      const text = await readBody(req)
      const dir = await mkdtemp(join(tmpdir(), 'splitedge-tariff-'))
      try {
        const file = join(dir, 'tariff.yaml')
        await writeFile(file, text)
        return json(res, 200, await agent.publishTariffFile(file))
      } finally {
        await rm(dir, { recursive: true, force: true })
      }
    }
    case 'POST /v1/disputes/revise': {
      requireLoopback(req.socket.remoteAddress, 'revising usage')
      return json(res, 200, await revise(agent, await readBody(req)))
    }
    default:
      throw new HttpError(404, `no route ${method} ${url.pathname}`)
  }
}

/** JSON views of the agent's state, named by neighbour where possible. */
export class Views {
  constructor (private readonly agent: Agent) {}
  private get ctx () { return this.agent.ctx }
  private name (peer: string): string { return peer === this.ctx.identity.peerId ? this.ctx.config.name : this.ctx.neighbours.get(peer)?.name ?? peer }
  private other (border: string): string { const [a, b] = peersOf(border); return a === this.ctx.identity.peerId ? b : a }

  async neighbours (): Promise<unknown[]> {
    const connected = new Set(this.agent.connected())
    return await Promise.all([...this.ctx.neighbours.values()].map(async n => {
      const t = await this.agent.view.latest(n.peerId)
      return {
        name: n.name, peerId: n.peerId, status: n.status, connected: connected.has(n.peerId),
        since: await this.agent.border.since(n.peerId),
        pendingIntervals: (await this.agent.border.pending(n.peerId)).length,
        tariff: t === undefined ? null : { seq: t.seq, id: t.id, effective: t.body.effective }
      }
    }))
  }

  async tariffs (): Promise<unknown[]> {
    const out = []
    for (const issuer of [this.ctx.identity.peerId, ...this.ctx.neighbours.keys()]) {
      for (const rec of await this.ctx.store.tariffsOf(issuer)) {
        const t = await this.agent.view.byId(rec.id)
        if (t !== undefined) out.push({ issuer: this.name(issuer), peerId: issuer, seq: t.seq, id: t.id, published: t.body.published, effective: t.body.effective, pricing: t.pricing })
      }
    }
    return out
  }

  async attestations (neighbour?: string): Promise<unknown[]> {
    const out = []
    for (const n of this.ctx.neighbours.values()) {
      if (neighbour !== undefined && neighbour !== n.name && neighbour !== n.peerId) continue
      const border = [this.ctx.identity.peerId, n.peerId].sort().join('|')
      for (const a of await this.ctx.store.listAttestations(border, 0, Number.MAX_SAFE_INTEGER)) {
        const d = decodeDocument(a.bytes, 'usage-attestation')
        if (!d.ok) continue
        out.push({ neighbour: n.name, intervalStart: a.intervalStart, id: a.id, lines: d.value.body.lines, metrics: d.value.body.metrics, signers: d.value.sigs.map(s => s.signer) })
      }
    }
    return out
  }

  async disputes (): Promise<unknown[]> {
    return (await this.ctx.store.listDisputes()).map(d => ({ ...d, neighbour: this.name(this.other(d.border)) }))
  }

  /** Co-signed statements, decoded, with who pays whom. */
  async statementDocs (neighbour?: string): Promise<Array<{ neighbour: string, peerId: string, id: string, body: import('@splitedge/wire').SettlementStatementBody }>> {
    const out = []
    for (const s of await this.ctx.store.listStatements()) {
      const peer = this.other(s.border)
      const n = this.ctx.neighbours.get(peer)
      if (neighbour !== undefined && neighbour !== n?.name && neighbour !== peer) continue
      const d = decodeDocument(s.bytes, 'settlement-statement')
      if (!d.ok) continue
      out.push({ neighbour: n?.name ?? peer, peerId: peer, id: s.id, body: d.value.body })
    }
    return out
  }

  async statements (neighbour?: string): Promise<unknown[]> {
    return (await this.statementDocs(neighbour)).map(s => {
      const [a, b] = s.body.border
      const net = s.body.net
      const payer = net.startsWith('-') ? b : a
      const payee = payer === a ? b : a
      return {
        neighbour: s.neighbour, id: s.id, period: s.body.period, currency: s.body.currency,
        net: s.body.net, payer: this.name(payer), payee: this.name(payee), amount: net.replace(/^-/, ''),
        lines: s.body.lines.map(l => ({ ...l, from: this.name(l.from), to: this.name(l.to) })),
        attestations: s.body.attestations.length
      }
    })
  }

  async ledger (): Promise<unknown> {
    const balances = (await this.ctx.store.balances()).map(b => ({
      account: b.account, currency: b.currency, debits: fromMinorUnits(b.debits, b.decimals), credits: fromMinorUnits(b.credits, b.decimals), net: fromMinorUnits(b.net, b.decimals)
    }))
    const entries = (await this.ctx.store.entries()).map(e => ({ ...e, amount: fromMinorUnits(e.amount, e.decimals) }))
    return { balances, entries, check: await this.ctx.store.checkLedger() }
  }

  /** The brokerage view per period: what originators were charged, terminators paid, and retained. */
  async brokerage (): Promise<unknown[]> {
    const byPeriod = new Map<number, Statement[]>()
    for (const s of await this.statementDocs()) {
      const list = byPeriod.get(s.body.period.start) ?? []
      list.push({ currency: s.body.currency, decimals: s.body.decimals, lines: s.body.lines.map(l => ({ ...l, kind: l.kind as Statement['lines'][number]['kind'] })), net: s.body.net })
      byPeriod.set(s.body.period.start, list)
    }
    const out = []
    for (const [start, sts] of [...byPeriod].sort((x, y) => x[0] - y[0])) {
      try {
        const v = brokerageView(this.ctx.identity.peerId, sts)
        out.push({ periodStart: start, ...v, self: this.ctx.config.name, classes: v.classes.map(c => ({ ...c, factors: Object.fromEntries(Object.entries(c.factors).map(([k, f]) => [this.name(k), f])) })) })
      } catch (err) {
        if (!isModelError(err)) throw err
        out.push({ periodStart: start, error: (err as Error).message })
      }
    }
    return out
  }
}
