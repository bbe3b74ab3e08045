/**
 * Per-document invariants that a JSON schema cannot state (sorted borders, parties drawn from the
 * border, one bound per SLA band...). They depend on the document alone: no clock, no state.
 */
import { isKnownTypedBody, type AnyDocument, type BodyOf, type DocType } from './documents.js'
import { WireError } from './errors.js'

type Fail = WireError | undefined
const bad = (path: string, message: string): WireError => new WireError('schema', message, path)

function checkBorder (border: readonly [string, string], path: string): Fail {
  if (!(border[0] < border[1])) return bad(path, 'border must name two distinct agents in ascending order')
  return undefined
}

function checkParties (border: readonly string[], lines: ReadonlyArray<{ from: string, to: string }>, path: string): Fail {
  for (const [i, l] of lines.entries()) {
    if (!border.includes(l.from) || !border.includes(l.to) || l.from === l.to) {
      return bad(`${path}/${i}`, 'from and to must be the two agents of the border')
    }
  }
  return undefined
}

function checkSubjects (border: readonly string[], metrics: ReadonlyArray<{ subject: string }>, path: string): Fail {
  for (const [i, m] of metrics.entries()) {
    if (!border.includes(m.subject)) return bad(`${path}/${i}/subject`, 'metric subject must be an agent of the border')
  }
  return undefined
}

function checkTariff (b: BodyOf<'tariff'>): Fail {
  const classes = b.pricing.classes
  for (const cls of Object.keys(classes)) {
    const sla = classes[cls]?.sla ?? []
    for (let ci = 0; ci < sla.length; ci++) {
      const bands = (sla[ci] as (typeof sla)[number]).bands
      for (let bi = 0; bi < bands.length; bi++) {
        const band = bands[bi] as (typeof bands)[number]
        if (band.upTo !== undefined && band.atLeast !== undefined) {
          return bad(`/body/pricing/classes/${cls}/sla/${ci}/bands/${bi}`, 'a band has at most one of upTo and atLeast')
        }
      }
    }
  }
  if (b.seq === 0 && b.previous !== null) return bad('/body/previous', 'the first version (seq 0) has no previous')
  return undefined
}

function checkReport (b: BodyOf<'usage-report'>): Fail {
  return checkBorder(b.border, '/body/border') ??
    (b.border.includes(b.reporter) ? undefined : bad('/body/reporter', 'reporter must be an agent of the border')) ??
    checkParties(b.border, b.lines, '/body/lines') ??
    checkSubjects(b.border, b.metrics, '/body/metrics')
}

function checkAttestation (b: BodyOf<'usage-attestation'>): Fail {
  return checkBorder(b.border, '/body/border') ??
    (b.reports[0] !== b.reports[1] ? undefined : bad('/body/reports', 'the two reports must differ')) ??
    checkParties(b.border, b.lines, '/body/lines') ??
    checkSubjects(b.border, b.metrics, '/body/metrics')
}

function checkStatement (b: BodyOf<'settlement-statement'>): Fail {
  const fail = checkBorder(b.border, '/body/border') ??
    (b.period.end > b.period.start ? undefined : bad('/body/period', 'end must be after start')) ??
    checkParties(b.border, b.lines, '/body/lines')
  if (fail !== undefined) return fail
  for (const [i, l] of b.lines.entries()) {
    for (const k of [...Object.keys(l.tariffs), ...Object.keys(l.factors)]) {
      if (!b.border.includes(k)) return bad(`/body/lines/${i}`, 'tariffs and factors are keyed by the border\'s agents')
    }
  }
  return undefined
}

function checkQuote (b: BodyOf<'quote'>): Fail {
  if (!(b.expires > b.issued)) return bad('/body/expires', 'expires must be after issued')
  const ops = b.ends.map(e => e.operator)
  if (new Set(ops).size !== ops.length) return bad('/body/ends', 'an operator appears at most once')
  if ((b.apportion.kind === 'shares') !== (b.apportion.shares !== undefined)) {
    return bad('/body/apportion', 'shares are given exactly when kind is shares')
  }
  return undefined
}

function checkConsent (b: BodyOf<'consent'>): Fail {
  if (!(b.window.end > b.window.start)) return bad('/body/window', 'end must be after start')
  return undefined
}

function checkAnnouncement (b: BodyOf<'clearer-announcement'>): Fail {
  if (!(b.expires > b.issued)) return bad('/body/expires', 'expires must be after issued')
  for (let i = 1; i < b.operators.length; i++) {
    if (!((b.operators[i - 1] as string) < (b.operators[i] as string))) return bad(`/body/operators/${i}`, 'operators must be sorted and distinct')
  }
  return undefined
}

function checkClearingStatement (b: BodyOf<'clearing-statement'>): Fail {
  if (b.clearer === b.operator) return bad('/body/operator', 'the operator must not be the clearer')
  if (!(b.period.end > b.period.start)) return bad('/body/period', 'end must be after start')
  const seen = new Set<string>()
  for (const [i, l] of b.lines.entries()) {
    const key = `${l.receipt}|${l.side}`
    if (seen.has(key)) return bad(`/body/lines/${i}`, 'a receipt appears at most once per side')
    seen.add(key)
    if (l.side === 'paid' && !/^0+(\.0+)?$/.test(l.margin)) return bad(`/body/lines/${i}/margin`, 'the paid side carries no margin')
  }
  return undefined
}

/** The first invariant `doc` breaks, as a `schema` error naming the path, or undefined. */
export function checkSemantics (doc: AnyDocument): WireError | undefined {
  switch (doc.type) {
    case 'tariff': return checkTariff(doc.body)
    case 'usage-report': return checkReport(doc.body)
    case 'usage-attestation': return checkAttestation(doc.body)
    case 'settlement-statement': return checkStatement(doc.body)
    case 'quote': return checkQuote(doc.body)
    case 'receipt': return undefined
    case 'consent': return checkConsent(doc.body)
    case 'clearer-announcement': return checkAnnouncement(doc.body)
    case 'clearing-statement': return checkClearingStatement(doc.body)
  }
}

/** Who must sign a document of this type: the issuer, both agents of a border, or clearer and operator. */
export function expectedSigners<T extends DocType> (type: T, body: BodyOf<T>): readonly string[] {
  const d: { type: string, body: unknown } = { type, body }
  if (!isKnownTypedBody(d)) return []
  switch (d.type) {
    case 'tariff': return [d.body.issuer]
    case 'usage-report': return [d.body.reporter]
    case 'usage-attestation': return d.body.border
    case 'settlement-statement': return d.body.border
    case 'quote': return [d.body.clearer]
    case 'receipt': return [d.body.operator]
    case 'consent': return [d.body.operator]
    case 'clearer-announcement': return [d.body.clearer]
    case 'clearing-statement': return [d.body.clearer, d.body.operator].sort()
  }
}
