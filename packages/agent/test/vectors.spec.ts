/**
 * The conformance vectors of docs/vectors/ against the real decoder, verifier, rules and frame
 * schemas, so the specification (docs/protocol.md) and the code cannot drift apart:
 *
 * - every valid document decodes, re-encodes to its bytes, has its id (computed here
 *   independently: CIDv1 dag-cbor sha2-256 of the body bytes) and verifies, with the signature
 *   checked here too, by node:crypto over utf8("splitedge/<type>/v1\0") || body, from keys.json;
 * - every invalid document is refused with its code at its stage (decode, verify or rule);
 * - every frame of the tariff-sync, border and settle exchanges parses as a shortest-form
 *   length-prefixed frame and decodes against its protocol's schema, documents inside verifying;
 * - the committed files are exactly what the generator writes from the code today.
 */
import assert from 'node:assert/strict'
import { createHash, createPublicKey, verify } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { CID } from 'multiformats/cid'
import * as Digest from 'multiformats/hashes/digest'
import {
  DOC_TYPES, checkAttestationParties, checkQuoteValid, checkReportTime, checkTariffSuccession, checkTopicIssuer, decodeDocument,
  docId, encodeDocument, requiredSigners, verifyDocument, type AnyDocument, type DocType, type Verdict
} from '@splitedge/wire'
import { Status } from '@splitedge/node'
import {
  BorderRequest, BorderResponse, PROTOCOLS, SettleRequest, SettleResponse, TariffSyncRequest, TariffSyncResponse, decodeFrame
} from '@splitedge/node'
import { VECTORS_DIR, generateVectors, jsonView, type Json } from './vectors/generate.js'

const bytes = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h, 'hex'))
const load = async (name: string): Promise<any> => JSON.parse(await readFile(join(VECTORS_DIR, name), 'utf8')) // eslint-disable-line @typescript-eslint/no-explicit-any

interface KeyEntry { name: string, seedHex: string, publicKeyHex: string, peerId: string }
interface Invalid { name: string, documentHex?: string, document?: { repeat: string, length: number }, check: 'decode' | 'verify' | 'rule', rule?: string, context?: any, refusal: string } // eslint-disable-line @typescript-eslint/no-explicit-any

const SPKI = Buffer.from('302a300506032b6570032100', 'hex')

/** Ed25519 over the domain tag and the body, with the raw key from keys.json: no wire code involved. */
function independentlyVerified (type: DocType, bodyHex: string, sig: Uint8Array, publicKeyHex: string): boolean {
  const key = createPublicKey({ key: Buffer.concat([SPKI, Buffer.from(publicKeyHex, 'hex')]), format: 'der', type: 'spki' })
  const message = Buffer.concat([Buffer.from(`splitedge/${type}/v1\0`, 'utf8'), Buffer.from(bodyHex, 'hex')])
  return verify(null, message, key, sig)
}

function bodyCid (bodyHex: string): string {
  return CID.createV1(0x71, Digest.create(0x12, createHash('sha256').update(Buffer.from(bodyHex, 'hex')).digest())).toString()
}

function applyRule (v: Invalid, doc: AnyDocument): Verdict {
  const c = v.context
  switch (v.rule) {
    case 'tariff-succession': return checkTariffSuccession(c.last, doc as never, c.now, c.skewMs)
    case 'topic-issuer': return checkTopicIssuer(doc as never, c.topicIssuer)
    case 'report-time': return checkReportTime((doc as never as { body: { interval: { start: number, length: number } } }).body.interval, c.now, c.skewMs)
    case 'attestation-parties': return checkAttestationParties(doc as never, c.border)
    case 'quote-valid': return checkQuoteValid(doc as never, c.now, c.skewMs)
    default: throw new Error(`unknown rule ${String(v.rule)} in vector ${v.name}`)
  }
}

