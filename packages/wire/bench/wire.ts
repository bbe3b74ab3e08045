// `npm run bench -- wire [seconds-per-sample]`: signing, verifying and decode + verify throughput of
// the package's API against raw node:crypto Ed25519 on the same bytes in the same run (and
// @noble/ed25519 for reference). Prints one line per measurement, then one JSON object as the last line of stdout.
import { createHash, sign as cryptoSign, verify as cryptoVerify } from 'node:crypto'
import { loadavg } from 'node:os'
import * as ed from '@noble/ed25519'
import {
  cosign, decodeDocument, encodeDocument, privateKeyObject, publicKeyObject, sign, signedMessage, verifyDocument
} from '../src/index.js'
import { attestationBody, must, parties, tariffBody } from '../test/fixtures.js'

ed.hashes.sha512 = (m: Uint8Array) => new Uint8Array(createHash('sha512').update(m).digest())
const gc = (globalThis as { gc?: () => void }).gc
const sampleSeconds = Number(process.argv[2] ?? '0.5')
const ROUNDS = 7
const BATCH = 16

/**
 * Rates of several operations measured together: batches of BATCH calls of each in turn, each
 * batch timed on its own, so a change in machine load (other processes) hits all of them alike.
 * Repeated for ROUNDS rounds; returns each operation's rate per round, by the wall clock and, under
 * `cpu:<name>`, by the main thread's CPU time (which time spent descheduled does not inflate).
 */
function measure (ops: Record<string, () => unknown>, seconds = sampleSeconds): Record<string, number[]> {
  const names = Object.keys(ops)
  const samples: Record<string, number[]> = Object.fromEntries(names.flatMap(k => [[k, []], [`cpu:${k}`, []]]))
  for (let r = 0; r < ROUNDS; r++) {
    gc?.()
    const spent = new Map<string, bigint>(names.map(k => [k, 0n]))
    const cpu = new Map<string, number>(names.map(k => [k, 0]))
    const calls = new Map<string, number>(names.map(k => [k, 0]))
    const budget = BigInt(Math.round(seconds * 1e9)) * BigInt(names.length)
    const start = process.hrtime.bigint()
    while (process.hrtime.bigint() - start < budget) {
      for (const name of names) {
        const op = ops[name] as () => unknown
        const c = process.threadCpuUsage()
        const t = process.hrtime.bigint()
        for (let i = 0; i < BATCH; i++) op()
        spent.set(name, (spent.get(name) ?? 0n) + process.hrtime.bigint() - t)
        const used = process.threadCpuUsage(c)
        cpu.set(name, (cpu.get(name) ?? 0) + used.user + used.system)
        calls.set(name, (calls.get(name) ?? 0) + BATCH)
      }
    }
    for (const name of names) {
      samples[name]?.push((calls.get(name) ?? 0) / (Number(spent.get(name)) / 1e9))
      samples[`cpu:${name}`]?.push((calls.get(name) ?? 0) / ((cpu.get(name) ?? 0) / 1e6))
    }
  }
  return samples
}

function median (xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? NaN
}

/** Median over rounds of the per-round ratio a/b (each round measured both under the same load). */
const ratioOf = (a: readonly number[], b: readonly number[], scale = 1): number =>
  Math.round(median(a.map((x, i) => x / ((b[i] ?? NaN) * scale))) * 1000) / 1000

const round = (x: number): number => Math.round(x)

