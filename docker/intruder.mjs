// A throwaway libp2p identity that tries a splitedge agent's protocols, run inside a container
// (docker run / exec) by the docker integration tests: an agent must refuse peers it was not
// configured with. Prints one JSON line { connected, results: { protocol: code } } where code is
// 'ok' or a RequestError code ('refused', 'unreachable', ...); exits 0 whenever it could run.
// usage: node intruder.mjs HOST PEER_ID [PORT]
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { net, PROTOCOLS } from '@splitedge/node'

const [host, peerId, port = '7000'] = process.argv.slice(2)
if (!host || !peerId) {
  console.log('usage: node intruder.mjs HOST PEER_ID [PORT]')
  process.exit(64)
}
const node = await net.createNode({ privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/0.0.0.0/tcp/0'] })
const out = { self: node.peerId.toString(), connected: false, results: {} }
try {
  await node.dial(multiaddr(`/dns4/${host}/tcp/${port}/p2p/${peerId}`), { signal: AbortSignal.timeout(5000) })
  out.connected = true
} catch (err) {
  out.dialError = String(err?.message ?? err)
}
for (const name of ['border', 'settle', 'tariffSync']) {
  const protocol = PROTOCOLS[name]
  if (protocol === undefined) continue
  try {
    await net.request(node, peerId, protocol, new Uint8Array([0xa0]), { maxResponseBytes: 1 << 20, timeoutMs: 5000 })
    out.results[name] = 'ok'
  } catch (err) {
    out.results[name] = err?.code ?? String(err)
  }
}
console.log(JSON.stringify(out))
await node.stop()
process.exit(0)
