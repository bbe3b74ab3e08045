/**
 * Canonical bytes. Documents are DAG-CBOR (deterministic: sorted keys, shortest integers, no
 * floats here, no indefinite lengths). Decoding accepts only bytes that re-encode to themselves.
 */
import { createHash } from 'node:crypto'
import * as dagCbor from '@ipld/dag-cbor'
import { decodeFirst } from 'cborg'
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler'
import { ValueErrorType, type ValueError } from '@sinclair/typebox/errors'
import { CID } from 'multiformats/cid'
import * as Digest from 'multiformats/hashes/digest'
import {
  isKnownDocument, BODY_SCHEMAS, DOC_TYPES, MAX_ANY_DOCUMENT_BYTES, MAX_DOCUMENT_BYTES, WIRE_VERSION, envelopeSchema,
  type AnyDocument, type BodyOf, type DocType, type Document, type Signature
} from './documents.js'
import { WireError, type WireErrorCode } from './errors.js'
import { err, ok, type Result } from './result.js'
import { checkSemantics } from './semantics.js'
import { copyEncode, fastDecode, fastEncode } from './cbor.js'

const ENVELOPES = Object.fromEntries(DOC_TYPES.map(t => [t, TypeCompiler.Compile(envelopeSchema(t))])) as Record<DocType, TypeCheck<any>>
const BODIES = Object.fromEntries(DOC_TYPES.map(t => [t, TypeCompiler.Compile(BODY_SCHEMAS[t])])) as Record<DocType, TypeCheck<any>>

// Lenient on encoding forms (long integers, indefinite lengths, repeated keys) so that the
// re-encoding comparison, not the tokenizer, refuses them: every such case reads 'non-canonical'.
const DECODE_OPTIONS = { ...dagCbor.decodeOptions, strict: false, allowIndefinite: true, rejectDuplicateMapKeys: false }

const WRONG_KIND = new Set<ValueErrorType>([
  ValueErrorType.Array, ValueErrorType.Boolean, ValueErrorType.Integer, ValueErrorType.Null,
  ValueErrorType.Number, ValueErrorType.Object, ValueErrorType.String, ValueErrorType.Uint8Array,
  ValueErrorType.BigInt, ValueErrorType.Tuple
])

function schemaError (e: ValueError, prefix: string): WireError {
  const code: WireErrorCode = e.type === ValueErrorType.ObjectAdditionalProperties
    ? 'unknown-field'
    : WRONG_KIND.has(e.type) ? 'bad-type' : 'schema'
  return new WireError(code, e.message, prefix + e.path)
}

/** Is `type` a document type this package knows? */
export const isDocType = (type: unknown): type is DocType => typeof type === 'string' && Object.hasOwn(BODY_SCHEMAS, type)

/**
 * Check a body against its schema and invariants (what `sign` does before signing).
 * Paths in errors are relative to the document (`/body/...`).
 */
export function validateBody<T extends DocType> (type: T, body: unknown): Result<BodyOf<T>, WireError> {
  const check = BODIES[type]
  if (!check.Check(body)) {
    const first = check.Errors(body).First()
    return err(first === undefined ? new WireError('schema', 'invalid body', '/body') : schemaError(first, '/body'))
  }
  const doc: object = { type, v: WIRE_VERSION, body, sigs: [] }
  if (!isKnownDocument(doc)) return err(new WireError('unknown-type', `unknown document type ${String(type)}`))
  const fail = checkSemantics(doc)
  return fail === undefined ? ok(body as BodyOf<T>) : err(fail)
}

// Canonical message bytes per body object, for bodies this package built (frozen, so they cannot
// drift from their bytes). Verifying a decoded document then costs no re-encoding.
const messages = new WeakMap<object, Uint8Array>()
const ids = new WeakMap<object, string>()
const tags = new Map<string, Uint8Array>(DOC_TYPES.map(t => [t, new TextEncoder().encode(`splitedge/${t}/v${WIRE_VERSION}\0`)]))

/** The domain-separation tag signed before the body: utf8(`splitedge/<type>/v<v>\0`). */
export function domainTag (type: DocType): Uint8Array {
  const tag = tags.get(type)
  if (tag === undefined) throw new TypeError(`unknown document type ${String(type)}`)
  return tag
}

/** DAG-CBOR bytes of a body. */
export const encodeBody = (body: unknown): Uint8Array => fastEncode(body) ?? dagCbor.encode(body)

/** Domain tag then DAG-CBOR body, in one buffer. */
function messageOf (tag: Uint8Array, body: unknown, knownBytes?: Uint8Array): Uint8Array {
  if (knownBytes === undefined) {
    const fast = fastEncode(body, tag)
    if (fast !== undefined) return fast
  }
  const bytes = knownBytes ?? dagCbor.encode(body)
  const out = new Uint8Array(tag.length + bytes.length)
  out.set(tag, 0)
  out.set(bytes, tag.length)
  return out
}

