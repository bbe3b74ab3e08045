import assert from 'node:assert/strict'
import { chmod, mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { KeyFileError, generateKeyFile, loadKeyFile, saveKeyFile, sign, verifyDocument } from '../src/index.js'
import { must, parties, receiptBody } from './fixtures.js'

async function rejects (p: Promise<unknown>, code: KeyFileError['code']): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof KeyFileError, String(e))
    assert.equal(e.code, code, e.message)
    return true
  })
}

describe('wire: key files', () => {
  let dir: string
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'splitedge-wire-')) })
  afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

  it('generate, load: same identity, mode 0600, signs verifiable documents', async () => {
    const file = join(dir, 'agent.key')
    const made = await generateKeyFile(file)
    assert.equal((await stat(file)).mode & 0o777, 0o600)
    const loaded = await loadKeyFile(file)
    assert.equal(loaded.peerId, made.peerId)
    assert.deepEqual(loaded.publicKey, made.publicKey)
    const p = await parties()
    const doc = must(sign(loaded, 'receipt', { ...receiptBody(p), operator: loaded.peerId }))
    assert.ok(verifyDocument(doc).ok)
  })

  it('save refuses to overwrite unless asked', async () => {
    const file = join(dir, 'agent.key')
    const id = await generateKeyFile(file)
    await rejects(saveKeyFile(file, id), 'exists')
    await rejects(generateKeyFile(file), 'exists')
    const other = (await parties()).a
    await saveKeyFile(file, other, { overwrite: true })
    assert.equal((await loadKeyFile(file)).peerId, other.peerId)
    assert.equal((await stat(file)).mode & 0o777, 0o600)
  })

  it('refuses a key file others can read', async () => {
    const file = join(dir, 'agent.key')
    await generateKeyFile(file)
    await chmod(file, 0o644)
    await rejects(loadKeyFile(file), 'bad-permissions')
  })

  it('refuses a missing file or a directory as unreadable', async () => {
    await rejects(loadKeyFile(join(dir, 'nope.key')), 'unreadable')
    await rejects(loadKeyFile(dir), 'unreadable')
  })

  it('refuses a corrupt file', async () => {
    const file = join(dir, 'agent.key')
    await writeFile(file, 'this is not a key\n', { mode: 0o600 })
    await rejects(loadKeyFile(file), 'corrupt')
    await writeFile(file, new Uint8Array(0), { mode: 0o600 })
    await rejects(loadKeyFile(file), 'corrupt')
  })

  it('refuses a key of another type', async () => {
    const file = join(dir, 'agent.key')
    await writeFile(file, privateKeyToProtobuf(await generateKeyPair('secp256k1')), { mode: 0o600 })
    await rejects(loadKeyFile(file), 'wrong-key-type')
  })

  it('reports an unwritable destination', async () => {
    await rejects(saveKeyFile(join(dir, 'no', 'such', 'dir.key'), (await parties()).a), 'unwritable')
  })
})
