/**
 * Talking to a running agent's HTTP API from the command line: find its URL from `--url` or from its
 * config file, and turn every failure into one line an operator can act on.
 */
import { loadConfig } from '@splitedge/agent'
import { loadToken } from '@splitedge/node'

export interface ApiTarget { url?: string, config?: string }

/** The write token for each agent URL: from its config's http.token / tokenFile, or SPLITEDGE_TOKEN with --url. */
const tokens = new Map<string, string>()

export async function apiUrl (t: ApiTarget): Promise<string> {
  if (t.url !== undefined) {
    const url = t.url.replace(/\/$/, '')
    if (process.env.SPLITEDGE_TOKEN !== undefined && process.env.SPLITEDGE_TOKEN !== '') tokens.set(url, process.env.SPLITEDGE_TOKEN)
    return url
  }
  if (t.config === undefined) throw new Error('say which agent: --config AGENT.yaml or --url http://HOST:PORT')
  const c = await loadConfig(t.config)
  if (c.http === undefined) throw new Error(`${t.config}: http is not configured, so the agent has no API to talk to (fix: add http: { host: 127.0.0.1, port: 8080 })`)
  const host = c.http.host === '0.0.0.0' || c.http.host === '::' ? '127.0.0.1' : c.http.host
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${c.http.port}`
  const token = await loadToken(c.http)
  if (token !== undefined) tokens.set(url, token)
  return url
}

export interface CallInit { method: string, body: string, type: string, headers?: Record<string, string> }

export async function call (base: string, path: string, init?: CallInit): Promise<unknown> {
  return (await callWithHeaders(base, path, init)).body
}

/** Every item of a paged list (the API answers a page and points at the next with X-Next-Cursor). */
export async function callAll (base: string, path: string): Promise<unknown[]> {
  const out: unknown[] = []
  let cursor: string | null = null
  for (let i = 0; i < 100_000; i++) {
    const sep = path.includes('?') ? '&' : '?'
    const page = await callWithHeaders(base, cursor === null ? path : `${path}${sep}cursor=${encodeURIComponent(cursor)}`)
    out.push(...(page.body as unknown[]))
    cursor = page.headers.get('x-next-cursor')
    if (cursor === null) return out
  }
  throw new Error(`${path}: the agent kept answering more pages`)
}

export async function callWithHeaders (base: string, path: string, init?: CallInit): Promise<{ body: unknown, headers: Headers }> {
  let res: Response
  try {
    const token = tokens.get(base)
    const auth: Record<string, string> = token === undefined ? {} : { authorization: `Bearer ${token}` }
    res = await fetch(base + path, init === undefined ? { headers: auth } : { method: init.method, body: init.body, headers: { 'content-type': init.type, ...auth, ...init.headers } })
  } catch (err) {
    throw new Error(`cannot reach the agent at ${base}: ${((err as Error).cause as Error | undefined)?.message ?? (err as Error).message} (is it running?)`)
  }
  const text = await res.text()
  let body: unknown
  try { body = JSON.parse(text) } catch { body = text }
  if (!res.ok) {
    const msg = typeof body === 'object' && body !== null && 'error' in body ? String((body as { error: unknown }).error) : text
    throw new Error(`agent answered ${res.status}: ${msg}`)
  }
  return { body, headers: res.headers }
}

export function addTargetOptions<T extends { option: (flags: string, desc: string) => T }> (cmd: T): T {
  return cmd
    .option('-c, --config <file>', 'the agent\'s config file (its http address is read from it)')
    .option('-u, --url <url>', 'the agent\'s HTTP API, e.g. http://127.0.0.1:8080')
}
