/**
 * The clearer's HTTP API (JSON): quotes, receipts, evidence, statements, ledger and directory
 * views. Signed documents travel as base64 of their canonical encoding; every refusal is JSON with
 * a `code` and a message.
 *
 * - `GET /health`, `GET /metrics`
 * - `GET /v1/directory?operators=A,B`: clearers serving all of these operators
 * - `POST /v1/quotes` `{ ends: [{operator, role}], class, volume, apportion }` -> `{ quote, doc, total }`
 * - `POST /v1/receipts` `{ receipt, role, remote, consent? | dispute? }` -> `{ status: 'cleared', ... }`
 * - `GET /v1/quotes?limit=&cursor=`: the quotes issued, newest first, paged (`X-Next-Cursor`, `Link`)
 * - `GET /v1/receipts`: cleared receipts; `GET /v1/evidence?receipt=ID`: evidence of settlement
 * - `GET /v1/statements`, `GET /v1/ledger`, `GET /v1/tariffs`, `GET /v1/audit`
 * - `POST /v1/settle` (loopback only, or with the token): settle every closed period now
 * - `GET /` the clearer's dashboard, `GET /openapi.json` this API described (http-routes.ts)
 *
 * With `http.token` configured every write needs it (see @splitedge/node's http/auth.ts).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { Static, TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { answerHttp, assertDescribed, authorize, check, checkQuery, listenHttp, loadToken, openApi, serveAsset, servePage, specTable, type Gate, type RouteSpec, type TokenSettings } from '@splitedge/node'
import { fromMinorUnits } from '@splitedge/store'
import { encodeDocument } from '@splitedge/wire'
import type { ClearerApi } from './api.js'
import { claimFrom } from './claims.js'
import { QuoteRequestSchema, ReceiptRequestSchema, clearerRouteSpecs } from './http-routes.js'
import { quotesPage } from './http-quotes.js'

export interface ClearerHttp { url: string, close: () => Promise<void> }

const MAX_BODY = 1024 * 1024

class HttpError extends Error {
  constructor (readonly status: number, readonly code: string, message: string) { super(message) }
}

const json = (res: ServerResponse, status: number, body: unknown): void => {
  res.writeHead(status, { 'content-type': 'application/json' })
  res.end(JSON.stringify(body, (_k, v) => typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v, 2) + '\n')
}

async function readJson (req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const c of req) {
    size += (c as Buffer).length
    if (size > MAX_BODY) throw new HttpError(413, 'oversize', `body over ${MAX_BODY} bytes`)
    chunks.push(c as Buffer)
  }
  let v: unknown
  try { v = JSON.parse(Buffer.concat(chunks).toString('utf8')) } catch { throw new HttpError(400, 'malformed', 'body is not JSON') }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new HttpError(400, 'malformed', 'body must be a JSON object')
  return v as Record<string, unknown>
}

const bytesField = (v: string | undefined, name: string): Uint8Array => {
  if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) throw new HttpError(400, 'malformed', `${name}: expected base64 of a signed document`)
  return new Uint8Array(Buffer.from(v, 'base64'))
}

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void>

export async function startClearerHttp (clearer: ClearerApi, opts: { host: string, port: number } & TokenSettings): Promise<ClearerHttp> {
  const specs = clearerRouteSpecs(clearer.config.name)
  const described = specTable(specs)
  const table = handlers(clearer, specs)
  assertDescribed(Object.keys(table), described)
  const gate: Gate = { token: await loadToken(opts), refused: clearer.ctx.metrics.unauthorized }
  const server = createServer((req, res) => {
    void route(table, described, gate, req, res).catch((e: unknown) => {
      if (e instanceof HttpError) return json(res, e.status, { error: e.message, code: e.code })
      const a = answerHttp(e)
      if (a !== undefined) return json(res, a.status, a.body)
      clearer.ctx.log.error({ err: (e as Error).message, url: req.url }, 'http handler failed')
      json(res, 500, { error: 'internal error', code: 'internal' })
    })
  })
  return await listenHttp(server, opts)
}

async function route (table: Record<string, Handler>, specs: Map<string, RouteSpec>, gate: Gate, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://clearer')
  const method = req.method === 'HEAD' ? 'GET' : req.method ?? 'GET'
  const key = `${method} ${url.pathname.startsWith('/ui/') ? '/ui/{file}' : url.pathname}`
  const handler = table[key]
  const spec = specs.get(key)
  if (handler === undefined || spec === undefined) throw new HttpError(404, 'not-found', `no route ${method} ${url.pathname}`)
  authorize(gate, spec, req)
  checkQuery(spec, url.searchParams)
  await handler(req, res, url)
}

/** A JSON body checked against its schema: 400 naming the field. */
async function readChecked<S extends TSchema> (req: IncomingMessage, schema: S): Promise<Static<S>> {
  const body = await readJson(req)
  check(schema, body)
  if (!Value.Check(schema, body)) throw new HttpError(400, 'malformed', 'body does not match its schema')
  return body
}

