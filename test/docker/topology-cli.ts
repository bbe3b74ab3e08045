/**
 * Run a topology by hand, with the same harness the docker tests use (no docker compose needed):
 *
 *   node test/dist/docker/topology-cli.js up docker/topologies/internet6.yaml [--omit clearer] [--no-build]
 *   node test/dist/docker/topology-cli.js down internet6
 *
 * `up` builds the images (unless --no-build), starts one container per operator with one
 * network per border (a clearer runs `splitedge clearer` on its links to the operators it serves),
 * waits until every agent is healthy and connected to its neighbours (a clearer: to its
 * operators), and prints each one's HTTP API on 127.0.0.1. The topology keeps running until `down`.
 */
import { buildImages, dockerAvailable, TopologyRun } from './harness.js'

async function main (argv: string[]): Promise<number> {
  const [cmd, target, ...rest] = argv
  const engine = await dockerAvailable()
  if (!engine.ok) { console.error(engine.reason); return 1 }
  if (cmd === 'down' && target !== undefined) {
    await TopologyRun.downByName(target.replace(/^.*\//, '').replace(/\.ya?ml$/, ''))
    console.log(`removed topology ${target}`)
    return 0
  }
  if (cmd !== 'up' || target === undefined) {
    console.error('usage: topology-cli.js up FILE.yaml [--omit NAME[,NAME]] [--no-build] | down NAME')
    return 64
  }
  const omitAt = rest.indexOf('--omit')
  const omit = omitAt >= 0 ? (rest[omitAt + 1] ?? '').split(',').filter(x => x !== '') : []
  if (!rest.includes('--no-build')) {
    const t = await buildImages()
    console.log(`images built (base ${(t.baseMs / 1000).toFixed(1)} s, agent ${(t.agentMs / 1000).toFixed(1)} s)`)
  }
  const run = await TopologyRun.up(target, { omit })
  try {
    await run.waitHealthy(120_000)
    await run.waitConnected(120_000)
  } catch (e) {
    console.error(String(e))
    console.error(await run.logs())
    await run.down()
    return 1
  }
  await run.removeFiles()
  console.log(`topology ${run.composed.project} is up (containers ${run.prefix}-NAME); stop it with: node test/dist/docker/topology-cli.js down ${run.composed.project}`)
  for (const a of run.agents) {
    const links = a.clearer !== undefined ? `serves: ${a.serves.join(', ')}` : `neighbours: ${a.config.neighbours.map(n => n.name).join(', ')}`
    console.log(`  ${a.name.padEnd(12)} ${a.role.padEnd(9)} ${await run.httpBase(a.name)}  ${a.peerId}  ${links}`)
  }
  return 0
}

process.exitCode = await main(process.argv.slice(2))
