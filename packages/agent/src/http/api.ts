/**
 * The agent's HTTP API: read-only JSON views for operators and tests, `/health`, Prometheus
 * `/metrics`, counter pushes on `POST /v1/usage`, and, for loopback callers only, the operator's
 * writes: `POST /v1/tariff` (`splitedge tariff publish`), `POST /v1/disputes/revise` (`splitedge
 * disputes revise`) and `POST /v1/usage/discard` (`splitedge usage discard`). Bodies are
 * size-limited, must be JSON, and are checked before anything else reads them; errors are JSON
 * with a code and a message that names the field (http/errors.ts maps codes to statuses).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AgentSurface as Agent } from './surface.js'
import { UsageError } from '../usage/push.js'
import type { ReviseInput } from '../border/revise.js'
import { HttpError, answerFor } from './errors.js'
import { listenHttp, sendJson, type HttpApi } from '@splitedge/node'
import { listQuery, nextPageHeaders, readBody, readJson } from '@splitedge/node'
import { Views, type Paged } from './views.js'
import { authorize, loadToken, isLoopback, type Gate, type TokenSettings } from '@splitedge/node'
import { assertDescribed, check, checkQuery, openApi, specTable, type RouteSpec } from '@splitedge/node'
import { AGENT_ROUTES, DiscardSchema, ReviseSchema, UsageItemSchema } from './schemas.js'
import { DASHBOARD_ROUTES, DashboardViews } from './dashboard-views.js'
import { servePage, serveAsset, uiRoutes } from '@splitedge/node'
import { statementsCsv } from './csv.js'

export { HttpError } from './errors.js'
export { Views } from './views.js'

export type { HttpApi } from '@splitedge/node'

export { isLoopback } from '@splitedge/node'

/** Operator actions that change what the agent signs are taken from this host only: 403 otherwise. */
export function requireLoopback (remoteAddress: string | undefined, what: string): void {
  if (!isLoopback(remoteAddress)) throw new HttpError('forbidden', `${what} is only accepted from loopback`)
}

/** Every route the agent serves, described: the server refuses to start with one missing. */
export const agentRouteSpecs = (name: string): RouteSpec[] => [...AGENT_ROUTES, ...DASHBOARD_ROUTES, ...uiRoutes(`splitedge agent ${name}`)]

export async function startHttpApi (agent: Agent, opts: { host: string, port: number } & TokenSettings): Promise<HttpApi> {
  const specs = agentRouteSpecs(agent.ctx.config.name)
  const views = new Views(agent)
  const table = routes(agent, views, specs)
  const described = specTable(specs)
  assertDescribed(Object.keys(table), described)
  const gate: Gate = { token: await loadToken(opts), refused: agent.ctx.metrics.unauthorized }
  const server = createServer((req, res) => {
    void route(table, described, gate, req, res).catch((err: unknown) => {
      const a = answerFor(err)
      if (req.method === 'POST' && new URL(req.url ?? '/', 'http://agent').pathname === '/v1/usage') agent.ctx.metrics.usagePushes.inc({ result: a?.body.code ?? 'internal' })
      if (a !== undefined) return sendJson(res, a.status, a.body)
      agent.ctx.log.error({ err: (err as Error).message, url: req.url }, 'http handler failed')
      sendJson(res, 500, { error: 'internal error', code: 'internal' })
    })
  })
  return await listenHttp(server, opts)
}


type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void>

