/**
 * Generates the conformance vectors of docs/vectors/ from the project's own encoder, signer and
 * frame schemas. Deterministic: keys come from published seeds, times are fixed and Ed25519
 * signatures are deterministic, so a re-run writes the very same files unless the code changed.
 *
 *   npm run build && node packages/agent/dist/test/vectors/generate.js   # rewrites docs/vectors/
 *
 * Re-run it after changing a document or frame schema; test/vectors.spec.ts fails until the
 * committed vectors match what the code produces, and runs every vector through the decoder and
 * validators.
 */
import { createHash } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as dagCbor from '@ipld/dag-cbor'
import { computeStatement } from '@splitedge/model'
import {
  DOC_TYPES, MAX_DOCUMENT_BYTES, WIRE_VERSION, cosign, docId, domainTag, encodeBody, encodeDocument, identityFromSeed, sign,
  tariffToPricing, type BodyOf, type DocType, type Document, type Identity, type Tariff, type UsageAttestation
} from '@splitedge/wire'
import { assembleStatement } from '../../src/settle/assemble.js'
import { Status, encodeError, encodeOk, lengthPrefixed } from '@splitedge/node'
import { MAX_FRAME_BYTES, PROTOCOLS } from '@splitedge/node'

export const VECTORS_VERSION = 1
/** Seed of key `name`: sha256(utf8("splitedge/vectors/v1/" + name)). */
export const seedOf = (name: string): Buffer => createHash('sha256').update(`splitedge/vectors/v${VECTORS_VERSION}/${name}`).digest()
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

/** Fixed times: T0 is an interval boundary for 5-minute intervals. */
export const T0 = 1_790_000_100_000 - (1_790_000_100_000 % 300_000)
const INTERVAL_MS = 300_000
const HOUR = 3_600_000
const ID_X = 'bafyreibnoelefnzgwbcacyt4vh52ymxvzbjq7mmqhtcnwarfq4lzegsiqe'

export interface Keys { a: Identity, b: Identity, clearer: Identity, mallory: Identity }
export type Json = null | boolean | number | string | Json[] | { [k: string]: Json }
export type Files = Record<string, Json>

export async function keys (): Promise<Keys> {
  const [a, b, clearer, mallory] = await Promise.all(['a', 'b', 'clearer', 'mallory'].map(async n => await identityFromSeed(seedOf(n))))
  return { a: a!, b: b!, clearer: clearer!, mallory: mallory! }
}

/** A JSON view of a CBOR value: byte strings as {"$bytes": hex}. */
export function jsonView (v: unknown): Json {
  if (v instanceof Uint8Array) return { $bytes: hex(v) }
  if (Array.isArray(v)) return v.map(jsonView)
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, jsonView(x)]))
  return v as Json
}

function must<T> (r: { ok: true, value: T } | { ok: false, error: Error }): T {
  if (!r.ok) throw r.error
  return r.value
}

const sorted = (x: Identity, y: Identity): [Identity, Identity] => x.peerId < y.peerId ? [x, y] : [y, x]

// ---- bodies ------------------------------------------------------------------------------------

function pricing (peer: string, price: string): BodyOf<'tariff'>['pricing'] {
  return {
    currency: 'EUR',
    decimals: 6,
    unit: 'octet',
    classes: {
      be: { mode: 'unicast', quality: 'BE', price },
      ef: { mode: 'unicast', quality: 'EF', price: '0.000003', sla: [{ metric: 'delay_ms', bands: [{ upTo: '20', factor: '1' }, { upTo: '50', factor: '0.5' }, { factor: '0' }] }] }
    },
    weights: { '*': { send: '1', receive: '1' }, 'status:peer': { send: '1', receive: '1' } },
    statuses: { [peer]: 'peer' }
  }
}

function tariffBody (issuer: Identity, neighbour: Identity, seq: number, previous: string | null, published: number, price: string): BodyOf<'tariff'> {
  return { issuer: issuer.peerId, seq, previous, published, effective: published, noticeMs: 0, pricing: pricing(neighbour.peerId, price) }
}

function reportBody (k: Keys, reporter: Identity): BodyOf<'usage-report'> {
  const [lo, hi] = sorted(k.a, k.b)
  return {
    border: [lo.peerId, hi.peerId],
    reporter: reporter.peerId,
    interval: { start: T0, length: INTERVAL_MS },
    lines: [
      { class: 'be', from: lo.peerId, to: hi.peerId, volume: '1500000' },
      { class: 'be', from: hi.peerId, to: lo.peerId, volume: '2500000' },
      { class: 'ef', from: lo.peerId, to: hi.peerId, volume: '40000', messages: 12 }
    ],
    metrics: [{ subject: hi.peerId, class: 'ef', metric: 'delay_ms', value: '17.5' }]
  }
}

