/**
 * The directory of clearers (paper section 9.1): "accept lists of ISPs and return a list of
 * organisations that would act as an intermediary between them all", built here from the signed
 * announcements clearers gossip on one directory topic. An inverted index from operator to
 * clearers answers an AND query. No I/O: time is passed in.
 */
import { decodeDocument, verifyDocument, type ClearerAnnouncement, type ClearerAnnouncementBody } from '@splitedge/wire'

/** The one gossip topic clearers announce on. */
export const DIRECTORY_TOPIC = '/splitedge/clearers/1'

export type AnnouncementVerdict =
  | { ok: true, status: 'created' | 'exists' }
  | { ok: false, verdict: 'reject' | 'ignore', reason: 'malformed' | 'bad-signature' | 'wrong-author' | 'stale' | 'expired', message: string }

export interface DirectoryEntry { clearer: string, operators: string[], url: string | null, seq: number, expires: number }

export class ClearerDirectory {
  private readonly byClearer = new Map<string, ClearerAnnouncementBody>()
  private readonly byOperator = new Map<string, Set<string>>()

  /**
   * Take an announcement (encoded) from `author` (the gossip message's signer, when known): it must
   * be signed by its clearer, be the clearer's own message, unexpired, and newer than the one held.
   */
  ingest (bytes: Uint8Array, now: number, author?: string): AnnouncementVerdict {
    const d = decodeDocument(bytes, 'clearer-announcement')
    if (!d.ok) return { ok: false, verdict: 'reject', reason: 'malformed', message: d.error.message }
    return this.accept(d.value, now, author)
  }

  accept (doc: ClearerAnnouncement, now: number, author?: string): AnnouncementVerdict {
    const v = verifyDocument(doc)
    if (!v.ok) return { ok: false, verdict: 'reject', reason: 'bad-signature', message: v.error.message }
    const b = doc.body
    if (author !== undefined && author !== b.clearer) return { ok: false, verdict: 'reject', reason: 'wrong-author', message: `announcement of ${b.clearer} published by ${author}` }
    if (b.expires <= now) return { ok: false, verdict: 'ignore', reason: 'expired', message: `expired at ${b.expires}` }
    const held = this.byClearer.get(b.clearer)
    if (held !== undefined && b.seq <= held.seq) {
      return b.seq === held.seq ? { ok: true, status: 'exists' } : { ok: false, verdict: 'ignore', reason: 'stale', message: `seq ${b.seq} is not above ${held.seq}` }
    }
    if (held !== undefined) for (const op of held.operators) this.byOperator.get(op)?.delete(b.clearer)
    this.byClearer.set(b.clearer, b)
    for (const op of b.operators) {
      let s = this.byOperator.get(op)
      if (s === undefined) { s = new Set(); this.byOperator.set(op, s) }
      s.add(b.clearer)
    }
    return { ok: true, status: 'created' }
  }

  /** Clearers whose current announcement names every one of `operators`, sorted by PeerId. */
  serving (operators: readonly string[], now: number): DirectoryEntry[] {
    if (operators.length === 0) return this.all(now)
    let hits: Set<string> | undefined
    for (const op of operators) {
      const s = this.byOperator.get(op) ?? new Set<string>()
      hits = hits === undefined ? new Set(s) : new Set([...hits].filter(c => s.has(c)))
    }
    return [...(hits ?? [])].sort().map(c => this.entry(c)).filter(e => e.expires > now)
  }

  all (now: number): DirectoryEntry[] {
    return [...this.byClearer.keys()].sort().map(c => this.entry(c)).filter(e => e.expires > now)
  }

  private entry (clearer: string): DirectoryEntry {
    const b = this.byClearer.get(clearer) as ClearerAnnouncementBody
    return { clearer, operators: [...b.operators], url: b.url ?? null, seq: b.seq, expires: b.expires }
  }
}
