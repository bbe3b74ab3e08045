/**
 * The responder's side of the settle protocol (docs/protocol.md 8.4): make sure both sides hold
 * the same inputs (answering `need` with the documents the initiator lacks and the ids we lack),
 * compute our own statement, and on a match co-sign and store it (the period's `settled`), or record
 * a dispute (`disputed`).
 */
import { bodyId, cosign, docId, encodeDocument, sign, type SettlementStatement, type SettlementStatementBody } from '@splitedge/wire'
import { borderOf } from '@splitedge/store'
import { isModelError } from '@splitedge/model'
import { SettleRequest, SettleResponse, decodeFrame, encodeFrame } from '@splitedge/node'
import type { Period } from '../clock/intervals.js'
import { MissingTariff } from './assemble.js'
import type { SettleComponents } from './components.js'
import type { PeriodShell } from './shell.js'
import type { Statements } from './statement.js'

type Answer = SettleResponse

/** Attestation ids we lack (`missing`), and the attestations the initiator lacks (`extra`). */
interface Lacking { missing: string[], extra: Uint8Array[] }

export class SettleResponder {
  constructor (private readonly c: SettleComponents, private readonly statements: Statements, private readonly shell: PeriodShell) {}

  async serve (bytes: Uint8Array, peer: string): Promise<Uint8Array> {
    let req: SettleRequest
    try {
      req = decodeFrame(SettleRequest, bytes)
    } catch (err) {
      throw this.shell.records.refuse('malformed', (err as Error).message)
    }
    return encodeFrame(SettleResponse, await this.answer(peer, this.shell.records.check(req.doc, peer, [peer])))
  }

  private async answer (peer: string, theirs: SettlementStatement): Promise<Answer> {
    const p = theirs.body.period
    const held = await this.c.store.getStatement(borderOf(this.c.identity.peerId, peer), p.start)
    if (held !== undefined) return { k: 'statement', doc: held.bytes }
    const ready = await this.statements.ready(peer, p)
    if (!ready.ok) {
      if (ready.why === 'before-start') return { k: 'declined', reason: 'period before this agent started settling the border' }
      return { k: 'not-ready', reason: `period ${ready.why} here` }
    }
    const inputs = await this.sameInputs(peer, p, theirs)
    if ('k' in inputs) return inputs
    let mine: SettlementStatementBody | undefined
    try {
      mine = await this.statements.computeBody(peer, p)
    } catch (err) {
      if (err instanceof MissingTariff) return { k: 'not-ready', reason: err.message }
      if (isModelError(err)) {
        await this.shell.run(peer, p, { k: 'disputed' }, { theirs, note: `cannot compute: ${(err as Error).message}` })
        throw this.shell.records.refuse('model', (err as Error).message)
      }
      throw err
    }
    return await this.decide(peer, p, theirs, mine, inputs)
  }

  /** Attestations either side lacks; `not-ready` when we cannot fetch a tariff version the initiator used. */
  private async sameInputs (peer: string, p: Period, theirs: SettlementStatement): Promise<Answer | Lacking> {
    const ours = await this.statements.attestationsOf(peer, p)
    const theirIds = new Set(theirs.body.attestations)
    const ourIds = new Set(ours.map(a => a.id))
    const missing = theirs.body.attestations.filter(id => !ourIds.has(id))
    const extra = ours.filter(a => !theirIds.has(a.id)).map(a => a.bytes)
    for (const l of theirs.body.lines) {
      for (const [issuer, id] of Object.entries(l.tariffs)) {
        if (issuer === peer && !(await this.c.tariffs.ensure(peer, id))) return { k: 'not-ready', reason: `cannot fetch tariff ${id}` }
      }
    }
    return { missing, extra }
  }

  /** Our own tariff versions the initiator's statement does not use yet. */
  private async ourTariffs (theirs: SettlementStatement, mine: SettlementStatementBody): Promise<Uint8Array[]> {
    const me = this.c.identity.peerId
    const used = new Set(theirs.body.lines.flatMap(l => Object.values(l.tariffs)))
    const out: Uint8Array[] = []
    for (const id of new Set(mine.lines.flatMap(l => Object.entries(l.tariffs).filter(([i]) => i === me).map(([, t]) => t)))) {
      if (used.has(id)) continue
      const t = await this.c.store.getTariff(id)
      if (t !== undefined) out.push(t.bytes)
    }
    return out
  }

  private async decide (peer: string, p: Period, theirs: SettlementStatement, mine: SettlementStatementBody | undefined, lacking: Lacking): Promise<Answer> {
    if (mine !== undefined && mine.attestations.length === 0 && theirs.body.attestations.length === 0 && await this.statements.usageDisputeOpen(peer, p)) {
      return { k: 'not-ready', reason: 'a usage dispute in the period is still open here' }
    }
    const { missing, extra } = lacking
    const ourTariffDocs = mine === undefined ? [] : await this.ourTariffs(theirs, mine)
    if (missing.length > 0 || extra.length > 0 || ourTariffDocs.length > 0) return { k: 'need', docs: [...extra, ...ourTariffDocs], missing }
    if (mine === undefined) return { k: 'not-ready', reason: 'nothing to settle here (no attestation, no period fee)' }
    const id = bodyId('settlement-statement', mine)
    if (!id.ok) throw new Error(`cannot sign statement: ${id.error.message}`)
    if (id.value !== docId(theirs)) {
      const ours = sign(this.c.identity, 'settlement-statement', mine)
      if (!ours.ok) throw new Error(`cannot sign statement: ${ours.error.message}`)
      await this.shell.run(peer, p, { k: 'disputed' }, { mine: ours.value, theirs })
      return { k: 'dispute', doc: encodeDocument(ours.value) }
    }
    const full = cosign(this.c.identity, theirs)
    if (!full.ok) throw new Error(full.error.message)
    await this.shell.run(peer, p, { k: 'settled' }, { statement: full.value })
    return { k: 'statement', doc: encodeDocument(full.value) }
  }
}
