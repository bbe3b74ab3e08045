/**
 * The clearer in the directory: it signs and publishes which operators it clears for on the
 * directory topic (and takes its own announcement into its own directory), and keeps the other
 * clearers' announcements it hears there.
 */
import { encodeDocument, sign } from '@splitedge/wire'
import type { ClearerParts } from './components.js'
import { DIRECTORY_TOPIC, type ClearerDirectory } from './directory.js'

export interface AnnouncerInit {
  /** The operators announced, sorted. */
  operators: string[]
  /** How often to announce again. */
  announceMs: number
  /** Where customers reach the HTTP API, if anywhere (read at each announcement). */
  url: () => string | undefined
}

export type AnnouncerParts = Pick<ClearerParts, 'identity' | 'net' | 'clock' | 'log'> & { directory: ClearerDirectory }

export class Announcer {
  private seq = 0
  private last = -Infinity

  constructor (private readonly init: AnnouncerInit, private readonly c: AnnouncerParts) {}

  /** Listen to the directory topic: every clearer's announcements, checked. */
  listen (): void {
    const { c } = this
    c.net.subscribe(DIRECTORY_TOPIC, (bytes, from) => {
      const v = c.directory.ingest(bytes, c.clock.now(), from)
      if (!v.ok && v.verdict === 'reject') c.log.warn({ from, reason: v.reason }, `announcement rejected: ${v.message}`)
      return v.ok ? 'accept' : v.verdict
    }, () => {})
  }

  /** Sign and publish which operators we clear for; our own directory takes it too. */
  async announce (): Promise<void> {
    const { c } = this
    const now = c.clock.now()
    this.seq = Math.max(this.seq + 1, now)
    const url = this.init.url()
    const signed = sign(c.identity, 'clearer-announcement', {
      clearer: c.identity.peerId,
      seq: this.seq,
      operators: this.init.operators,
      ...(url !== undefined ? { url } : {}),
      issued: now,
      expires: now + Math.max(3 * this.init.announceMs, 60_000)
    })
    if (!signed.ok) throw new Error(`announcement: ${signed.error.message}`)
    c.directory.accept(signed.value, now)
    this.last = now
    await c.net.publish(DIRECTORY_TOPIC, encodeDocument(signed.value)).catch(() => 0)
  }

  /** Announce again if the last announcement is `announceMs` old. */
  async tick (): Promise<void> {
    if (this.c.clock.now() - this.last >= this.init.announceMs) await this.announce()
  }
}
