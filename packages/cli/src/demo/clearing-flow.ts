/**
 * One reapportioned flow cleared end to end through a clearer's HTTP API, for the demo: a quote, a
 * receipt signed by the receiver's operator, a consent signed by the sender's operator (its
 * customer pays for both ends), clearing, batch settlement with both operators, and the
 * receiver's evidence that her charge was settled. (Moved here from @splitedge/clearing: only
 * the demo runs it.)
 */
import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { ClearerClient, type ClearingParticipant } from '@splitedge/clearing'
import { docId, sign, type Identity } from '@splitedge/wire'

/**
 * What the flow needs of an end's operator: its PeerId and its signature on a receipt or a consent
 * (a `ClearingParticipant` is one; so is `keySigner` over the operator's key file when the agent
 * runs in another process).
 */
export interface EndSigner {
  peerId: string
  issueReceipt: ClearingParticipant['issueReceipt']
  consent: ClearingParticipant['consent']
}

export interface ClearingFlowInput {
  /** The clearer's HTTP API. */
  clearer: string
  /** Its write token, sent as a header. */
  token?: string
  sender: EndSigner
  receiver: EndSigner
  class?: string
  volume?: string
  /** Customers' addresses (labels on the receipt and consent). */
  senderAddress?: string
  receiverAddress?: string
  /** Length of the receipt's interval, ending now (default 1000 ms; it must start after the tariffs took effect). */
  intervalMs?: number
  /** How long to wait for the settlement period to close and settle (default 60 s). */
  settleTimeoutMs?: number
  now?: () => number
}

export interface ClearingFlowResult {
  quoteTotal: string
  currency: string
  receipt: string
  charge: string
  margin: string
  settled: boolean
  statementNet: string | null
  /** Printable lines for the demo's summary. */
  summary: string[]
}

/**
 * Run the flow. The operators' agents should list the clearer's PeerId under `clearers:` (so it
 * can sync their tariffs) and the clearer should serve both; give the clearer a short `periodMs`
 * (a few seconds) for the demo to show settlement.
 */
export async function runClearingFlow (input: ClearingFlowInput): Promise<ClearingFlowResult> {
  const now = input.now ?? Date.now
  const api = new ClearerClient(input.clearer, input.token !== undefined ? { token: input.token } : {})
  const { sender, receiver } = input
  const cls = input.class ?? 'be'
  const volume = input.volume ?? '1000000'
  const src = input.senderAddress ?? '2001:db8:a::1'
  const dst = input.receiverAddress ?? '2001:db8:b::2'
  const summary: string[] = []

  // 1. The caller wants to pay for both ends: ask for a sender-pays quote.
  const q = await api.quote({ ends: [{ operator: sender.peerId, role: 'sender' }, { operator: receiver.peerId, role: 'receiver' }], class: cls, volume, apportion: { kind: 'sender-pays' } })
  const currency = q.quote.currency
  summary.push(`quote: ${volume} of ${cls}, sender pays all: ${q.total} ${currency} (margin ${q.quote.margin})`)

  // 2. The receiver's operator signs the receiver's usage; the sender's operator signs its customer's consent.
  const t = now()
  const len = input.intervalMs ?? 1000
  const receipt = await receiver.issueReceipt({ src, dst, class: cls, volume, interval: { start: t - len, length: len }, customer: dst })
  const consent = sender.consent({ src, dst, class: cls, maxVolume: volume, share: '100', window: { start: t - 3_600_000, end: t + 3_600_000 } })
  const rid = docId(receipt)

  // 3. The receiver presents her receipt with the sender's consent.
  const r = await api.present({ receipt, role: 'receiver', remote: sender.peerId, consent })
  summary.push(`cleared receipt ${rid.slice(0, 16)}…: receiver's charge ${r.charge} ${currency} moved to the sender's operator (+ margin ${r.margin})`)

  // 4. Batch settlement once the period closes; then the receiver's evidence.
  const net = await settled(api, rid, input.settleTimeoutMs ?? 60_000)
  summary.push(net !== undefined
    ? `settled: the receiver's operator co-signed a clearing statement (net ${net ?? '?'} ${currency}); it is her evidence that she owes nothing for this flow`
    : 'not settled yet: the clearing period is still open')
  return { quoteTotal: q.total, currency, receipt: rid, charge: r.charge, margin: r.margin, settled: net !== undefined, statementNet: net ?? null, summary }
}

/** Ask the clearer to settle until the receipt's evidence says settled: its statement's net (null if none), or undefined on timeout. */
async function settled (api: ClearerClient, rid: string, timeoutMs: number): Promise<string | null | undefined> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    await api.settle()
    const ev = await api.evidence(rid)
    if (ev.settled) return ev.statement?.net ?? null
    await sleep(250)
  }
  return undefined
}

/** An end's operator signing with its key file, when its agent runs in another process. */
export function keySigner (identity: Identity): EndSigner {
  let seq = 0
  return {
    peerId: identity.peerId,
    issueReceipt: async (r) => {
      const d = sign(identity, 'receipt', { operator: identity.peerId, seq: ++seq, ...r })
      if (!d.ok) throw new Error(`receipt: ${d.error.message}`)
      return d.value
    },
    consent: (c) => {
      const d = sign(identity, 'consent', { operator: identity.peerId, nonce: randomBytes(16).toString('hex'), ...c })
      if (!d.ok) throw new Error(`consent: ${d.error.message}`)
      return d.value
    }
  }
}
