/**
 * The crypto limit's rates: raw node:crypto Ed25519 signs and verifies per second on one core,
 * with prebuilt KeyObjects, over bytes the size of an attestation's signed message. Measured in
 * the same run as the load (before the agent starts and after it stops: the mean of the two).
 */
import { generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto'

export interface CryptoRates { signPerS: number, verifyPerS: number }

function rate (op: () => unknown, ms: number): number {
  const t0 = performance.now()
  let n = 0
  let t = t0
  while (t - t0 < ms) {
    for (let i = 0; i < 32; i++) op()
    n += 32
    t = performance.now()
  }
  return n / ((t - t0) / 1000)
}

export function cryptoRates (ms = 1000, messageBytes = 700): CryptoRates {
  const { privateKey: priv, publicKey: pub } = generateKeyPairSync('ed25519')
  const message = randomBytes(messageBytes)
  const sig = sign(null, message, priv)
  if (!verify(null, message, pub, sig)) throw new Error('raw Ed25519 verify failed')
  rate(() => sign(null, message, priv), ms / 10)
  return {
    signPerS: rate(() => sign(null, message, priv), ms),
    verifyPerS: rate(() => verify(null, message, pub, sig), ms)
  }
}

/** Border-intervals per second one core could do with only the agent's Ed25519 work. */
export function cryptoLimit (signs: number, verifies: number, r: CryptoRates): number {
  return 1 / (signs / r.signPerS + verifies / r.verifyPerS)
}
