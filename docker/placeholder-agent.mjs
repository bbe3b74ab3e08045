// Stand-in for `splitedge agent` until the real agent lands: reads the same config file and
// answers the same surface the docker tests touch (GET /health, GET /metrics, POST /v1/usage,
// and a TCP listener on the libp2p port), so the image, topology and harness can be tested now.
// usage: node placeholder-agent.mjs --config /etc/splitedge/agent.yaml
import { createServer as createHttpServer } from 'node:http'
import { createServer as createTcpServer } from 'node:net'
import { readFileSync } from 'node:fs'
import { parse } from 'yaml'

const at = process.argv.indexOf('--config')
const file = at >= 0 ? process.argv[at + 1] : '/etc/splitedge/agent.yaml'
const config = parse(readFileSync(file ?? '', 'utf8'))
const name = String(config.name ?? 'unnamed')
const http = config.http ?? {}
const listen = (Array.isArray(config.listen) ? config.listen : []).map(String)
const p2pPort = Number(/\/tcp\/(\d+)/.exec(listen[0] ?? '')?.[1] ?? 7000)

let pushes = 0
const server = createHttpServer((req, res) => {
  const reply = (status, body) => {
    res.writeHead(status, { 'content-type': 'application/json' })
    res.end(JSON.stringify(body))
  }
  if (req.method === 'GET' && req.url === '/health') return reply(200, { ok: true, name, placeholder: true })
  if (req.method === 'GET' && req.url === '/metrics') {
    res.writeHead(200, { 'content-type': 'text/plain' })
    return res.end(`splitedge_placeholder_usage_pushes_total ${pushes}\n`)
  }
  if (req.method === 'POST' && req.url === '/v1/usage') {
    let body = ''
    req.on('data', (c) => (body += c))
    req.on('end', () => {
      try {
        JSON.parse(body)
        pushes += 1
        reply(202, { accepted: true })
      } catch {
        reply(400, { error: 'bad-json' })
      }
    })
    return
  }
  reply(404, { error: 'not-found' })
})
server.listen(Number(http.port ?? 8080), String(http.host ?? '0.0.0.0'))

// Answers with its own name so a probe can tell who it reached.
const p2p = createTcpServer((s) => {
  s.on('error', () => {})
  s.end(`${name}\n`)
})
p2p.listen(p2pPort, '0.0.0.0')

const stop = () => {
  server.close()
  p2p.close()
  process.exit(0)
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
console.log(JSON.stringify({ msg: 'placeholder agent listening', name, http: http.port ?? 8080, p2p: p2pPort }))
