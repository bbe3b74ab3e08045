/**
 * An in-process network for the tariff book's tests: every port on one hub, requests answered by
 * the target's handler (its allow() applied), gossip delivered to every other subscriber whose
 * validator accepts. No libp2p: the book only sees a NetPort.
 */
import { MemoryLevel } from 'memory-level'
import { openStore, type Store } from '@splitedge/store'
import type { NetPort } from '../src/net/port.js'
import type { HandleOptions, RequestHandler } from '../src/net/reqres.js'
import type { MessageHandler, Validator } from '../src/net/topics.js'
import { RequestError } from '../src/net/errors.js'
import type { TariffCounters, TariffLog } from '../src/tariff/components.js'

interface Served { handler: RequestHandler, opts: HandleOptions }
interface Subscriber { validate: Validator, onMessage: MessageHandler }

export class FakeHub {
  private readonly handlers = new Map<string, Map<string, Served>>()
  private readonly topics = new Map<string, Map<string, Subscriber>>()
  /** Requests made, as `from>to protocol`. */
  readonly requests: string[] = []

  port (me: string): NetPort {
    const handlers = new Map<string, Served>()
    this.handlers.set(me, handlers)
    return {
      handle: async (protocol, handler, opts) => { handlers.set(protocol, { handler, opts }) },
      unhandle: async (protocol) => { handlers.delete(protocol) },
      request: async (peer, protocol, bytes) => {
        this.requests.push(`${me}>${peer} ${protocol}`)
        const served = this.handlers.get(peer)?.get(protocol)
        if (served === undefined) throw new RequestError('unsupported', `${peer} does not serve ${protocol}`)
        if (!served.opts.allow(me)) throw new RequestError('refused', `${peer} refused ${me}`)
        return await served.handler(bytes, me, { signal: new AbortController().signal })
      },
      subscribe: (topic, validate, onMessage) => {
        const subs = this.topics.get(topic) ?? new Map<string, Subscriber>()
        subs.set(me, { validate, onMessage })
        this.topics.set(topic, subs)
      },
      unsubscribe: (topic) => { this.topics.get(topic)?.delete(me) },
      publish: async (topic, bytes) => {
        let n = 0
        for (const [peer, s] of this.topics.get(topic) ?? []) {
          if (peer === me) continue
          n++
          if (await s.validate(bytes, me, { from: me, propagationSource: me }) === 'accept') s.onMessage(bytes, me)
        }
        return n
      },
      connected: () => [...this.handlers.keys()].filter(p => p !== me),
      onConnection: () => {},
      start: async () => {},
      stop: async () => {}
    }
  }
}

/** Counters that remember every increment by label. */
export function counters (): TariffCounters & { count: (kind: string, reason?: string) => number } {
  const seen: string[] = []
  return {
    accepted: { inc: (l) => { seen.push(`accepted:${l.kind}`) } },
    rejected: { inc: (l) => { seen.push(`rejected:${l.kind}:${l.reason}`) } },
    count: (kind, reason) => seen.filter(s => s === (reason === undefined ? `accepted:${kind}` : `rejected:${kind}:${reason}`)).length
  }
}

/** A log that keeps its lines. */
export function memoryLog (): TariffLog & { lines: Array<{ level: string, msg: string, obj: Record<string, unknown> }> } {
  const lines: Array<{ level: string, msg: string, obj: Record<string, unknown> }> = []
  const at = (level: string) => (obj: Record<string, unknown>, msg: string): void => { lines.push({ level, msg, obj }) }
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }
}

export async function memStore (): Promise<Store> {
  return await openStore({ db: new MemoryLevel<string, Uint8Array>({ valueEncoding: 'view' }) as never })
}
