/**
 * A small client of the clearer's HTTP API, for the CLI, the demo and tests (loopback URLs). With
 * a token (the clearer's `http.token`) every request carries `Authorization: Bearer <token>`; it
 * may be given as an option or in the URL's password (`http://:TOKEN@127.0.0.1:8710`), which is
 * taken out of the URL and sent only in the header.
 */
import { encodeDocument, type Consent, type Receipt } from '@splitedge/wire'
import type { QuoteRequest } from './pricing.js'

export class ClearerApiError extends Error {
  constructor (readonly status: number, readonly code: string, message: string) { super(`${code}: ${message}`) }
}

const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64')

/** One issued quote as `GET /v1/quotes` lists it. */
export interface IssuedQuoteView {
  seq: number
  id: string
  issued: number
  expires: number
  class: string
  volume: string
  apportion: string
  ends: Array<{ name: string, peerId: string, role: 'sender' | 'receiver' }>
  charges: Array<{ operator: string, payer: string, amount: string }>
  total: string
  margin: string
  currency: string
  status: 'open' | 'expired' | 'used'
  receipt: string | null
}

export class ClearerClient {
  readonly url: string
  private readonly token: string | undefined

  constructor (url: string, opts: { token?: string } = {}) {
    const u = new URL(url)
    const inUrl = u.password !== '' ? decodeURIComponent(u.password) : u.username !== '' ? decodeURIComponent(u.username) : undefined
    u.username = ''
    u.password = ''
    this.url = u.toString()
    this.token = opts.token ?? inUrl
  }

  private async call<T> (method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const res = await this.fetch(method, path, body)
    const data = await res.json() as Record<string, unknown>
    if (!res.ok) throw new ClearerApiError(res.status, String(data.code ?? res.status), String(data.error ?? res.statusText))
    return data as T
  }

  private async fetch (method: 'GET' | 'POST', path: string, body?: unknown): Promise<Response> {
    const headers: Record<string, string> = {
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(this.token !== undefined ? { authorization: `Bearer ${this.token}` } : {})
    }
    return await fetch(new URL(path, this.url), { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) })
  }

  /** One page of the issued quotes, newest first, and the cursor of the next page. */
  async quotes (opts: { limit?: number, cursor?: string } = {}): Promise<{ items: IssuedQuoteView[], next: string | null }> {
    const q = new URLSearchParams()
    if (opts.limit !== undefined) q.set('limit', String(opts.limit))
    if (opts.cursor !== undefined) q.set('cursor', opts.cursor)
    const res = await this.fetch('GET', `/v1/quotes${q.size > 0 ? `?${q.toString()}` : ''}`)
    const data = await res.json() as unknown
    if (!res.ok) {
      const e = data as Record<string, unknown>
      throw new ClearerApiError(res.status, String(e.code ?? res.status), String(e.error ?? res.statusText))
    }
    return { items: data as IssuedQuoteView[], next: res.headers.get('x-next-cursor') }
  }

  async health (): Promise<{ ok: boolean, name: string, peerId: string }> { return await this.call('GET', '/health') }
  async quote (req: QuoteRequest): Promise<{ quote: Record<string, unknown> & { charges: Array<{ operator: string, amount: string, payer: string }>, margin: string, currency: string, tariffs: string[], expires: number }, total: string, encoded: string }> {
    return await this.call('POST', '/v1/quotes', req)
  }

  async present (p: { receipt: Receipt, role: 'sender' | 'receiver', remote: string, consent?: Consent, dispute?: string }): Promise<Record<string, unknown> & { receipt: string, charge: string, margin: string, currency: string }> {
    return await this.call('POST', '/v1/receipts', {
      receipt: b64(encodeDocument(p.receipt)), role: p.role, remote: p.remote,
      ...(p.consent !== undefined ? { consent: b64(encodeDocument(p.consent)) } : {}),
      ...(p.dispute !== undefined ? { dispute: p.dispute } : {})
    })
  }

  async evidence (receipt: string): Promise<{ status: 'cleared' | 'settled', settled: boolean, statement?: { net: string, period: { start: number, end: number } }, signers?: string[] }> {
    return await this.call('GET', `/v1/evidence?receipt=${encodeURIComponent(receipt)}`)
  }

  async settle (): Promise<Array<{ operator: string, start: number, result: string }>> { return await this.call('POST', '/v1/settle', {}) }
  async statements (): Promise<unknown[]> { return await this.call('GET', '/v1/statements') }
  async receipts (): Promise<unknown[]> { return await this.call('GET', '/v1/receipts') }
  async ledger (): Promise<unknown> { return await this.call('GET', '/v1/ledger') }
  async directory (operators: string[] = []): Promise<unknown[]> { return await this.call('GET', `/v1/directory?operators=${operators.join(',')}`) }
  async audit (): Promise<{ ok: boolean, problems: string[] }> { return await this.call('GET', '/v1/audit') }
}