function routes (agent: Agent, views: Views, specs: RouteSpec[]): Record<string, Handler> {
  const dash = new DashboardViews(agent, views)
  const doc = openApi({ title: `splitedge agent ${agent.ctx.config.name}`, version: '1', description: 'The agent\'s HTTP API. Errors are `{ error, code, field? }`; docs/usage.md lists the codes.' }, specs)
  const list = (view: (q: ReturnType<typeof listQuery>) => Promise<Paged<unknown>>): Handler => async (_req, res, url) => {
    const page = await view(listQuery(url.searchParams))
    sendJson(res, 200, page.items, nextPageHeaders(url, page.next))
  }
  return {
    'GET /health': async (_req, res) => { sendJson(res, 200, health(agent)) },
    'GET /metrics': async (_req, res) => {
      res.writeHead(200, { 'content-type': agent.ctx.metrics.registry.contentType })
      res.end(await agent.ctx.metrics.registry.metrics())
    },
    'GET /v1/neighbours': async (_req, res) => { sendJson(res, 200, await views.neighbours()) },
    'GET /v1/tariffs': list(async q => await views.tariffs(q)),
    'GET /v1/attestations': list(async q => await views.attestations(q)),
    'GET /v1/disputes': list(async q => await views.disputes(q)),
    'GET /v1/statements': list(async q => await views.statements(q)),
    'GET /v1/brokerage': list(async q => await views.brokerage(q)),
    'GET /v1/ledger': async (_req, res, url) => {
      const l = await views.ledger(listQuery(url.searchParams))
      sendJson(res, 200, l, nextPageHeaders(url, l.next))
    },
    'GET /': async (_req, res) => { await servePage(res, 'agent', `splitedge · ${agent.ctx.config.name}`) },
    'GET /ui/{file}': async (_req, res, url) => { await serveAsset(res, url.pathname) },
    'GET /openapi.json': async (_req, res) => { sendJson(res, 200, doc) },
    'GET /v1/overview': async (_req, res) => { sendJson(res, 200, await dash.overview()) },
    'GET /v1/intervals': async (_req, res, url) => {
      const q = url.searchParams
      sendJson(res, 200, await dash.intervals(q.get('neighbour') ?? '', Number(q.get('from')), Number(q.get('to'))))
    },
    'GET /v1/reports': async (_req, res, url) => {
      sendJson(res, 200, await dash.reports(url.searchParams.get('neighbour') ?? '', intervalParam(agent, url.searchParams.get('interval'), 'interval')))
    },
    'GET /v1/statements.csv': async (_req, res, url) => {
      const { after: _a, ...q } = listQuery(url.searchParams)
      await statementsCsv(views, agent.peerId, q, res)
    },
    'GET /v1/export/statements.ndjson': async (_req, res, url) => { await exportStatements(views, res, url) },
    'GET /v1/counters': async (_req, res) => { sendJson(res, 200, agent.counters()) },
    'GET /v1/usage': async (_req, res, url) => { sendJson(res, 200, await usageView(agent, url.searchParams)) },
    'POST /v1/usage': async (req, res) => {
      const key = req.headers['idempotency-key']
      const body = await readJson(req)
      ;(Array.isArray(body) ? body : [body]).forEach((item, i) => { checkUsageItem(item, i) })
      const r = await agent.usage.intake(body, typeof key === 'string' ? { key } : {})
      agent.ctx.metrics.usagePushes.inc({ result: r.replayed ? 'replayed' : 'accepted' })
      sendJson(res, 200, r.answer, r.replayed ? { 'idempotent-replayed': 'true' } : {})
    },
    'POST /v1/usage/discard': async (req, res) => {
      sendJson(res, 200, await discard(agent, await readJson(req)))
    },
    'POST /v1/tariff': async (req, res) => {
      sendJson(res, 200, await publishTariff(agent, await readBody(req)))
    },
    'POST /v1/disputes/revise': async (req, res) => {
      sendJson(res, 200, await revise(agent, await readJson(req)))
    }
  }
}

/** The route's key: `/ui/<file>` share one route. */
const keyOf = (method: string, pathname: string): string => `${method === 'HEAD' ? 'GET' : method} ${pathname.startsWith('/ui/') ? '/ui/{file}' : pathname}`

/** Find the handler, let the caller through or not (auth.ts), check the query, then handle. */
export async function route (table: Record<string, Handler>, specs: Map<string, RouteSpec>, gate: Gate, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://agent')
  const method = req.method ?? 'GET'
  const key = keyOf(method, url.pathname)
  const handler = table[key]
  const spec = specs.get(key)
  if (handler !== undefined && spec !== undefined) {
    authorize(gate, spec, req)
    checkQuery(spec, url.searchParams)
    return await handler(req, res, url)
  }
  if (Object.keys(table).some(k => k.endsWith(` ${key.slice(key.indexOf(' ') + 1)}`))) throw new HttpError('method-not-allowed', `${method} is not allowed on ${url.pathname}`)
  throw new HttpError('not-found', `no route ${method} ${url.pathname}`)
}

/** Liveness plus what an operator must act on: clocks beyond the allowance. */
function health (agent: Agent): unknown {
  const clock = agent.clock.problems()
  return {
    ok: clock.length === 0,
    status: clock.length === 0 ? 'ok' : 'degraded',
    name: agent.ctx.config.name,
    peerId: agent.peerId,
    neighboursConnected: agent.connected().length,
    neighbours: agent.ctx.neighbours.size,
    problems: clock.map(c => ({ kind: 'clock-skew', ...c, message: `clock of ${c.neighbour} differs from ours by ${c.offsetMs} ms (allowance ${c.allowanceMs} ms): intervals will not attest` }))
  }
}

/** `GET /v1/usage?neighbour=N[&interval=START]`: one interval's counters now (default: the current interval). */
async function usageView (agent: Agent, q: URLSearchParams): Promise<unknown> {
  const peer = agent.usage.resolvePeer(q.get('neighbour') ?? '', 'neighbour')
  const { intervalMs } = agent.ctx.config
  const start = q.get('interval') === null ? Math.floor(agent.ctx.now() / intervalMs) * intervalMs : intervalParam(agent, q.get('interval'), 'interval')
  const mine = await agent.view.inForce(agent.peerId, start) ?? await agent.view.latest(agent.peerId)
  return {
    neighbour: agent.border.nameOf(peer),
    source: agent.ctx.config.usage.source,
    unit: mine?.pricing.unit ?? null,
    intervalLengthMs: intervalMs,
    ...await agent.usage.current(peer, start)
  }
}

