/**
 * The dashboard's static files, served by the node's own HTTP server: our page and script from
 * packages/agent/ui/, and two libraries from node_modules (htm's single-file Preact build and
 * uPlot), so nothing is fetched from outside and there is no build step.
 */
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import type { ServerResponse } from 'node:http'
import { Type } from '@sinclair/typebox'
import { HttpError } from './errors.js'
import type { RouteSpec } from './spec.js'

const require = createRequire(import.meta.url)
const UI_DIR = new URL('../../../ui/', import.meta.url)

/** Every file the dashboard may load, by name under /ui/: nothing else on disk is reachable. */
const FILES: Record<string, { path: () => string | URL, type: string }> = {
  'app.js': { path: () => new URL('app.js', UI_DIR), type: 'text/javascript; charset=utf-8' },
  'clearer.js': { path: () => new URL('clearer.js', UI_DIR), type: 'text/javascript; charset=utf-8' },
  'lib.js': { path: () => new URL('lib.js', UI_DIR), type: 'text/javascript; charset=utf-8' },
  'style.css': { path: () => new URL('style.css', UI_DIR), type: 'text/css; charset=utf-8' },
  // htm exports no subpath for this file: found beside its main entry (dist/htm.js).
  'preact-htm.js': { path: () => join(dirname(require.resolve('htm')), '..', 'preact', 'standalone.module.js'), type: 'text/javascript; charset=utf-8' },
  'uplot.js': { path: () => require.resolve('uplot/dist/uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' },
  'uplot.css': { path: () => require.resolve('uplot/dist/uPlot.min.css'), type: 'text/css; charset=utf-8' }
}

/** Scripts and styles from this origin only; the page is never framed (clickjacking). */
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer'
}

const cache = new Map<string, Buffer>()

async function load (name: string): Promise<Buffer> {
  const hit = cache.get(name)
  if (hit !== undefined) return hit
  const f = FILES[name]
  if (f === undefined) throw new HttpError('not-found', `no dashboard file ${name}`)
  let body: Buffer
  try { body = await readFile(f.path()) } catch { throw new HttpError('not-found', `dashboard file ${name} is not installed`) }
  cache.set(name, body)
  return body
}

/** `GET /`: the page, saying which node it is on (`agent` or `clearer`) so one script serves both. */
export async function servePage (res: ServerResponse, kind: 'agent' | 'clearer', title: string): Promise<void> {
  const html = (await readFile(new URL('index.html', UI_DIR), 'utf8').catch(() => { throw new HttpError('not-found', 'the dashboard is not installed') }))
    .replace('{{KIND}}', kind).replace('{{TITLE}}', escapeHtml(title))
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', ...SECURITY_HEADERS })
  res.end(html)
}

/** `GET /ui/<file>`. */
export async function serveAsset (res: ServerResponse, pathname: string): Promise<void> {
  const name = pathname.slice('/ui/'.length)
  const body = await load(name)
  res.writeHead(200, { 'content-type': FILES[name]?.type ?? 'application/octet-stream', 'cache-control': 'no-cache', ...SECURITY_HEADERS })
  res.end(body)
}

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, c => `&#${c.charCodeAt(0)};`)

/** The dashboard's and the description's routes, described like the others. */
export function uiRoutes (title: string): RouteSpec[] {
  return [
    { method: 'GET', path: '/', summary: `The ${title} dashboard (HTML)`, access: 'public', response: Type.String(), responseType: 'text/html', example: '<!doctype html>…' },
    { method: 'GET', path: '/ui/{file}', summary: 'The dashboard\'s scripts and styles', access: 'public', response: Type.String(), responseType: 'text/javascript', example: '…' },
    { method: 'GET', path: '/openapi.json', summary: 'This description', access: 'public', response: Type.Object({ openapi: Type.String(), paths: Type.Record(Type.String(), Type.Unknown()) }, { additionalProperties: true }), example: { openapi: '3.1.0', info: { title, version: '1' }, paths: {} } }
  ]
}
