/**
 * The default key factory: a fresh libp2p Ed25519 identity per agent, as the protobuf bytes an
 * agent's key file holds. Tests and reproducible examples pass their own factory instead.
 */
import { generateKeyPair, generateKeyPairFromSeed, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'

export interface AgentKey {
  /** The PeerId (12D3KooW...). */
  peerId: string
  /** The private key file's content: protobuf-encoded libp2p private key. */
  keyFile: Uint8Array
}

/** Makes the key of the named agent. */
export type KeyFactory = (agent: string) => Promise<AgentKey>

export const ed25519KeyFactory: KeyFactory = async () => {
  const key = await generateKeyPair('Ed25519')
  return { peerId: peerIdFromPrivateKey(key).toString(), keyFile: privateKeyToProtobuf(key) }
}

/** Deterministic keys from a 32-byte seed per agent, e.g. for tests that compare outputs. */
export function seededKeyFactory (seedOf: (agent: string) => Uint8Array): KeyFactory {
  return async (agent) => {
    const key = await generateKeyPairFromSeed('Ed25519', seedOf(agent))
    return { peerId: peerIdFromPrivateKey(key).toString(), keyFile: privateKeyToProtobuf(key) }
  }
}
