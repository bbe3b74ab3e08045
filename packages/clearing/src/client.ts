/** A small client of the clearer's HTTP API, for the CLI, the demo and tests (loopback URLs). */
import { encodeDocument, type Consent, type Receipt } from '@splitedge/wire'
import type { QuoteRequest } from './pricing.js'

export class ClearerApiError extends Error {
  constructor (readonly status: number, readonly code: string, message: string) { super(`${code}: ${message}`) }
}

const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64')

export class ClearerClient {
  constructor (readonly url: string) {}

  private async call<T> (method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const res = await fetch(new URL(path, this.url), {
      method,
      ...(body !== undefined ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {})
    })
    const data = await res.json() as Record<string, unknown>
    if (!res.ok) throw new ClearerApiError(res.status, String(data.code ?? res.status), String(data.error ?? res.statusText))
    return data as T
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
