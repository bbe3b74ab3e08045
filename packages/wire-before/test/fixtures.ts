// Sample identities and bodies for every document type, shared by the specs and the benchmark.
import { createHash } from 'node:crypto'
import {
  cosign, docId, identityFromSeed, sign, type AnyDocument, type BodyOf, type DocType, type Document, type Identity
} from '../src/index.js'

/** Deterministic identity number `n` (seed = sha256("splitedge-test-<n>")). */
export const testIdentity = async (n: number): Promise<Identity> =>
  await identityFromSeed(createHash('sha256').update(`splitedge-test-${n}`).digest())

export interface Parties { a: Identity, b: Identity, clearer: Identity, border: [string, string], lo: Identity, hi: Identity }

export async function parties (): Promise<Parties> {
  const a = await testIdentity(1)
  const b = await testIdentity(2)
  const clearer = await testIdentity(3)
  const [lo, hi] = a.peerId < b.peerId ? [a, b] : [b, a]
  return { a, b, clearer, border: [lo.peerId, hi.peerId], lo, hi }
}

export const T0 = 1_790_000_000_000
const HOUR = 3_600_000

export function tariffBody (p: Parties, seq = 0, previous: string | null = null): BodyOf<'tariff'> {
  return {
    issuer: p.a.peerId,
    seq,
    previous,
    published: T0,
    effective: T0 + 24 * HOUR,
    noticeMs: 24 * HOUR,
    pricing: {
      currency: 'EUR',
      decimals: 6,
      unit: 'octet',
      classes: {
        be: { mode: 'unicast', quality: 'BE', price: '0.000000001' },
        ef: {
          mode: 'unicast',
          quality: 'EF',
          price: '0.000000004',
          messageFee: '0.0001',
          sla: [
            { metric: 'delay_ms', bands: [{ upTo: '20', factor: '1' }, { upTo: '50', factor: '0.5' }, { factor: '0' }] },
            { metric: 'availability_pct', bands: [{ atLeast: '99.9', factor: '1' }, { factor: '0.8' }] }
          ]
        },
        'mc-af41': { mode: 'multicast', quality: 'AF41', price: '0.000000002' }
      },
      weights: {
        '*': { send: '1', receive: '0' },
        'status:customer': { send: '1', receive: '0' },
        'status:peer': { send: '0.5', receive: '0.5' },
        [p.b.peerId]: { send: '1', receive: '1' }
      },
      statuses: { [p.b.peerId]: 'peer' },
      periodFee: '100'
    }
  }
}

export function reportBody (p: Parties, reporter: Identity = p.lo): BodyOf<'usage-report'> {
  return {
    border: p.border,
    reporter: reporter.peerId,
    interval: { start: T0, length: 300_000 },
    lines: [
      { class: 'be', from: p.border[0], to: p.border[1], volume: '123456789' },
      { class: 'be', from: p.border[1], to: p.border[0], volume: '987654321' },
      { class: 'ef', from: p.border[0], to: p.border[1], volume: '5000', messages: 42 }
    ],
    metrics: [{ subject: p.border[1], class: 'ef', metric: 'delay_ms', value: '17.5' }]
  }
}

const FAKE_ID_1 = 'bafyreibnoelefnzgwbcacyt4vh52ymxvzbjq7mmqhtcnwarfq4lzegsiqe'
const FAKE_ID_2 = 'bafyreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy'

export function attestationBody (p: Parties): BodyOf<'usage-attestation'> {
  const r = reportBody(p)
  return {
    border: p.border,
    interval: r.interval,
    rule: { kind: 'lower-within-relative', tolerance: '0.01' },
    reports: [FAKE_ID_1, FAKE_ID_2],
    lines: r.lines,
    metrics: r.metrics
  }
}

export function statementBody (p: Parties): BodyOf<'settlement-statement'> {
  return {
    border: p.border,
    period: { start: T0, end: T0 + 24 * HOUR },
    currency: 'EUR',
    decimals: 6,
    attestations: [FAKE_ID_1],
    lines: [{
      kind: 'volume',
      class: 'be',
      from: p.border[0],
      to: p.border[1],
      volume: '123456789',
      tariffs: { [p.border[0]]: FAKE_ID_1, [p.border[1]]: FAKE_ID_2 },
      factors: { [p.border[0]]: '1', [p.border[1]]: '0.5' },
      amount: '-0.061728'
    }, {
      kind: 'period-fee',
      class: null,
      from: p.border[0],
      to: p.border[1],
      volume: '0',
      tariffs: { [p.border[1]]: FAKE_ID_2 },
      factors: {},
      amount: '100.000000'
    }],
    net: '99.938272'
  }
}