/** The bytes every signer of `type`/`body` signs: domain tag, then the canonical body. */
export function signedMessage (type: DocType, body: object): Uint8Array {
  const cached = messages.get(body)
  if (cached !== undefined) return cached
  const out = messageOf(domainTag(type), body)
  if (Object.isFrozen(body)) messages.set(body, out)
  return out
}

/**
 * A deep copy made of plain objects and arrays, dropping undefined-valued properties (an absent
 * optional). Byte strings are kept as they are. Refuses nothing: validation comes after. With
 * `freeze`, every object and array of the copy is frozen as it is made.
 */
export function plainCopy<T> (v: T, freeze = false): T {
  if (typeof v !== 'object' || v === null || v instanceof Uint8Array) return v
  if (Array.isArray(v)) {
    const a = v.map(x => plainCopy(x, freeze))
    return (freeze ? Object.freeze(a) : a) as T
  }
  const out: Record<string, unknown> = {}
  for (const k of Object.keys(v)) {
    const x = (v as Record<string, unknown>)[k]
    if (x !== undefined) out[k] = plainCopy(x, freeze)
  }
  return (freeze ? Object.freeze(out) : out) as T
}

function deepFreeze<T> (v: T): T {
  if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) {
    for (const x of Object.values(v)) deepFreeze(x)
    Object.freeze(v)
  }
  return v
}

/**
 * A frozen canonical copy of a body (or, with `copy` false, the body itself frozen), with its
 * message bytes cached: what documents hold. Copying keeps the caller's object free to change;
 * freezing keeps the cache honest.
 */
export function adoptBody<T extends DocType> (
  type: T, body: BodyOf<T>, copy = true, knownBytes?: Uint8Array
): { body: BodyOf<T>, message: Uint8Array } {
  const held = deepFreeze(copy ? plainCopy(body) : body)
  const message = messageOf(domainTag(type), held, knownBytes)
  messages.set(held, message)
  return { body: held, message }
}

/**
 * A caller's body as documents hold it: a frozen plain copy (without undefined-valued optionals:
 * DAG-CBOR has no undefined), checked against its schema and invariants, with its message bytes
 * cached. What `sign` and `bodyId` start from. The copy and its bytes are made in one walk when
 * the fast codec can (see `copyEncode`), else as `plainCopy` then `adoptBody` make them.
 */
export function adoptInput<T extends DocType> (type: T, body: BodyOf<T>): Result<{ body: BodyOf<T>, message: Uint8Array }, WireError> {
  const fused = copyEncode(body, domainTag(type))
  const valid = validateBody(type, fused === undefined ? plainCopy(body, true) : fused.value)
  if (!valid.ok) return valid
  if (fused === undefined) return ok(adoptBody(type, valid.value, false))
  messages.set(valid.value, fused.bytes)
  return ok({ body: valid.value, message: fused.bytes })
}

/** Content id of a document: CIDv1 (dag-cbor, sha2-256) of its body, so co-signing keeps it. */
export function docId (doc: Pick<AnyDocument, 'type' | 'body'>): string {
  const cached = ids.get(doc.body)
  if (cached !== undefined) return cached
  const message = signedMessage(doc.type, doc.body)
  const bytes = message.subarray(domainTag(doc.type).length)
  const digest = Digest.create(0x12, createHash('sha256').update(bytes).digest())
  const id = CID.createV1(dagCbor.code, digest).toString()
  if (Object.isFrozen(doc.body)) ids.set(doc.body, id)
  return id
}

/** Canonical bytes of a whole document (envelope with signatures). */
export function encodeDocument (doc: AnyDocument | Document): Uint8Array {
  const env = { type: doc.type, v: doc.v, body: doc.body, sigs: doc.sigs.map(s => ({ signer: s.signer, sig: s.sig })) }
  return fastEncode(env) ?? dagCbor.encode(env)
}

function sameBytes (a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0
}

// A canonical envelope starts: map(4), "v", 1, "body" (DAG-CBOR orders keys by length, then
// bytewise: v, body, sigs, type), and ends with "sigs" and "type" and their values.
const ENVELOPE_HEAD = Uint8Array.from([0xa4, 0x61, 0x76, WIRE_VERSION, 0x64, 0x62, 0x6f, 0x64, 0x79])

/** The body's canonical bytes inside canonical envelope bytes (a copy), or undefined if not found. */
function bodyBytesOf (bytes: Uint8Array, doc: AnyDocument): Uint8Array | undefined {
  const tail = dagCbor.encode({ sigs: doc.sigs, type: doc.type }).subarray(1) // drop the map header
  const end = bytes.length - tail.length
  if (end <= ENVELOPE_HEAD.length) return undefined
  if (!sameBytes(bytes.subarray(0, ENVELOPE_HEAD.length), ENVELOPE_HEAD) || !sameBytes(bytes.subarray(end), tail)) return undefined
  return bytes.slice(ENVELOPE_HEAD.length, end)
}