function intervalParam (agent: Agent, v: unknown, field: string): number {
  const { intervalMs } = agent.ctx.config
  if (typeof v !== 'number' && (typeof v !== 'string' || !/^[0-9]{1,16}$/.test(v))) throw new UsageError('invalid', field, `must be an interval start (a multiple of ${intervalMs} ms)`)
  const n = Number(v)
  if (!Number.isSafeInteger(n) || n % intervalMs !== 0) throw new UsageError('invalid', field, `must be an interval start (a multiple of ${intervalMs} ms)`)
  return n
}

/** `POST /v1/usage/discard` body: { neighbour, intervalStart, classes? }. */
async function discard (agent: Agent, body: unknown): Promise<unknown> {
  check(DiscardSchema, body)
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new UsageError('invalid', '(body)', 'must be an object { neighbour, intervalStart, classes? }')
  const b = body as { neighbour?: unknown, intervalStart?: unknown, classes?: unknown }
  const peer = agent.usage.resolvePeer(typeof b.neighbour === 'string' ? b.neighbour : '', 'neighbour')
  const start = intervalParam(agent, b.intervalStart, 'intervalStart')
  if (b.classes !== undefined && (!Array.isArray(b.classes) || !b.classes.every(c => typeof c === 'string'))) throw new UsageError('invalid', 'classes', 'must be a list of class ids')
  return { neighbour: agent.border.nameOf(peer), intervalStart: start, ...await agent.border.discard(peer, start, b.classes as string[] | undefined) }
}

/** `POST /v1/disputes/revise` body: { neighbour, intervalStart, accept: true } or { neighbour, intervalStart, lines }. */
async function revise (agent: Agent, body: unknown): Promise<unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new HttpError('invalid', 'body must be an object { neighbour, intervalStart, accept | lines }')
  const b = body as { neighbour?: unknown, intervalStart?: unknown, accept?: unknown, lines?: unknown }
  if ((b.accept !== undefined) === (b.lines !== undefined)) throw new UsageError('invalid', 'accept', 'give either accept: true (adopt the neighbour\'s figures) or lines (corrected figures), not both')
  // The branch of the schema the body chose, so a refusal names the field rather than "union".
  check(ReviseSchema.anyOf[b.accept !== undefined ? 0 : 1] as RouteSpec['response'], body)
  if (typeof b.neighbour !== 'string') throw new UsageError('invalid', 'neighbour', 'must be a neighbour\'s name or PeerId')
  const peer = agent.usage.resolvePeer(b.neighbour, 'neighbour')
  const start = intervalParam(agent, b.intervalStart, 'intervalStart')
  if ((b.accept !== undefined) === (b.lines !== undefined)) throw new UsageError('invalid', 'accept', 'give either accept: true (adopt the neighbour\'s figures) or lines (corrected figures), not both')
  let input: ReviseInput
  if (b.accept !== undefined) {
    if (b.accept !== true) throw new UsageError('invalid', 'accept', 'must be true')
    input = { accept: true }
  } else {
    input = { lines: agent.usage.corrected(peer, b.lines, 'lines').lines }
  }
  const out = await agent.border.revise(peer, start, input)
  if (!out.ok) throw new HttpError(out.code, out.message)
  return { neighbour: agent.border.nameOf(peer), intervalStart: start, report: out.report, revision: out.revision, lines: out.lines, metrics: out.metrics }
}

/** One pushed item against its schema; the intake then checks what needs the clock and the store. */
function checkUsageItem (item: unknown, i: number): void {
  try { check(UsageItemSchema, item, `[${i}]`) } catch (err) {
    const e = err as HttpError
    throw new UsageError('invalid', e.field ?? `[${i}]`, e.message.slice((e.field ?? '').length + 2))
  }
}

/** The tariff YAML in the body, published through the same loader as the config's tariff file. */
async function publishTariff (agent: Agent, text: string): Promise<unknown> {
  return await agent.publishTariffFile({ text, name: 'tariff (request body)' })
}

/** Every statement in the range as NDJSON, one page at a time, so the export never sits in memory whole. */
async function exportStatements (views: Views, res: ServerResponse, url: URL): Promise<void> {
  let q = { ...listQuery(url.searchParams), limit: 200 }
  delete q.after
  let page = await views.statements(q)
  res.writeHead(200, { 'content-type': 'application/x-ndjson' })
  for (;;) {
    for (const s of page.items) if (!res.write(JSON.stringify(s) + '\n')) await new Promise(resolve => res.once('drain', resolve))
    if (page.next === undefined) break
    q = { ...q, after: page.next }
    page = await views.statements(q)
  }
  res.end()
}