function handlers (c: ClearerApi, specs: RouteSpec[]): Record<string, Handler> {
  const doc = openApi({ title: `splitedge clearer ${c.config.name}`, version: '1', description: 'The clearer\'s HTTP API. Errors are `{ error, code }`.' }, specs)
  return {
    'GET /': async (_q, res) => { await servePage(res, 'clearer', `splitedge · ${c.config.name}`) },
    'GET /ui/{file}': async (_q, res, url) => { await serveAsset(res, url.pathname) },
    'GET /openapi.json': async (_q, res) => { json(res, 200, doc) },
    'GET /health': async (_q, res) => { json(res, 200, { ok: true, name: c.config.name, peerId: c.peerId, operators: c.config.operators.length, connected: c.connected().length }) },
    'GET /metrics': async (_q, res) => {
      res.writeHead(200, { 'content-type': c.ctx.metrics.registry.contentType })
      res.end(await c.ctx.metrics.registry.metrics())
    },
    'GET /v1/operators': async (_q, res) => {
      const on = new Set(c.connected())
      json(res, 200, c.config.operators.map(o => ({ name: o.name, peerId: o.peerId, connected: on.has(o.peerId) })))
    },
    'GET /v1/directory': async (_q, res, url) => {
      const ops = (url.searchParams.get('operators') ?? '').split(',').map(s => s.trim()).filter(s => s !== '')
      json(res, 200, c.directory.serving(ops, c.ctx.clock.now()))
    },
    'POST /v1/quotes': async (req, res) => {
      const body = await readChecked(req, QuoteRequestSchema)
      const q = await c.quote(body).catch((e: unknown) => {
        throw new HttpError(400, 'malformed', `bad quote request: ${(e as Error).message}`)
      })
      if (!q.ok) throw new HttpError(422, q.error.code, q.error.message)
      json(res, 200, { quote: q.value.doc.body, doc: q.value.doc, total: q.value.priced.total, ends: q.value.priced.ends, encoded: encodeDocument(q.value.doc) })
    },
    'GET /v1/quotes': async (_q, res, url) => {
      const page = await quotesPage(c, url)
      res.writeHead(200, { 'content-type': 'application/json', ...page.headers })
      res.end(JSON.stringify(page.items, null, 2) + '\n')
    },
    'POST /v1/receipts': async (req, res) => { json(res, 200, await present(c, await readChecked(req, ReceiptRequestSchema))) },
    'GET /v1/receipts': async (_q, res) => {
      json(res, 200, (await c.cleared()).map(({ receiptDoc: _r, consentDoc: _c, ...r }) => ({ ...r, local: c.nameOf(r.local), remote: c.nameOf(r.remote) })))
    },
    'GET /v1/evidence': async (_q, res, url) => { json(res, 200, await evidence(c, url.searchParams.get('receipt') ?? '')) },
    'GET /v1/statements': async (_q, res) => {
      json(res, 200, (await c.statements()).map(s => ({ operator: c.nameOf(s.operator), peerId: s.operator, id: s.id, period: s.doc.body.period, currency: s.doc.body.currency, net: s.doc.body.net, lines: s.doc.body.lines, signers: s.doc.sigs.map(x => x.signer) })))
    },
    'GET /v1/ledger': async (_q, res) => { json(res, 200, await ledger(c)) },
    'GET /v1/audit': async (_q, res) => { json(res, 200, await c.audit()) },
    'GET /v1/tariffs': async (_q, res) => {
      const out = []
      for (const o of c.config.operators) {
        const t = await c.view.inForce(o.peerId, c.ctx.clock.now())
        out.push({ operator: o.name, peerId: o.peerId, inForce: t === undefined ? null : { id: t.id, seq: t.seq, effective: t.body.effective, pricing: t.pricing } })
      }
      json(res, 200, out)
    },
    'POST /v1/settle': async (_q, res) => { json(res, 200, await c.settleDue()) }
  }
}

async function present (c: ClearerApi, body: Static<typeof ReceiptRequestSchema>): Promise<unknown> {
  const consent = body.consent === undefined ? undefined : bytesField(body.consent, 'consent')
  const dispute = body.dispute
  if ((consent === undefined) === (dispute === undefined)) throw new HttpError(400, 'malformed', 'give exactly one of consent and dispute')
  const claim = claimFrom({ receipt: bytesField(body.receipt, 'receipt'), role: body.role, remote: body.remote, ...(consent !== undefined ? { consent } : {}), ...(dispute !== undefined ? { dispute } : {}) })
  if (!claim.ok) throw new HttpError(422, claim.error.code, claim.error.message)
  const out = await c.clear(claim.value)
  if (!out.ok) throw new HttpError(out.error.code === 'replayed' ? 409 : 422, out.error.code, out.error.message)
  const { receiptDoc: _r, consentDoc: _c, ...record } = out.record
  return { status: 'cleared', ...record }
}

async function evidence (c: ClearerApi, id: string): Promise<unknown> {
  const ev = await c.evidence(id)
  if (ev.status === 'unknown') throw new HttpError(404, 'unknown', `no cleared receipt ${id}`)
  if (ev.status === 'cleared') return { status: 'cleared', settled: false, record: { ...ev.record, receiptDoc: undefined, consentDoc: undefined } }
  return { status: 'settled', settled: true, line: ev.line, statement: ev.statement.body, signers: ev.statement.sigs.map(s => s.signer), doc: ev.bytes }
}

async function ledger (c: ClearerApi): Promise<unknown> {
  const name = (a: string): string => a.startsWith('operator:') ? `operator:${c.nameOf(a.slice(9))}` : a
  const balances = (await c.ctx.store.balances()).map(b => ({ account: name(b.account), currency: b.currency, debits: fromMinorUnits(b.debits, b.decimals), credits: fromMinorUnits(b.credits, b.decimals), net: fromMinorUnits(b.net, b.decimals) }))
  const entries = (await c.ctx.store.entries()).map(e => ({ ...e, debit: name(e.debit), credit: name(e.credit), amount: fromMinorUnits(e.amount, e.decimals) }))
  return { balances, entries, check: await c.ctx.store.checkLedger() }
}