async function main (): Promise<void> {
  const p = await parties()
  const tariffInput = tariffBody(p)
  const attInput = attestationBody(p)

  // What a receiver holds: documents decoded from the wire.
  const tariff = must(decodeDocument(encodeDocument(must(sign(p.a, 'tariff', tariffInput))), 'tariff'))
  const cosigned = must(cosign(p.hi, must(sign(p.lo, 'usage-attestation', attInput))))
  const attestation = must(decodeDocument(encodeDocument(cosigned), 'usage-attestation'))
  const tariffBytes = encodeDocument(tariff)
  const attBytes = encodeDocument(attestation)
  if (!verifyDocument(tariff).ok || !verifyDocument(attestation).ok) throw new Error('bench documents do not verify')

  // Raw node:crypto on exactly the bytes the package signs, with prebuilt KeyObjects.
  const message = signedMessage('tariff', tariff.body)
  const seed = createHash('sha256').update('splitedge-test-1').digest()
  const priv = privateKeyObject(seed)
  const pub = publicKeyObject(p.a.publicKey)
  const tariffSig = (tariff.sigs[0] as { sig: Uint8Array }).sig
  if (!cryptoVerify(null, message, pub, tariffSig)) throw new Error('raw verify failed')
  const nobleSig = ed.sign(message, seed)

  const verify = measure({
    node_crypto_verify: () => cryptoVerify(null, message, pub, tariffSig),
    verify: () => verifyDocument(tariff),
    attestation_verify: () => verifyDocument(attestation)
  })
  const show = (rates: Record<string, number[]>): void => {
    for (const [k, v] of Object.entries(rates)) if (!k.startsWith('cpu:')) console.log(`${k}: ${round(median(v))}/s`)
  }
  show(verify)
  const signing = measure({
    node_crypto_sign: () => cryptoSign(null, message, priv),
    sign: () => sign(p.a, 'tariff', tariffInput),
    attestation_sign: () => sign(p.lo, 'usage-attestation', attInput)
  })
  show(signing)
  // Measured beside raw verify of the same message, so decode_verify_ratio compares like with like.
  const decoding = measure({
    node_crypto_verify_dv: () => cryptoVerify(null, message, pub, tariffSig),
    decode_verify: () => { const d = decodeDocument(tariffBytes, 'tariff'); if (d.ok) verifyDocument(d.value) },
    attestation_decode_verify: () => { const d = decodeDocument(attBytes, 'usage-attestation'); if (d.ok) verifyDocument(d.value) }
  })
  show(decoding)
  const noble = measure({
    noble_verify: () => ed.verify(nobleSig, message, p.a.publicKey),
    noble_sign: () => ed.sign(message, seed)
  }, sampleSeconds / 2)
  show(noble)

  const r = { ...verify, ...signing, ...decoding, ...noble } as Record<string, number[]>
  const all = (k: string): number[] => r[k] ?? []
  const get = (k: string): number => median(all(k))
  console.log(JSON.stringify({
    bench: 'wire',
    node: process.version,
    // One-minute load average at the end (2 cores shared with other work: see the cpu_ ratios).
    load: Math.round((loadavg()[0] ?? NaN) * 100) / 100,
    sample_seconds: sampleSeconds,
    rounds: ROUNDS,
    tariff_bytes: tariffBytes.length,
    attestation_bytes: attBytes.length,
    verify_per_s: round(get('verify')),
    node_crypto_verify_per_s: round(get('node_crypto_verify')),
    verify_ratio: ratioOf(all('verify'), all('node_crypto_verify')),
    sign_per_s: round(get('sign')),
    node_crypto_sign_per_s: round(get('node_crypto_sign')),
    sign_ratio: ratioOf(all('sign'), all('node_crypto_sign')),
    attestation_verify_per_s: round(get('attestation_verify')),
    // Two signatures each: compare with half the raw rate.
    attestation_verify_ratio: ratioOf(all('attestation_verify'), all('node_crypto_verify'), 0.5),
    attestation_sign_per_s: round(get('attestation_sign')),
    decode_verify_per_s: round(get('decode_verify')),
    // Decode (size, canonical form, schema, invariants) and verify through the package, against raw
    // node:crypto verify of the same signed bytes with a prebuilt KeyObject.
    decode_verify_ratio: ratioOf(all('decode_verify'), all('node_crypto_verify_dv')),
    attestation_decode_verify_per_s: round(get('attestation_decode_verify')),
    noble_verify_per_s: round(get('noble_verify')),
    noble_sign_per_s: round(get('noble_sign')),
    // The same three ratios by the main thread's CPU time per batch instead of the wall clock: a
    // process descheduled in the middle of a batch (a loaded machine) does not count that time, but
    // neither does V8's background GC work, which the wall-clock ratios pay for when cores are busy.
    cpu_verify_ratio: ratioOf(all('cpu:verify'), all('cpu:node_crypto_verify')),
    cpu_sign_ratio: ratioOf(all('cpu:sign'), all('cpu:node_crypto_sign')),
    cpu_decode_verify_ratio: ratioOf(all('cpu:decode_verify'), all('cpu:node_crypto_verify_dv'))
  }))
}

main().catch((e: unknown) => {
  console.error(e)
  process.exit(1)
})
