/**
 * One reapportioned flow cleared end to end, for the main demo (`npm start`) and for people
 * reading the code: a quote, a receipt signed by the receiver's operator, a consent signed by the
 * sender's operator (its customer pays for both ends), clearing, batch settlement with both
 * operators, and the receiver's evidence that her charge was settled.
 */
import { docId } from '@splitedge/wire'
import { Clearer } from './clearer.js'
import { ClearerClient } from './client.js'
import { ClearingParticipant, type AgentHandle } from './participant.js'

export interface ClearingDemoInput {
  /** The clearer, in-process or as the URL of its HTTP API. */
  clearer: Clearer | string
  /** The sender end's operator: a running agent (attached here), an attached participant, or a signer. */
  sender: AgentHandle | EndSigner
  /** The receiver end's operator, likewise. */
  receiver: AgentHandle | EndSigner
  /** The clearer's PeerId; needed only when `clearer` is a URL (default: asked from /health). */
  clearerPeerId?: string
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

/**
 * What the flow needs of an end's operator: its PeerId and its signature on a receipt or a consent
 * (a `ClearingParticipant` is one; so is a signer over the operator's key file when the agent runs
 * in another process).
 */
export interface EndSigner {
  peerId: string
  issueReceipt: ClearingParticipant['issueReceipt']
  consent: ClearingParticipant['consent']
}

export interface ClearingDemoResult {
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

const sleep = async (ms: number): Promise<void> => await new Promise(resolve => setTimeout(resolve, ms))

/**
 * Run the flow. The operators' agents should list the clearer's PeerId under `clearers:` (so it
 * can sync their tariffs) and the clearer should serve both; give the clearer a short `periodMs`
 * (a few seconds) for the demo to show settlement.
 */
export async function runClearingDemoFlow (input: ClearingDemoInput): Promise<ClearingDemoResult> {
  const now = input.now ?? Date.now
  const api = typeof input.clearer === 'string' ? new ClearerClient(input.clearer) : undefined
  const clearerId = typeof input.clearer === 'string' ? input.clearerPeerId ?? (await (api as ClearerClient).health()).peerId : input.clearer.peerId
  const attach = async (h: AgentHandle | EndSigner): Promise<EndSigner> =>
    'issueReceipt' in h ? h : await ClearingParticipant.attach(h, { clearers: [clearerId] })
  const sender = await attach(input.sender)
  const receiver = await attach(input.receiver)
  const cls = input.class ?? 'be'
  const volume = input.volume ?? '1000000'
  const src = input.senderAddress ?? '2001:db8:a::1'
  const dst = input.receiverAddress ?? '2001:db8:b::2'
  const summary: string[] = []

  // 1. The caller wants to pay for both ends: ask for a sender-pays quote.
  const req = { ends: [{ operator: sender.peerId, role: 'sender' as const }, { operator: receiver.peerId, role: 'receiver' as const }], class: cls, volume, apportion: { kind: 'sender-pays' as const } }
  let total: string, currency: string, quoteMargin: string
  if (api !== undefined) {
    const q = await api.quote(req)
    total = q.total; currency = q.quote.currency; quoteMargin = q.quote.margin
  } else {
    const q = await (input.clearer as Clearer).quote(req)
    if (!q.ok) throw new Error(`quote refused: ${q.error.code}: ${q.error.message}`)
    total = q.value.priced.total; currency = q.value.priced.currency; quoteMargin = q.value.priced.margin
  }
  summary.push(`quote: ${volume} of ${cls}, sender pays all: ${total} ${currency} (margin ${quoteMargin})`)

  // 2. The receiver's operator signs the receiver's usage; the sender's operator signs its customer's consent.
  const t = now()
  const len = input.intervalMs ?? 1000
  const interval = { start: t - len, length: len }
  const receipt = await receiver.issueReceipt({ src, dst, class: cls, volume, interval, customer: dst })
  const consent = sender.consent({ src, dst, class: cls, maxVolume: volume, share: '100', window: { start: t - 3_600_000, end: t + 3_600_000 } })
  const rid = docId(receipt)

  // 3. The receiver presents her receipt with the sender's consent.
  let charge: string, margin: string
  if (api !== undefined) {
    const r = await api.present({ receipt, role: 'receiver', remote: sender.peerId, consent })
    charge = r.charge; margin = r.margin
  } else {
    const r = await (input.clearer as Clearer).clear({ receipt, role: 'receiver', remote: sender.peerId, evidence: { kind: 'consent', consent } })
    if (!r.ok) throw new Error(`receipt refused: ${r.error.code}: ${r.error.message}`)
    charge = r.record.charge; margin = r.record.margin
  }
  summary.push(`cleared receipt ${rid.slice(0, 16)}…: receiver's charge ${charge} ${currency} moved to the sender's operator (+ margin ${margin})`)

  // 4. Batch settlement once the period closes; then the receiver's evidence.
  const deadline = Date.now() + (input.settleTimeoutMs ?? 60_000)
  let settled = false
  let net: string | null = null
  while (Date.now() < deadline) {
    if (api !== undefined) {
      await api.settle()
      const ev = await api.evidence(rid)
      if (ev.settled) { settled = true; net = ev.statement?.net ?? null; break }
    } else {
      const c = input.clearer as Clearer
      await c.settleDue()
      const ev = await c.evidence(rid)
      if (ev.status === 'settled') { settled = true; net = ev.statement.body.net; break }
    }
    await sleep(250)
  }
  summary.push(settled
    ? `settled: the receiver's operator co-signed a clearing statement (net ${net ?? '?'} ${currency}); it is her evidence that she owes nothing for this flow`
    : 'not settled yet: the clearing period is still open')
  return { quoteTotal: total, currency, receipt: rid, charge, margin, settled, statementNet: net, summary }
}
