// Container healthcheck: exit 0 when the agent's GET /health answers 200, 1 otherwise.
// The image has no curl; node is all there is.
const port = Number(process.env.SPLITEDGE_HTTP_PORT ?? 8080)
try {
  const res = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2000) })
  process.exit(res.status === 200 ? 0 : 1)
} catch {
  process.exit(1)
}
