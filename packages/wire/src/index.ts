/**
 * @splitedge/wire: the signed documents of docs/protocol.md and the rules that reject bad ones.
 *
 * - document types, one TypeBox schema per body, size limits: `documents.ts`, `pricing-schema.ts`
 * - canonical DAG-CBOR bytes, content ids, strict decoding with typed errors: `canonical.ts`
 * - Ed25519 identities (libp2p keys, PeerIds), node:crypto signing: `identity.ts`, `keyfile.ts`
 * - signing, co-signing, verifying (domain tag `splitedge/<type>/v1\0`): `signing.ts`
 * - acceptance rules beyond the signature, pure, returning result codes: `rules.ts`
 * - a signed tariff as the model's `PricingTariff`: `tariff.ts`
 */
export { ok, err, type Result } from './result.js'
export { WireError, type WireErrorCode, KeyFileError, type KeyFileErrorCode } from './errors.js'
export { REFUSALS, isRefusal, type Refusal, type Refusals } from './refusals.js'
export * from './primitives.js'
export * from './pricing-schema.js'
export * from './documents.js'
export {
  encodeBody, encodeDocument, decodeDocument, validateBody, docId, domainTag, signedMessage, isDocType
} from './canonical.js'
export { checkSemantics, expectedSigners } from './semantics.js'
export {
  type Identity, identityFromPrivateKey, identityFromSeed, generateIdentity, verifyRaw, verifyKeyOf,
  publicKeyOf, privateKeyObject, publicKeyObject, signCounts
} from './identity.js'
export { sign, bodyId, cosign, mergeSignatures, verifyDocument, verifyCounts, requiredSigners } from './signing.js'
export { saveKeyFile, loadKeyFile, generateKeyFile, KEY_FILE_MODE } from './keyfile.js'
export {
  checkTariffSuccession, checkTopicIssuer, checkReportTime, checkAttestationParties, checkQuoteValid,
  DEFAULT_SKEW_MS, type AcceptedTariff, type RuleCode, type Verdict
} from './rules.js'
export { tariffToPricing } from './tariff.js'
// The fast canonical DAG-CBOR codec for the plain subset documents and frames use (general path: @ipld/dag-cbor).
export { fastDecode, fastEncode } from './cbor.js'
