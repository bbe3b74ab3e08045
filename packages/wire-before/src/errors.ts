/**
 * Why a document was refused. Each code is a rejection reason of docs/protocol.md (or a
 * finer split of one), suitable as a metric label.
 */
export type WireErrorCode =
  /** Input larger than the documented limit of its type (checked before decoding). */
  | 'oversize'
  /** Not decodable as DAG-CBOR at all (truncated, bad major type, indefinite length, ...). */
  | 'malformed'
  /** Decodes, but re-encoding gives other bytes (unsorted keys, long-form ints, floats, ...). */
  | 'non-canonical'
  /** One complete CBOR item followed by more bytes. */
  | 'trailing-bytes'
  /** An object has a property its schema does not name. */
  | 'unknown-field'
  /** A value has the wrong JSON/CBOR kind (string where an integer is due, ...). */
  | 'bad-type'
  /** Right kind, wrong value: pattern, range, length, enum, missing property. */
  | 'schema'
  /** `type` is not a document type this package knows. */
  | 'unknown-type'
  /** Known type, unsupported `v`. */
  | 'bad-version'
  /** The caller expected another document type. */
  | 'wrong-type'
  /** A signature does not verify, or a signer id is not an Ed25519 PeerId. */
  | 'bad-signature'
  /** A required signer has not signed, a signer signed twice, or an unexpected signer signed. */
  | 'missing-signature'
  | 'duplicate-signer'
  | 'unexpected-signer'

/** A typed refusal: `code` for programs, `path` (JSON pointer into the document) and `message` for people. */
export class WireError extends Error {
  override readonly name = 'WireError'
  constructor (
    readonly code: WireErrorCode,
    message: string,
    readonly path: string = ''
  ) {
    super(path === '' ? `${code}: ${message}` : `${code} at ${path}: ${message}`)
  }
}

export type KeyFileErrorCode =
  /** The file does not exist or cannot be read (the OS error is in `cause`). */
  | 'unreadable'
  /** Group or others may read or write the file: refused, like ssh does. */
  | 'bad-permissions'
  /** Not a protobuf-encoded libp2p private key. */
  | 'corrupt'
  /** A valid libp2p key, but not Ed25519. */
  | 'wrong-key-type'
  /** Refused to overwrite an existing key file. */
  | 'exists'
  /** Could not write the file. */
  | 'unwritable'

/** Thrown by the key file functions (I/O at start-up, where failing loudly is what an operator wants). */
export class KeyFileError extends Error {
  override readonly name = 'KeyFileError'
  constructor (
    readonly code: KeyFileErrorCode,
    readonly file: string,
    message: string,
    options?: { cause?: unknown }
  ) {
    super(`key file ${file}: ${message}`, options)
  }
}
