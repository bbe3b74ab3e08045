/**
 * Signing, co-signing and verifying documents. A signature is Ed25519 over
 * utf8(`splitedge/<type>/v1\0`) || dagCbor(body); co-signers sign the same bytes.
 */
import { verify as cryptoVerify } from 'node:crypto'
import { adoptInput, docId, domainTag, signedMessage } from './canonical.js'
import { MAX_DOCUMENT_BYTES, WIRE_VERSION, type AnyDocument, type BodyOf, type DocType, type Document, type Signature } from './documents.js'
import { WireError } from './errors.js'
import type { Identity } from './identity.js'
import { verifyKeyOf } from './identity.js'
import { err, ok, type Result } from './result.js'
import { expectedSigners } from './semantics.js'

// Envelope overhead beyond the body: type, version, two signatures with their signer ids.
const ENVELOPE_OVERHEAD = 512

/**
 * Process-wide tally of verification work, for simulators and benchmarks that run many agents in
 * one process (plain numbers: one increment per call, nothing else on the hot path).
 */
const tally = { documents: 0, signatures: 0 }

/** Documents passed to `verifyDocument` and Ed25519 signatures checked, since the process started. */
export function verifyCounts (): { documents: number, signatures: number } {
  return { ...tally }
}

const sortSigs = (sigs: readonly Signature[]): readonly Signature[] =>
  Object.freeze([...sigs].sort((a, b) => (a.signer < b.signer ? -1 : a.signer > b.signer ? 1 : 0)))

/** The signers a document needs: its issuer, or both agents of its border. */
export const requiredSigners = (doc: AnyDocument | Document): readonly string[] => expectedSigners(doc.type, doc.body)

/**
 * Validate `body` and sign it as `identity`, which must be one of the document's signers.
 * The document holds a frozen copy of the body. Co-signed types come back half-signed:
 * the other party adds theirs with `cosign`, or both halves are joined with `mergeSignatures`.
 */
export function sign<T extends DocType> (identity: Identity, type: T, body: BodyOf<T>): Result<Document<T>, WireError> {
  // Work on a frozen plain copy without undefined-valued optionals (DAG-CBOR has no undefined).
  const valid = adoptInput(type, body)
  if (!valid.ok) return valid
  const adopted = valid.value
  if (!expectedSigners(type, adopted.body).includes(identity.peerId)) {
    return err(new WireError('unexpected-signer', `${identity.peerId} is not a signer of this ${type}`, '/sigs'))
  }
  const size = adopted.message.length - domainTag(type).length + ENVELOPE_OVERHEAD
  if (size > MAX_DOCUMENT_BYTES[type]) {
    return err(new WireError('oversize', `${type} of about ${size} bytes exceeds the limit of ${MAX_DOCUMENT_BYTES[type]}`))
  }
  const sig = identity.sign(adopted.message)
  return ok(Object.freeze({ type, v: WIRE_VERSION, body: adopted.body, sigs: Object.freeze([Object.freeze({ signer: identity.peerId, sig })]) }))
}

/**
 * The id `sign` would give this body (checked as `sign` checks it), without signing: to compare
 * the body we compute with a document a neighbour signed before we sign anything ourselves.
 */
export function bodyId<T extends DocType> (type: T, body: BodyOf<T>): Result<string, WireError> {
  const valid = adoptInput(type, body)
  if (!valid.ok) return valid
  return ok(docId({ type, body: valid.value.body }))
}

/** Add `identity`'s signature to a document it must co-sign. Existing signatures are kept as they are. */
export function cosign<T extends DocType> (identity: Identity, doc: Document<T>): Result<Document<T>, WireError> {
  if (!expectedSigners(doc.type, doc.body).includes(identity.peerId)) {
    return err(new WireError('unexpected-signer', `${identity.peerId} is not a signer of this ${doc.type}`, '/sigs'))
  }
  if (doc.sigs.some(s => s.signer === identity.peerId)) {
    return err(new WireError('duplicate-signer', `${identity.peerId} has already signed`, '/sigs'))
  }
  const sig = identity.sign(signedMessage(doc.type, doc.body))
  return ok(Object.freeze({ ...doc, sigs: sortSigs([...doc.sigs, Object.freeze({ signer: identity.peerId, sig })]) }))
}

/**
 * Join the signatures of two copies of one document (same type and canonical body), e.g. each
 * border party's half-signed attestation. Signatures are not verified here.
 */
export function mergeSignatures<T extends DocType> (a: Document<T>, b: Document<T>): Result<Document<T>, WireError> {
  const ma = signedMessage(a.type, a.body)
  const mb = signedMessage(b.type, b.body)
  if (a.type !== b.type || Buffer.compare(ma, mb) !== 0) {
    return err(new WireError('schema', 'the two copies differ: they are not the same document', '/body'))
  }
  const bySigner = new Map<string, Signature>()
  for (const s of [...a.sigs, ...b.sigs]) {
    const seen = bySigner.get(s.signer)
    if (seen !== undefined && Buffer.compare(seen.sig, s.sig) !== 0) {
      return err(new WireError('duplicate-signer', `${s.signer} signed twice with different signatures`, '/sigs'))
    }
    bySigner.set(s.signer, s)
  }
  return ok(Object.freeze({ ...a, sigs: sortSigs([...bySigner.values()]) }))
}

/**
 * Check a document's signatures: every signature present verifies over the same canonical bytes,
 * each signer is one the document names (issuer or border agent) and signs once, and every
 * signer in `required` (default: all the document's signers) has signed. Pass a subset as
 * `required` to accept a half-signed co-signed document.
 */
export function verifyDocument (doc: AnyDocument | Document, required?: readonly string[]): Result<true, WireError> {
  const allowed = expectedSigners(doc.type, doc.body)
  const need = required ?? allowed
  const message = signedMessage(doc.type, doc.body)
  const sigs = doc.sigs
  tally.documents++
  for (let i = 0; i < sigs.length; i++) {
    const s = sigs[i] as Signature
    if (!allowed.includes(s.signer)) return err(new WireError('unexpected-signer', `${s.signer} is not a signer of this ${doc.type}`, `/sigs/${i}`))
    for (let j = 0; j < i; j++) {
      if ((sigs[j] as Signature).signer === s.signer) return err(new WireError('duplicate-signer', `${s.signer} signed twice`, `/sigs/${i}`))
    }
    const key = verifyKeyOf(s.signer)
    if (key === null) return err(new WireError('bad-signature', `${s.signer} is not an Ed25519 PeerId`, `/sigs/${i}/signer`))
    tally.signatures++
    if (s.sig.length !== 64 || !cryptoVerify(null, message, key, s.sig)) {
      return err(new WireError('bad-signature', `signature of ${s.signer} does not verify`, `/sigs/${i}/sig`))
    }
  }
  for (const signer of need) {
    if (!sigs.some(s => s.signer === signer)) return err(new WireError('missing-signature', `${signer} has not signed`, '/sigs'))
  }
  return ok(true)
}
