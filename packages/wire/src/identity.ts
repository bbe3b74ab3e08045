/**
 * Ed25519 identities. An agent's key is its libp2p Ed25519 private key and its PeerId names it
 * as a signer. Signing and verifying go through node:crypto with KeyObjects built once per key.
 */
import { createPrivateKey, createPublicKey, sign as cryptoSign, verify as cryptoVerify, type KeyObject } from 'node:crypto'
import { generateKeyPair, generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import type { Ed25519PrivateKey } from '@libp2p/interface'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'

// DER headers that turn a raw 32-byte Ed25519 key into PKCS#8 / SPKI (RFC 8410).
const PKCS8_PREFIX = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20])
const SPKI_PREFIX = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00])

const der = (prefix: Uint8Array, raw: Uint8Array): Buffer => Buffer.concat([prefix, raw])

// Process-wide count of Ed25519 signatures made by identities of this package (see signCounts).
const signTally = { signatures: 0 }

/** Ed25519 signatures made by identities of this package since the process started. */
export function signCounts (): { signatures: number } {
  return { ...signTally }
}

/** A node:crypto private KeyObject from a 32-byte Ed25519 seed. */
export function privateKeyObject (seed: Uint8Array): KeyObject {
  if (seed.length !== 32) throw new RangeError('an Ed25519 seed is 32 bytes')
  return createPrivateKey({ key: der(PKCS8_PREFIX, seed), format: 'der', type: 'pkcs8' })
}

/** A node:crypto public KeyObject from a 32-byte Ed25519 public key. */
export function publicKeyObject (raw: Uint8Array): KeyObject {
  if (raw.length !== 32) throw new RangeError('an Ed25519 public key is 32 bytes')
  return createPublicKey({ key: der(SPKI_PREFIX, raw), format: 'der', type: 'spki' })
}

/** An agent's signing identity: its libp2p key, its PeerId string, and a signer over raw bytes. */
export interface Identity {
  /** The PeerId, as signers are named in documents. */
  readonly peerId: string
  /** Raw 32-byte public key. */
  readonly publicKey: Uint8Array
  /** The libp2p key (for creating the libp2p node with the same identity). */
  readonly privateKey: Ed25519PrivateKey
  /** Ed25519 signature of exactly `data` (callers add the domain tag: see `sign` in signing.ts). */
  sign (data: Uint8Array): Uint8Array
}

/** The identity of a libp2p Ed25519 private key. */
export function identityFromPrivateKey (privateKey: Ed25519PrivateKey): Identity {
  if (privateKey.type !== 'Ed25519') throw new TypeError(`expected an Ed25519 key, got ${String(privateKey.type)}`)
  const keyObject = privateKeyObject(privateKey.raw.subarray(0, 32))
  const peerId = peerIdFromPrivateKey(privateKey).toString()
  const publicKey = privateKey.publicKey.raw
  verifyKeys.set(peerId, publicKeyObject(publicKey))
  return Object.freeze({
    peerId,
    publicKey,
    privateKey,
    sign: (data: Uint8Array) => {
      signTally.signatures++
      return new Uint8Array(cryptoSign(null, data, keyObject))
    }
  })
}

/** A fresh random identity (randomness from libp2p's generator, i.e. the OS). */
export async function generateIdentity (): Promise<Identity> {
  return identityFromPrivateKey(await generateKeyPair('Ed25519'))
}

/** The identity of a 32-byte seed (RFC 8032 secret key): deterministic, for tests and vectors. */
export async function identityFromSeed (seed: Uint8Array): Promise<Identity> {
  return identityFromPrivateKey(await generateKeyPairFromSeed('Ed25519', seed))
}

// PeerId -> public KeyObject (null: not an Ed25519 PeerId). Bounded, oldest out first: an agent
// talks to its neighbours and a few clearers, but the largest networks have thousands of
// neighbours, and a simulator holds every agent of the network in one process.
const MAX_CACHED_KEYS = 200_000
const verifyKeys = new Map<string, KeyObject | null>()

/** The public KeyObject named by an Ed25519 PeerId string, or null if it names none. */
export function verifyKeyOf (peerId: string): KeyObject | null {
  const cached = verifyKeys.get(peerId)
  if (cached !== undefined) return cached
  let key: KeyObject | null = null
  try {
    const id = peerIdFromString(peerId)
    if (id.type === 'Ed25519') key = publicKeyObject(id.publicKey.raw)
  } catch {
    key = null
  }
  if (verifyKeys.size >= MAX_CACHED_KEYS) verifyKeys.delete(verifyKeys.keys().next().value as string)
  verifyKeys.set(peerId, key)
  return key
}

/** The raw 32-byte public key named by an Ed25519 PeerId, or null. */
export function publicKeyOf (peerId: string): Uint8Array | null {
  try {
    const id = peerIdFromString(peerId)
    return id.type === 'Ed25519' ? id.publicKey.raw : null
  } catch {
    return null
  }
}

/** Does `sig` verify over `data` under the key `peerId` names? (Raw: no domain tag added.) */
export function verifyRaw (peerId: string, data: Uint8Array, sig: Uint8Array): boolean {
  const key = verifyKeyOf(peerId)
  if (key === null || sig.length !== 64) return false
  return cryptoVerify(null, data, key, sig)
}
