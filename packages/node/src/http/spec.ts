/**
 * Routes described once: method, path, who may call it, and the TypeBox schemas of its query, body
 * and answer. The server validates with these very schemas and `/openapi.json` is generated from
 * them, so the description cannot drift from what the server accepts.
 */
import type { TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { HttpError } from './errors.js'

/**
 * `read`: open on loopback, needs the token from elsewhere when one is configured. `write`: needs
 * the token from any address when one is configured (else: as `writeAccess`). `public`: health,
 * metrics and the dashboard's static files, which hold no operator data.
 */
export type Access = 'public' | 'read' | 'write'

export interface RouteSpec {
  method: 'GET' | 'POST'
  path: string
  summary: string
  access: Access
  /** Without a token configured: `loopback` writes are refused (403) from other addresses. */
  writeAccess?: 'open' | 'loopback'
  query?: TSchema
  body?: TSchema
  /** The body's media type when not JSON (the tariff YAML). */
  bodyType?: string
  response: TSchema
  /** The answer's media type when not JSON. */
  responseType?: string
  /** An answer this route could give; the OpenAPI test validates it against `response`. */
  example: unknown
}

export const routeKey = (s: Pick<RouteSpec, 'method' | 'path'>): string => `${s.method} ${s.path}`

/** Index specs by `METHOD /path`, refusing duplicates. */
export function specTable (specs: RouteSpec[]): Map<string, RouteSpec> {
  const m = new Map<string, RouteSpec>()
  for (const s of specs) {
    if (m.has(routeKey(s))) throw new Error(`route ${routeKey(s)} described twice`)
    m.set(routeKey(s), s)
  }
  return m
}

/** A route without a description cannot be served: checked when the server starts. */
export function assertDescribed (handlers: Iterable<string>, specs: Map<string, RouteSpec>): void {
  for (const k of handlers) if (!specs.has(k)) throw new Error(`route ${k} has no OpenAPI description`)
  for (const k of specs.keys()) if (![...handlers].includes(k)) throw new Error(`route ${k} is described but not served`)
}

/** `/neighbours/0/peerId` as `neighbours[0].peerId`, the way every refusal names a field. */
export function fieldOf (pointer: string, prefix = ''): string {
  const parts = pointer.split('/').slice(1)
  const s = parts.map((p, i) => /^\d+$/.test(p) ? `[${p}]` : (i === 0 && prefix === '' ? p : `.${p}`)).join('')
  return prefix + s === '' ? '(body)' : prefix + s
}

/** The first problem of `value` against `schema` as a 400 naming the field, or nothing. */
export function check (schema: TSchema, value: unknown, prefix = ''): void {
  const first = Value.Errors(schema, value).First()
  if (first === undefined) return
  const field = fieldOf(first.path, prefix)
  throw new HttpError('invalid', `${field}: ${first.message}`, field)
}

/** The query string as an object of strings, checked against the route's query schema. */
export function checkQuery (spec: RouteSpec, q: URLSearchParams): void {
  if (spec.query === undefined) return
  check(spec.query, Object.fromEntries(q.entries()), '?')
}

interface OpenApiInfo { title: string, version: string, description: string }

/** The OpenAPI 3.1 document of a route table (TypeBox schemas are JSON Schema 2020-12 already). */
export function openApi (info: OpenApiInfo, specs: RouteSpec[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {}
  for (const s of specs) {
    const op: Record<string, unknown> = {
      summary: s.summary,
      operationId: `${s.method.toLowerCase()}${s.path.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`,
      'x-access': s.access,
      responses: {
        200: { description: 'OK', content: { [s.responseType ?? 'application/json']: { schema: plain(s.response), example: s.example } } },
        default: { description: 'A refusal: `{ error, code, field? }`', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } }
      }
    }
    if (s.access === 'write') op.security = [{ token: [] }]
    if (s.query !== undefined) op.parameters = queryParameters(s.query)
    if (s.body !== undefined) op.requestBody = { required: true, content: { [s.bodyType ?? 'application/json']: { schema: plain(s.body) } } }
    paths[s.path] = { ...paths[s.path], [s.method.toLowerCase()]: op }
  }
  return {
    openapi: '3.1.0',
    info,
    paths,
    components: {
      securitySchemes: { token: { type: 'http', scheme: 'bearer', description: 'the `http.token` (or `http.tokenFile`) of the config' } },
      schemas: { Error: { type: 'object', required: ['error', 'code'], properties: { error: { type: 'string' }, code: { type: 'string' }, field: { type: 'string' } } } }
    }
  }
}

function queryParameters (schema: TSchema): unknown[] {
  const props = (schema as { properties?: Record<string, TSchema> }).properties ?? {}
  const required = new Set((schema as { required?: string[] }).required ?? [])
  return Object.entries(props).map(([name, s]) => ({ name, in: 'query', required: required.has(name), schema: plain(s), ...(s.description !== undefined ? { description: s.description } : {}) }))
}

/** A schema without TypeBox's symbol keys: plain JSON Schema. */
const plain = (s: TSchema): unknown => JSON.parse(JSON.stringify(s))