export function quoteBody (p: Parties): BodyOf<'quote'> {
  return {
    clearer: p.clearer.peerId,
    nonce: '00112233445566778899aabbccddeeff',
    ends: [{ operator: p.a.peerId, role: 'sender' }, { operator: p.b.peerId, role: 'receiver' }],
    class: 'ef',
    volume: '1000000',
    apportion: { kind: 'shares', shares: { [p.a.peerId]: '60', [p.b.peerId]: '40' } },
    charges: [{ operator: p.a.peerId, amount: '0.004', payer: p.a.peerId }],
    margin: '0.0001',
    currency: 'EUR',
    decimals: 6,
    tariffs: [FAKE_ID_1, FAKE_ID_2],
    issued: T0,
    expires: T0 + HOUR
  }
}

export function receiptBody (p: Parties): BodyOf<'receipt'> {
  return {
    operator: p.a.peerId,
    seq: 7,
    src: '2001:db8::1',
    dst: '2001:db8:1::2',
    class: 'ef',
    volume: '1500000',
    interval: { start: T0, length: 60_000 },
    customer: 'cust-42'
  }
}

export function consentBody (p: Parties): BodyOf<'consent'> {
  return {
    operator: p.b.peerId,
    nonce: 'ffeeddccbbaa99887766554433221100',
    src: '2001:db8::1',
    dst: '2001:db8:1::2',
    class: 'ef',
    maxVolume: '10000000',
    share: '40',
    window: { start: T0, end: T0 + HOUR }
  }
}

export function announcementBody (p: Parties): BodyOf<'clearer-announcement'> {
  return {
    clearer: p.clearer.peerId,
    seq: 3,
    operators: [...p.border],
    url: 'http://127.0.0.1:8480',
    issued: T0,
    expires: T0 + HOUR
  }
}

export function clearingStatementBody (p: Parties): BodyOf<'clearing-statement'> {
  return {
    clearer: p.clearer.peerId,
    operator: p.a.peerId,
    period: { start: T0, end: T0 + HOUR },
    currency: 'EUR',
    decimals: 6,
    lines: [
      { receipt: FAKE_ID_1, side: 'pays', class: 'ef', volume: '1500000', charge: '0.006', margin: '0.00012', tariff: FAKE_ID_2 },
      { receipt: FAKE_ID_2, side: 'paid', class: 'be', volume: '1000', charge: '0.000001', margin: '0', tariff: FAKE_ID_1 }
    ],
    net: '0.006119'
  }
}

function must<T> (r: { ok: true, value: T } | { ok: false, error: Error }): T {
  if (!r.ok) throw r.error
  return r.value
}

/** One fully signed document of every type. */
export async function allDocuments (p?: Parties): Promise<{ [T in DocType]: Document<T> }> {
  const q = p ?? await parties()
  const cosigned = <T extends 'usage-attestation' | 'settlement-statement'>(type: T, body: BodyOf<T>): Document<T> =>
    must(cosign(q.hi, must(sign(q.lo, type, body))))
  const tariff = must(sign(q.a, 'tariff', tariffBody(q)))
  return {
    tariff,
    'usage-report': must(sign(q.lo, 'usage-report', reportBody(q))),
    'usage-attestation': cosigned('usage-attestation', attestationBody(q)),
    'settlement-statement': cosigned('settlement-statement', statementBody(q)),
    quote: must(sign(q.clearer, 'quote', quoteBody(q))),
    receipt: must(sign(q.a, 'receipt', receiptBody(q))),
    consent: must(sign(q.b, 'consent', consentBody(q))),
    'clearer-announcement': must(sign(q.clearer, 'clearer-announcement', announcementBody(q))),
    'clearing-statement': must(cosign(q.a, must(sign(q.clearer, 'clearing-statement', clearingStatementBody(q)))))
  }
}

export const idOf = (doc: AnyDocument | Document): string => docId(doc)
export { must }