function clearingBodies (k: Keys): { [T in 'quote' | 'receipt' | 'consent' | 'clearer-announcement' | 'clearing-statement']: BodyOf<T> } {
  const window = { start: T0, end: T0 + HOUR }
  return {
    quote: {
      clearer: k.clearer.peerId, nonce: '00112233445566778899aabbccddeeff',
      ends: [{ operator: k.a.peerId, role: 'sender' }, { operator: k.b.peerId, role: 'receiver' }],
      class: 'be', volume: '1000000', apportion: { kind: 'sender-pays' },
      charges: [{ operator: k.a.peerId, amount: '0.002', payer: k.a.peerId }, { operator: k.b.peerId, amount: '0.002', payer: k.a.peerId }],
      margin: '0.00004', currency: 'EUR', decimals: 6, tariffs: [ID_X], issued: T0, expires: T0 + HOUR
    },
    receipt: { operator: k.b.peerId, seq: 1, src: '2001:db8::1', dst: '2001:db8:1::2', class: 'be', volume: '1000000', interval: { start: T0, length: INTERVAL_MS }, customer: 'customer-7' },
    consent: { operator: k.a.peerId, nonce: 'ffeeddccbbaa99887766554433221100', src: '2001:db8::1', dst: '2001:db8:1::2', class: 'be', maxVolume: '10000000', share: '100', window },
    'clearer-announcement': { clearer: k.clearer.peerId, seq: 1, operators: [k.a.peerId, k.b.peerId].sort(), url: 'http://clearer.example:8480', issued: T0, expires: T0 + HOUR },
    'clearing-statement': {
      clearer: k.clearer.peerId, operator: k.a.peerId, period: window, currency: 'EUR', decimals: 6,
      lines: [{ receipt: ID_X, side: 'pays', class: 'be', volume: '1000000', charge: '0.002', margin: '0.00002', tariff: ID_X }],
      net: '0.00202'
    }
  }
}

// ---- one border's documents, as the two agents build them --------------------------------------

export interface Border {
  k: Keys
  lo: Identity
  hi: Identity
  tariffs: { a1: Tariff, a2: Tariff, b1: Tariff }
  reports: { lo: Document<'usage-report'>, hi: Document<'usage-report'> }
  half: UsageAttestation
  attestation: UsageAttestation
  statementHalf: Document<'settlement-statement'>
  statement: Document<'settlement-statement'>
}

export async function border (k: Keys): Promise<Border> {
  const [lo, hi] = sorted(k.a, k.b)
  const a1 = must(sign(k.a, 'tariff', tariffBody(k.a, k.b, 1, null, T0 - HOUR, '0.000002')))
  const a2 = must(sign(k.a, 'tariff', tariffBody(k.a, k.b, 2, docId(a1), T0 - HOUR / 2, '0.000002')))
  const b1 = must(sign(k.b, 'tariff', tariffBody(k.b, k.a, 1, null, T0 - HOUR, '0.000001')))
  const reports = { lo: must(sign(lo, 'usage-report', reportBody(k, lo))), hi: must(sign(hi, 'usage-report', reportBody(k, hi))) }
  // Both measured the same figures, so the attestation carries them as they are.
  const r = reportBody(k, lo)
  const attBody: BodyOf<'usage-attestation'> = {
    border: r.border, interval: r.interval, rule: { kind: 'lower-within-relative', tolerance: '0.01' },
    reports: [docId(reports.lo), docId(reports.hi)], lines: r.lines, metrics: r.metrics
  }
  const half = must(sign(hi, 'usage-attestation', attBody))
  const attestation = must(cosign(lo, half))
  const inForce = new Map([[k.a.peerId, a2], [k.b.peerId, b1]])
  const input = await assembleStatement(r.border, 1, [{ id: docId(attestation), doc: attestation }], async (issuer) => {
    const t = inForce.get(issuer)
    return t === undefined ? undefined : { id: docId(t), issuer, seq: t.body.seq, body: t.body, pricing: tariffToPricing(t) }
  })
  const st = computeStatement(input)
  const stBody: BodyOf<'settlement-statement'> = {
    border: r.border, period: { start: T0, end: T0 + INTERVAL_MS }, currency: st.currency, decimals: st.decimals,
    attestations: [docId(attestation)],
    lines: st.lines.map(l => ({ kind: l.kind, class: l.class, from: l.from, to: l.to, volume: l.volume, tariffs: l.tariffs, factors: l.factors, amount: l.amount })),
    net: st.net
  }
  const statementHalf = must(sign(lo, 'settlement-statement', stBody))
  const statement = must(cosign(hi, statementHalf))
  return { k, lo, hi, tariffs: { a1, a2, b1 }, reports, half, attestation, statementHalf, statement }
}

