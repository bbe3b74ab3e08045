/**
 * A clock far off on one side: both agents measure the offset from the times in border frames,
 * report it on /health (degraded, naming the neighbour and the offset) and in a gauge, and the
 * skewed agent warns too, once a minute per neighbour rather than on every refusal.
 */
import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { pino, type Logger } from 'pino'
import type { Identity } from '@splitedge/wire'
import type { Agent } from '../src/agent.js'
import { configFor, makeIdentities, pricing } from './agent-fixtures.js'
import { VirtualWorld } from './virtual.js'

const INTERVAL = 60_000
const SKEW = 10 * 60_000


/** A pino logger whose warnings the test can read. */
function capture (): { logger: Logger, warnings: Array<{ msg: string, neighbour?: string }> } {
  const warnings: Array<{ msg: string, neighbour?: string }> = []
  const sink = new Writable({
    write (chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(l => l !== '')) {
        const o = JSON.parse(line) as { level: number, msg: string, neighbour?: string }
        if (o.level >= 40) warnings.push(o)
      }
      done()
    }
  })
  const logger: Logger = pino({ level: 'warn' }, sink)
  return { logger, warnings }
}

interface Health { ok: boolean, status: string, problems: Array<{ kind: string, neighbour: string, offsetMs: number }> }

describe('agent: a neighbour clock beyond the allowance', function () {
  this.timeout(60_000)
  let ids: Identity[]
  let world: VirtualWorld | undefined
  after(async () => { await world?.stop() })

  it('is reported on /health and in metrics by both sides, and logged at warn by the skewed one, rate-limited', async () => {
    ids = await makeIdentities(2)
    const opts = { intervalMs: INTERVAL, periodIntervals: 2, usage: { source: 'synthetic', seed: 'skew' }, http: { host: '127.0.0.1', port: 0 } }
    const logs = [capture(), capture()]
    // One virtual clock; n1 reads it SKEW ahead.
    world = await VirtualWorld.start([0, 1].map(i => configFor(i, ids, [1, 2], [[0, 1]], opts)), ids, 1_800_000_000_000,
      (i, clock) => ({ logger: logs[i]!.logger, http: true, now: i === 0 ? clock.now : () => clock.t + SKEW }))
    const w = world
    const agents: Agent[] = w.agents.map(v => v.agent)
    for (const a of agents) await a.tariffs.publishOwn(pricing('0.000001'), 0)
    const health = async (a: Agent): Promise<Health> => await (await fetch(`${a.url!}/health`)).json() as Health
    await w.until('both agents report the skew on /health', async () => (await health(agents[0]!)).status === 'degraded' && (await health(agents[1]!)).status === 'degraded', 5 * INTERVAL)
      .catch(async (err: Error) => { throw new Error(`${err.message}; warnings: ${JSON.stringify(logs.map(l => l.warnings))}; exchanges: ${JSON.stringify(await Promise.all(agents.map(async a => (await a.ctx.metrics.exchanges.get()).values)))}`) })
    assert.ok(w.now < 1_800_000_000_000 + 3 * INTERVAL, 'as soon as the first intervals close')
    const [h0, h1] = [await health(agents[0]!), await health(agents[1]!)]
    assert.equal(h0.ok, false)
    assert.equal(h0.problems[0]?.kind, 'clock-skew')
    assert.equal(h0.problems[0]?.neighbour, 'n1')
    assert.ok(Math.abs(h0.problems[0]!.offsetMs - SKEW) < 2000, `n0 sees n1 ahead by about ${SKEW} ms: ${h0.problems[0]!.offsetMs}`)
    assert.equal(h1.problems[0]?.neighbour, 'n0')
    assert.ok(Math.abs(h1.problems[0]!.offsetMs + SKEW) < 2000, `n1 sees n0 behind by about ${SKEW} ms: ${h1.problems[0]!.offsetMs}`)
    const metrics = await (await fetch(`${agents[1]!.url!}/metrics`)).text()
    const gauge = Number(/splitedge_clock_offset_ms\{neighbour="n0"\} (-?\d+)/.exec(metrics)?.[1])
    assert.ok(Math.abs(gauge + SKEW) < 2000, `gauge ${gauge}`)
    // The skewed agent says so at warn level, naming the neighbour; within a minute, once.
    const skewWarnings = logs[1]!.warnings.filter(w => /clock/.test(w.msg))
    assert.equal(skewWarnings.length, 1, JSON.stringify(logs[1]!.warnings))
    assert.equal(skewWarnings[0]?.neighbour, 'n0')
    // The correct agent's refusals of "future" reports are counted, but logged at most once a minute per reason.
    const futureLogs = logs[0]!.warnings.filter(w => /rejected/.test(w.msg))
    assert.ok(futureLogs.length <= 3, `rejections logged ${futureLogs.length} times`)
    // Three more minutes of exchanges: the skew is still logged, once a minute at most.
    await w.advance(w.now + 3 * 60_000)
    const later = logs[1]!.warnings.filter(w => /clock/.test(w.msg)).length
    assert.ok(later >= 2 && later <= 1 + 3, `the skew logged ${later} times in about four minutes`)
  })
})
