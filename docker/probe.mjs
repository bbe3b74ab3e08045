// Reachability probe run inside a container (docker exec): can this container open a TCP
// connection to HOST:PORT? Prints one word and exits with a code the test harness reads:
//   0 connected, 2 name does not resolve, 3 unreachable (refused, timed out, no route).
// usage: node probe.mjs HOST PORT [TIMEOUT_MS]
import { connect } from 'node:net'

const [host, port, timeout = '2000'] = process.argv.slice(2)
if (!host || !port) {
  console.log('usage')
  process.exit(64)
}
const socket = connect({ host, port: Number(port) })
const timer = setTimeout(() => done('timeout', 3), Number(timeout))
socket.on('connect', () => done('connected', 0))
socket.on('error', (err) => {
  const code = /** @type {NodeJS.ErrnoException} */ (err).code ?? 'error'
  done(code, code === 'ENOTFOUND' || code === 'EAI_AGAIN' ? 2 : 3)
})
function done(word, code) {
  clearTimeout(timer)
  socket.destroy()
  console.log(word)
  process.exit(code)
}