// ---- document vectors --------------------------------------------------------------------------

function validVector (name: string, doc: Document): Json {
  return {
    name,
    documentHex: hex(encodeDocument(doc)),
    bodyHex: hex(encodeBody(doc.body)),
    id: docId(doc),
    signers: doc.sigs.map(s => s.signer),
    body: jsonView(doc.body)
  }
}

/** The envelope with `v` written as a two-byte integer (0x18 0x01): decodes, but not canonical. */
function longVersion (doc: Document): Uint8Array {
  const bytes = encodeDocument(doc)
  return Uint8Array.from([...bytes.subarray(0, 3), 0x18, WIRE_VERSION, ...bytes.subarray(4)])
}

function withSigs (doc: Document, sigs: Array<{ signer: string, sig: Uint8Array }>): Uint8Array {
  return encodeDocument({ ...doc, sigs } as Document)
}

/** A document whose body carries a field its schema does not name, correctly signed. */
function unknownField (doc: Document, signer: Identity): Uint8Array {
  const body = { ...(doc.body as object), 'x-extension': 1 }
  const bodyBytes = encodeBody(body)
  const sig = signer.sign(Uint8Array.from([...domainTag(doc.type), ...bodyBytes]))
  return dagCbor.encode({ type: doc.type, v: WIRE_VERSION, body, sigs: [{ signer: signer.peerId, sig }] })
}

function commonInvalid (doc: Document, signer: Identity, k: Keys): Json[] {
  const flipped = doc.sigs.map((s, i) => i === 0 ? { signer: s.signer, sig: Uint8Array.from(s.sig, (x, j) => j === 0 ? x ^ 0x01 : x) } : s)
  const mallory = doc.sigs.map((s, i) => i === 0 ? { signer: k.mallory.peerId, sig: k.mallory.sign(Uint8Array.from([...domainTag(doc.type), ...encodeBody(doc.body)])) } : s)
    .sort((x, y) => x.signer < y.signer ? -1 : 1)
  return [
    { name: 'non-canonical', documentHex: hex(longVersion(doc)), check: 'decode', refusal: 'non-canonical', note: 'envelope field v written as 0x18 0x01 instead of 0x01' },
    { name: 'bad-signature', documentHex: hex(withSigs(doc, flipped)), check: 'verify', refusal: 'bad-signature', note: `first signature with its first byte flipped` },
    { name: 'wrong-signer', documentHex: hex(withSigs(doc, mallory)), check: 'verify', refusal: 'unexpected-signer', note: 'first signature replaced by a valid signature of a key the body does not name' },
    { name: 'oversize', document: { repeat: '00', length: MAX_DOCUMENT_BYTES[doc.type] + 1 }, check: 'decode', refusal: 'oversize', note: `one byte over the ${doc.type} limit: refused before decoding` },
    { name: 'unknown-field', documentHex: hex(unknownField(doc, signer)), check: 'decode', refusal: 'unknown-field', note: 'body carries x-extension, correctly signed' },
    { name: 'trailing-bytes', documentHex: hex(Uint8Array.from([...encodeDocument(doc), 0x00])), check: 'decode', refusal: 'trailing-bytes', note: 'one byte after the document' }
  ]
}

function tariffRules (bd: Border): Json[] {
  const { a1, a2, b1 } = bd.tariffs
  const last = { seq: a2.body.seq, id: docId(a2), noticeMs: a2.body.noticeMs }
  const now = T0
  const skewMs = 30_000
  const future = must(sign(bd.k.a, 'tariff', { ...a2.body, seq: 3, previous: docId(a2), published: now + HOUR, effective: now + HOUR }))
  const inside = must(sign(bd.k.a, 'tariff', { ...a2.body, seq: 3, previous: docId(a2), noticeMs: HOUR, published: now, effective: now }))
  const fork = must(sign(bd.k.a, 'tariff', { ...a2.body, seq: 3, previous: docId(a1), published: now, effective: now }))
  const succession = (name: string, doc: Tariff, refusal: string, note: string): Json =>
    ({ name, documentHex: hex(encodeDocument(doc)), check: 'rule', rule: 'tariff-succession', context: { last, now, skewMs }, refusal, note })
  return [
    succession('stale', a1, 'stale-sequence', 'version 1 replayed after version 2 was accepted'),
    succession('duplicate', a2, 'duplicate', 'the current version again: ignored, not punished'),
    succession('previous-mismatch', fork, 'previous-mismatch', 'version 3 naming version 1 as its previous'),
    succession('inside-notice', inside, 'inside-notice', 'effective at once although it announces an hour of notice'),
    succession('future-published', future, 'future-published', 'published an hour after now, beyond the 30 s skew'),
    { name: 'wrong-issuer', documentHex: hex(encodeDocument(b1)), check: 'rule', rule: 'topic-issuer', context: { topicIssuer: bd.k.a.peerId }, refusal: 'wrong-issuer', note: 'B\'s genuine tariff on A\'s topic' }
  ]
}

