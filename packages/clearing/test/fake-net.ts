/**
 * An in-process network for clearing tests that need no libp2p: every port on one hub, a request
 * answered by the target's handler (its allow() applied), gossip delivered to the other
 * subscribers whose validator accepts.
 */
import { RequestError, type HandleOptions, type MessageHandler, type NetPort, type RequestHandler, type Validator } from '@splitedge/node'

interface Served { handler: RequestHandler, opts: HandleOptions }
interface Subscriber { validate: Validator, onMessage: MessageHandler }

export class FakeHub {
  private readonly handlers = new Map<string, Map<string, Served>>()
  private readonly topics = new Map<string, Map<string, Subscriber>>()

  port (me: string): NetPort {
    const handlers = new Map<string, Served>()
    this.handlers.set(me, handlers)
    return {
      handle: async (protocol, handler, opts) => { handlers.set(protocol, { handler, opts }) },
      unhandle: async (protocol) => { handlers.delete(protocol) },
      request: async (peer, protocol, bytes) => {
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