describe('conformance vectors (docs/vectors)', function () {
  let keys: KeyEntry[]
  const keyOf = (peerId: string): KeyEntry => {
    const k = keys.find(x => x.peerId === peerId)
    assert.ok(k, `signer ${peerId} is in keys.json`)
    return k
  }

  before(async () => { keys = (await load('keys.json')).keys })

  it('publishes deterministic keys: seed -> public key -> PeerId', async () => {
    for (const k of keys) {
      assert.equal(k.seedHex, createHash('sha256').update(`splitedge/vectors/v1/${k.name}`).digest('hex'))
    }
    assert.deepEqual(keys.map(k => k.name), ['a', 'b', 'clearer', 'mallory'])
  })

  for (const type of DOC_TYPES) {
    it(`${type}: valid documents decode, re-encode, have their id and verify`, async () => {
      const file = await load(`documents/${type}.json`)
      assert.equal(file.type, type)
      assert.ok(file.valid.length >= 1)
      for (const v of file.valid) {
        const d = decodeDocument(bytes(v.documentHex), type)
        assert.ok(d.ok, `${v.name}: ${d.ok ? '' : d.error.message}`)
        assert.equal(Buffer.from(encodeDocument(d.value)).toString('hex'), v.documentHex, `${v.name}: canonical`)
        assert.equal(docId(d.value), v.id, `${v.name}: id`)
        assert.equal(bodyCid(v.bodyHex), v.id, `${v.name}: the id is the CID of the body bytes alone`)
        assert.deepEqual(jsonView(d.value.body), v.body)
        assert.deepEqual(d.value.sigs.map(s => s.signer), v.signers)
        const complete = [...requiredSigners(d.value as AnyDocument)].sort().join() === [...v.signers].sort().join()
        assert.ok(verifyDocument(d.value as AnyDocument, complete ? undefined : v.signers).ok, `${v.name}: verifies`)
        for (const s of d.value.sigs) assert.ok(independentlyVerified(type, v.bodyHex, s.sig, keyOf(s.signer).publicKeyHex), `${v.name}: signature of ${s.signer}`)
      }
    })

    it(`${type}: invalid documents are refused with their code`, async () => {
      const file = await load(`documents/${type}.json`)
      const names = file.invalid.map((v: Invalid) => v.name)
      for (const required of ['non-canonical', 'bad-signature', 'wrong-signer', 'oversize', 'unknown-field']) assert.ok(names.includes(required), `${type} has a ${required} vector`)
      for (const v of file.invalid as Invalid[]) {
        const input = v.document !== undefined ? new Uint8Array(v.document.length).fill(Number.parseInt(v.document.repeat, 16)) : bytes(v.documentHex as string)
        const d = decodeDocument(input, type)
        if (v.check === 'decode') {
          assert.ok(!d.ok && d.error.code === v.refusal, `${v.name}: ${d.ok ? 'decoded' : d.error.code}`)
          continue
        }
        assert.ok(d.ok, `${v.name}: decodes (${d.ok ? '' : d.error.message})`)
        const sig = verifyDocument(d.value)
        if (v.check === 'verify') {
          assert.ok(!sig.ok && sig.error.code === v.refusal, `${v.name}: ${sig.ok ? 'verified' : sig.error.code}`)
          continue
        }
        assert.ok(sig.ok, `${v.name}: verifies`)
        const verdict = applyRule(v, d.value as AnyDocument)
        assert.ok(!verdict.ok && verdict.reason === v.refusal, `${v.name}: ${JSON.stringify(verdict)}`)
      }
    })
  }

  const schemas = {
    [PROTOCOLS.tariffSync]: { file: 'tariff-sync', request: TariffSyncRequest, response: TariffSyncResponse },
    [PROTOCOLS.border]: { file: 'border', request: BorderRequest, response: BorderResponse },
    [PROTOCOLS.settle]: { file: 'settle', request: SettleRequest, response: SettleResponse }
  }

  for (const [protocol, s] of Object.entries(schemas)) {
    it(`${s.file}: every frame of the exchange parses and decodes against ${protocol}`, async () => {
      const file = await load(`frames/${s.file}.json`)
      assert.equal(file.protocol, protocol)
      for (const ex of file.exchanges) {
        for (const step of ex.steps) checkStep(step, step.from === 'requester' ? s.request : s.response, file.limits, `${ex.name}/${step.from}`)
      }
    })
  }

  function checkStep (step: any, schema: any, limits: { requestBytes: number, responseBytes: number }, at: string): void { // eslint-disable-line @typescript-eslint/no-explicit-any
    const wire = bytes(step.wireHex)
    let length = 0
    let i = 0
    for (let scale = 1; ; scale *= 128, i++) {
      const b = wire[i] as number
      assert.ok(!(i > 0 && b === 0), `${at}: shortest-form length`)
      length += (b & 0x7f) * scale
      if ((b & 0x80) === 0) { i++; break }
    }
    const limit = step.from === 'requester' ? limits.requestBytes : limits.responseBytes + 1
    if (step.frameHex === undefined && step.reason === undefined) {
      assert.ok(length > limit, `${at}: announces more than the limit`)
      return
    }
    assert.equal(wire.length - i, length, `${at}: the length prefix covers the frame exactly`)
    assert.ok(length <= limit, `${at}: within the limit`)
    let frame = wire.subarray(i)
    if (step.from === 'responder') {
      assert.equal(frame[0], step.status, `${at}: status byte`)
      if (step.status !== Status.Ok) {
        assert.equal(Buffer.from(frame.subarray(1)).toString('utf8'), step.reason)
        return
      }
      frame = frame.subarray(1)
    }
    assert.equal(Buffer.from(frame).toString('hex'), step.frameHex)
    const decoded = decodeFrame(schema, frame) as Record<string, unknown>
    assert.deepEqual(jsonView(decoded), step.frame as Json, `${at}: decoded frame`)
    for (const key of ['doc', 'report']) {
      const inner = decoded[key]
      if (!(inner instanceof Uint8Array)) continue
      const d = decodeDocument(inner)
      assert.ok(d.ok, `${at}: ${key} decodes`)
      assert.ok(verifyDocument(d.value, d.value.sigs.map(x => x.signer)).ok, `${at}: ${key} verifies`)
    }
  }

  it('are exactly what the generator writes from the code today (re-run it after a schema change)', async function () {
    this.timeout(20_000)
    const files = await generateVectors()
    for (const [name, content] of Object.entries(files)) {
      assert.deepEqual(await load(name), JSON.parse(JSON.stringify(content)), `${name} is stale: run node packages/agent/dist/test/vectors/generate.js`)
    }
  })
})