function typeRules (type: DocType, doc: Document, bd: Border): Json[] {
  const hexOf = hex(encodeDocument(doc))
  switch (type) {
    case 'tariff': return tariffRules(bd)
    case 'usage-report':
      return [{ name: 'future-interval', documentHex: hexOf, check: 'rule', rule: 'report-time', context: { now: T0, skewMs: 30_000 }, refusal: 'future-interval', note: 'the interval has not ended at now' }]
    case 'usage-attestation':
    case 'settlement-statement':
      return [{ name: 'wrong-parties', documentHex: hexOf, check: 'rule', rule: 'attestation-parties', context: { border: [bd.k.a.peerId, bd.k.mallory.peerId] }, refusal: 'wrong-parties', note: 'received on a border it is not for' }]
    case 'quote':
      return [{ name: 'expired', documentHex: hexOf, check: 'rule', rule: 'quote-valid', context: { now: T0 + HOUR, skewMs: 30_000 }, refusal: 'expired', note: 'acted on at its expiry time' }]
    default:
      return []
  }
}

async function documentVectors (bd: Border): Promise<Files> {
  const k = bd.k
  const c = clearingBodies(k)
  const docs: { [T in DocType]: { doc: Document<T>, signer: Identity, extra?: Array<[string, Document]> } } = {
    tariff: { doc: bd.tariffs.a2, signer: k.a, extra: [['first version of A', bd.tariffs.a1], ['first version of B', bd.tariffs.b1]] },
    'usage-report': { doc: bd.reports.lo, signer: bd.lo, extra: [['report of the other side', bd.reports.hi]] },
    'usage-attestation': { doc: bd.attestation, signer: bd.lo, extra: [['half-signed (the responder\'s cosign answer)', bd.half]] },
    'settlement-statement': { doc: bd.statement, signer: bd.lo, extra: [['half-signed (the initiator\'s request)', bd.statementHalf]] },
    quote: { doc: must(sign(k.clearer, 'quote', c.quote)), signer: k.clearer },
    receipt: { doc: must(sign(k.b, 'receipt', c.receipt)), signer: k.b },
    consent: { doc: must(sign(k.a, 'consent', c.consent)), signer: k.a },
    'clearer-announcement': { doc: must(sign(k.clearer, 'clearer-announcement', c['clearer-announcement'])), signer: k.clearer },
    'clearing-statement': { doc: must(cosign(k.a, must(sign(k.clearer, 'clearing-statement', c['clearing-statement'])))), signer: k.clearer }
  }
  const out: Files = {}
  for (const type of DOC_TYPES) {
    const { doc, signer, extra } = docs[type] as { doc: Document, signer: Identity, extra?: Array<[string, Document]> }
    out[`documents/${type}.json`] = {
      type,
      maxBytes: MAX_DOCUMENT_BYTES[type],
      domainTagHex: hex(domainTag(type)),
      valid: [validVector('complete', doc), ...(extra ?? []).map(([n, d]) => validVector(n, d))],
      invalid: [...commonInvalid(doc, signer, k), ...typeRules(type, doc, bd)]
    }
  }
  return out
}

// ---- frame vectors -----------------------------------------------------------------------------

type Side = 'requester' | 'responder'

function requestStep (payload: object): Json {
  const bytes = dagCbor.encode(payload)
  return { from: 'requester' as Side, wireHex: hex(lengthPrefixed(bytes)), status: null, frameHex: hex(bytes), frame: jsonView(payload) }
}

function responseStep (payload: object): Json {
  const bytes = dagCbor.encode(payload)
  return { from: 'responder' as Side, wireHex: hex(lengthPrefixed(encodeOk(bytes))), status: Status.Ok, frameHex: hex(bytes), frame: jsonView(payload) }
}

function errorStep (status: typeof Status.Refused | typeof Status.Oversize | typeof Status.Malformed | typeof Status.Error, reason: string): Json {
  return { from: 'responder' as Side, wireHex: hex(lengthPrefixed(encodeError(status, reason))), status, reason }
}