/**
 * The value of bytes that must be one complete canonical DAG-CBOR item: the fast strict decoder
 * when it can tell, else cborg and the re-encoding comparison (which name what is wrong).
 */
function readCanonical (bytes: Uint8Array): Result<{ value: unknown, body?: Uint8Array | undefined }, WireError> {
  const fast = fastDecode(bytes)
  if (fast !== undefined) return ok(fast)
  let value: unknown
  let rest: Uint8Array
  try {
    [value, rest] = decodeFirst(bytes, DECODE_OPTIONS)
  } catch (e) {
    // cborg reports every decoding failure (and a stack overflow on absurd nesting) by throwing.
    return err(new WireError('malformed', e instanceof Error ? e.message : 'undecodable CBOR'))
  }
  if (rest.length > 0) return err(new WireError('trailing-bytes', `${rest.length} bytes after the document`))
  let again: Uint8Array
  try {
    again = dagCbor.encode(value)
  } catch (e) {
    return err(new WireError('non-canonical', e instanceof Error ? e.message : 'does not re-encode'))
  }
  if (!sameBytes(again, bytes)) return err(new WireError('non-canonical', 'bytes differ from the canonical DAG-CBOR encoding'))
  return ok({ value })
}

/**
 * Decode and validate a document. Refuses, in this order: oversize input (before decoding),
 * malformed CBOR, trailing bytes, non-canonical encoding, unknown type, wrong type, bad version,
 * per-type oversize, schema violations (unknown field, bad type, bad value), broken invariants,
 * unsorted or repeated signers. Signatures are not checked here: see `verifyDocument`.
 */
export function decodeDocument<T extends DocType = DocType> (bytes: Uint8Array, expectedType?: T): Result<Document<T>, WireError>
export function decodeDocument (bytes: Uint8Array, expectedType?: DocType): Result<AnyDocument, WireError> {
  if (!(bytes instanceof Uint8Array)) return err(new WireError('bad-type', 'input must be a Uint8Array'))
  const limit = expectedType === undefined ? MAX_ANY_DOCUMENT_BYTES : MAX_DOCUMENT_BYTES[expectedType]
  if (bytes.length > limit) return err(new WireError('oversize', `${bytes.length} bytes exceeds the limit of ${limit}`))

  const read = readCanonical(bytes)
  if (!read.ok) return read
  const { value } = read.value

  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Uint8Array) {
    return err(new WireError('bad-type', 'a document is a map'))
  }
  const env = value as Record<string, unknown>
  const type = env['type']
  if (typeof type !== 'string') return err(new WireError('bad-type', 'type must be a string', '/type'))
  if (!isDocType(type)) return err(new WireError('unknown-type', `unknown document type ${JSON.stringify(type.slice(0, 40))}`, '/type'))
  if (expectedType !== undefined && type !== expectedType) {
    return err(new WireError('wrong-type', `expected ${expectedType}, got ${type}`, '/type'))
  }
  if (env['v'] !== WIRE_VERSION) return err(new WireError('bad-version', `unsupported version ${String(env['v']).slice(0, 20)} of ${type}`, '/v'))
  if (bytes.length > MAX_DOCUMENT_BYTES[type]) {
    return err(new WireError('oversize', `${bytes.length} bytes exceeds the ${type} limit of ${MAX_DOCUMENT_BYTES[type]}`))
  }

  const check = ENVELOPES[type]
  if (!check.Check(env)) {
    const first = check.Errors(env).First()
    return err(first === undefined ? new WireError('schema', 'invalid document') : schemaError(first, ''))
  }
  if (!isKnownDocument(env)) return err(new WireError('unknown-type', 'unknown document type'))
  const doc = env
  const fail = checkSemantics(doc)
  if (fail !== undefined) return err(fail)
  const sigs = doc.sigs
  for (let i = 1; i < sigs.length; i++) {
    const a = (sigs[i - 1] as Signature).signer
    const b = (sigs[i] as Signature).signer
    if (a === b) return err(new WireError('duplicate-signer', `${b} signed twice`, `/sigs/${i}`))
    if (a > b) return err(new WireError('non-canonical', 'signatures must be sorted by signer', `/sigs/${i}`))
  }

  // The decoded body is ours alone: freeze it in place instead of copying, and take its
  // canonical bytes from the input rather than encoding it again.
  const { body } = adoptBody(type, doc.body, false, read.value.body ?? bodyBytesOf(bytes, doc))
  // Copy signatures out of the input buffer, which the caller may reuse.
  const copied = sigs.map(s => Object.freeze({ signer: s.signer, sig: new Uint8Array(s.sig) }))
  return ok(Object.freeze({ type, v: WIRE_VERSION, body, sigs: Object.freeze(copied) }) as AnyDocument)
}
