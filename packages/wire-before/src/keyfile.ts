/**
 * Key files: one libp2p private key, protobuf-encoded (as libp2p and its tools store it),
 * readable by its owner only (0600). Load failures say what is wrong with the file.
 */
import { chmod, open, rename, stat, readFile, unlink } from 'node:fs/promises'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { Ed25519PrivateKey } from '@libp2p/interface'
import { KeyFileError } from './errors.js'
import { identityFromPrivateKey, type Identity } from './identity.js'

export const KEY_FILE_MODE = 0o600

const errnoOf = (e: unknown): string => (e as NodeJS.ErrnoException | undefined)?.code ?? 'error'

/**
 * Write `key` to `file` with mode 0600, atomically (temporary file, fsync, rename).
 * Refuses to replace an existing file unless `overwrite`.
 */
export async function saveKeyFile (file: string, key: Ed25519PrivateKey | Identity, options: { overwrite?: boolean } = {}): Promise<void> {
  const privateKey = 'privateKey' in key ? key.privateKey : key
  if (options.overwrite !== true) {
    const exists = await stat(file).then(() => true, (e: unknown) => errnoOf(e) !== 'ENOENT')
    if (exists) throw new KeyFileError('exists', file, 'already exists; refusing to overwrite a key')
  }
  const tmp = `${file}.${process.pid}.tmp`
  try {
    const fh = await open(tmp, 'wx', KEY_FILE_MODE)
    try {
      await fh.writeFile(privateKeyToProtobuf(privateKey))
      await fh.sync()
    } finally {
      await fh.close()
    }
    await chmod(tmp, KEY_FILE_MODE) // in case the umask was odd; never wider than 0600 anyway
    await rename(tmp, file)
  } catch (e) {
    await unlink(tmp).catch(() => {})
    throw new KeyFileError('unwritable', file, `cannot write (${errnoOf(e)})`, { cause: e })
  }
}

/** Read the Ed25519 identity in `file`; refuses a file that group or others can access. */
export async function loadKeyFile (file: string): Promise<Identity> {
  let bytes: Uint8Array
  try {
    const st = await stat(file)
    if (!st.isFile()) throw Object.assign(new Error('not a regular file'), { code: 'EISDIR' })
    if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
      throw new KeyFileError('bad-permissions', file,
        `mode ${(st.mode & 0o777).toString(8).padStart(4, '0')} lets others access it; run chmod 600 ${file}`)
    }
    bytes = await readFile(file)
  } catch (e) {
    if (e instanceof KeyFileError) throw e
    throw new KeyFileError('unreadable', file, `cannot read (${errnoOf(e)})`, { cause: e })
  }
  let key
  try {
    key = privateKeyFromProtobuf(bytes)
  } catch (e) {
    throw new KeyFileError('corrupt', file, 'is not a protobuf-encoded libp2p private key', { cause: e })
  }
  if (key.type !== 'Ed25519') throw new KeyFileError('wrong-key-type', file, `holds a ${key.type} key; an agent key must be Ed25519`)
  return identityFromPrivateKey(key)
}

/** Make a new random Ed25519 identity and save it to `file` (which must not exist). */
export async function generateKeyFile (file: string): Promise<Identity> {
  const key = await generateKeyPair('Ed25519')
  await saveKeyFile(file, key)
  return identityFromPrivateKey(key)
}