function frameVectors (bd: Border): Files {
  const { lo, hi, tariffs } = bd
  const doc = (d: Document): Uint8Array => encodeDocument(d)
  const stream = (name: string, note: string, steps: Json[]): Json => ({ name, note, steps })
  const common = (protocol: string, limits: Json, exchanges: Json[], requester = lo, responder = hi): Json =>
    ({ protocol, limits, initiator: requester.peerId, responder: responder.peerId, exchanges })
  return {
    'frames/tariff-sync.json': common(PROTOCOLS.tariffSync, { requestBytes: 1024, responseBytes: MAX_FRAME_BYTES.tariffSync, timeoutMs: 10_000 }, [
      stream('current', 'B asks A for its current tariff (B is A\'s neighbour)', [requestStep({ k: 'current' }), responseStep({ k: 'tariff', doc: doc(tariffs.a2) })]),
      stream('previous', 'B walks back through previous to the version it lacks', [requestStep({ k: 'by-id', id: docId(tariffs.a1) }), responseStep({ k: 'tariff', doc: doc(tariffs.a1) })]),
      stream('unknown', 'an id A never issued', [requestStep({ k: 'by-id', id: ID_X }), responseStep({ k: 'none' })]),
      stream('stranger', 'a peer that is neither a neighbour nor a clearer of A: refused before the request is read', [requestStep({ k: 'current' }), errorStep(Status.Refused, 'not allowed')]),
      stream('oversize', 'a length prefix over 1024 bytes: refused before the body is read', [{ from: 'requester', wireHex: hex(Uint8Array.from([0x81, 0x08])), note: 'announces 1025 bytes' }, errorStep(Status.Oversize, 'request over 1024 bytes')])
    ], bd.k.b, bd.k.a),
    'frames/border.json': common(PROTOCOLS.border, { requestBytes: MAX_FRAME_BYTES.border, responseBytes: MAX_FRAME_BYTES.border, timeoutMs: 15_000 }, [
      stream('report', 'the lower PeerId sends its report; the other side answers with its own report and its half of the attestation', [
        requestStep({ k: 'report', doc: doc(bd.reports.lo), tolerance: '0.01' }),
        responseStep({ k: 'cosign', report: doc(bd.reports.hi), doc: doc(bd.half) })
      ]),
      stream('deliver', 'the initiator co-signs, stores, and delivers the attestation', [
        requestStep({ k: 'attestation', doc: doc(bd.attestation) }), responseStep({ k: 'ok' })
      ]),
      stream('get-attestation', 'either side fetches a co-signed attestation by interval start', [
        requestStep({ k: 'get-attestation', start: T0 }), responseStep({ k: 'attestation', doc: doc(bd.attestation) })
      ])
    ]),
    'frames/settle.json': common(PROTOCOLS.settle, { requestBytes: MAX_FRAME_BYTES.settle, responseBytes: MAX_FRAME_BYTES.settle, timeoutMs: 30_000 }, [
      stream('statement', 'the initiator sends its signed statement; the responder recomputes, co-signs, stores and answers', [
        requestStep({ k: 'statement', doc: doc(bd.statementHalf) }), responseStep({ k: 'statement', doc: doc(bd.statement) })
      ])
    ])
  }
}

// ---- all files ---------------------------------------------------------------------------------

export async function generateVectors (): Promise<Files> {
  const k = await keys()
  const bd = await border(k)
  const keyList = (['a', 'b', 'clearer', 'mallory'] as const).map(n => ({
    name: n,
    seedHex: hex(seedOf(n)),
    seedDerivation: `sha256(utf8("splitedge/vectors/v${VECTORS_VERSION}/${n}"))`,
    publicKeyHex: hex(k[n].publicKey),
    peerId: k[n].peerId
  }))
  return {
    'keys.json': { version: VECTORS_VERSION, note: 'Ed25519 secret keys are the seeds (RFC 8032); PeerId = base58btc identity multihash of the libp2p protobuf public key', keys: keyList },
    ...(await documentVectors(bd)),
    ...frameVectors(bd)
  }
}

/** The directory the vectors live in: docs/vectors/ at the repository root. */
export const VECTORS_DIR = fileURLToPath(new URL('../../../../../docs/vectors/', import.meta.url))

export async function writeVectors (dir = VECTORS_DIR): Promise<string[]> {
  const files = await generateVectors()
  for (const [name, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, name)), { recursive: true })
    await writeFile(join(dir, name), JSON.stringify(content, null, 2) + '\n')
  }
  return Object.keys(files)
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const written = await writeVectors()
  process.stdout.write(`wrote ${written.length} files to ${VECTORS_DIR}\n`)
}
