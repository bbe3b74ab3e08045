import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface HttpApi { url: string, close: () => Promise<void> }

/**
 * Listen on `opts` (port 0 picks a free one) and answer the URL to reach the server on, a
 * wildcard address given as 127.0.0.1. Shared by the agent's and the clearer's APIs.
 */
export async function listenHttp (server: Server, opts: { host: string, port: number }): Promise<HttpApi> {
  server.requestTimeout = 30_000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port, opts.host, () => { server.off('error', reject); resolve() })
  })
  const a = server.address() as AddressInfo
  const host = a.family === 'IPv6' ? `[${a.address}]` : a.address
  return {
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${a.port}`,
    close: async () => { server.closeAllConnections(); await new Promise<void>(resolve => server.close(() => resolve())) }
  }
}
