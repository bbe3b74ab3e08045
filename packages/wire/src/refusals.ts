/**
 * Every refusal code splitedge uses, in one place and one casing (kebab-case). The same code is
 * what an HTTP answer's `code` says, what a protocol error frame carries, what a log line names
 * and what the `reason` label of `splitedge_rejected_total` counts. Each part of the system
 * refuses with a subset (`WireErrorCode`, `RuleCode`, `RequestErrorCode`, …), declared with
 * `Refusals<…>` so that a code missing here does not compile. HTTP statuses are not domain
 * knowledge: the HTTP layer maps codes to statuses in one table (`@splitedge/node`).
 */
export const REFUSALS = {
  // ---- bytes and shape (documents, frames, bodies) ----
  oversize: 'larger than the limit for its kind, checked before it is read',
  malformed: 'not decodable: bad CBOR or JSON, a truncated frame, a bad length prefix',
  'non-canonical': 'decodes, but is not the one canonical encoding of its value',
  'trailing-bytes': 'one complete item followed by more bytes',
  'trailing-data': 'bytes after the request frame on a request stream',
  'unknown-field': 'a property its schema does not name',
  'bad-type': 'a value of the wrong kind (a string where an integer is due, …)',
  schema: 'the right kind, a wrong value: pattern, range, length, enum, a missing property',
  invalid: 'a request field fails its check (the answer names the field)',
  'unknown-type': 'a document type this version does not know',
  'bad-version': 'a known document type at a version this version does not support',
  'wrong-type': 'another document type than the one expected here',
  // ---- signatures and parties ----
  'bad-signature': 'a signature does not verify, or a signer is not an Ed25519 PeerId',
  'missing-signature': 'a required party has not signed',
  'duplicate-signer': 'one party signed twice',
  'unexpected-signer': 'a party signed that has no place on the document',
  'wrong-author': 'signed by someone other than the peer it came from',
  'wrong-parties': 'an attestation or statement not between exactly this border\'s two agents',
  'wrong-issuer': 'a tariff on another issuer\'s topic',
  'wrong-reporter': 'a usage report signed by someone other than the neighbour that sent it',
  'interval-mismatch': 'a report or attestation for another interval than the one asked about',
  tolerance: 'a neighbour that reconciled with a wider tolerance than ours',
  mismatch: 'a neighbour that computed a different attestation from the same two reports',
  // ---- sequence and time ----
  'stale-sequence': 'a tariff sequence not above the last accepted from its issuer',
  duplicate: 'the very version already held: ignored, not punished',
  'previous-mismatch': 'a tariff whose `previous` is not the last accepted version',
  'inside-notice': 'a tariff effective sooner than its notice period allows',
  'future-published': 'published later than now plus the clock-skew allowance',
  'future-interval': 'a usage interval that has not ended yet, beyond the clock-skew allowance',
  'in-future': 'a usage push for a time later than now plus the clock-skew allowance',
  expired: 'a quote past its expiry',
  replayed: 'a receipt or document already used once',
  // ---- request/response between peers ----
  timeout: 'the deadline passed before a whole answer arrived',
  stalled: 'the deadline passed before the whole request arrived',
  aborted: 'the caller gave up',
  unreachable: 'no connection to the peer could be made',
  unsupported: 'the peer does not speak this protocol',
  refused: 'the peer is not allowed to use this protocol here',
  remote: 'the peer\'s handler failed; the message says why',
  closed: 'the stream closed before a whole answer arrived',
  protocol: 'a frame that breaks the request/response protocol',
  // ---- usage intake ----
  'unknown-neighbour': 'no configured neighbour by that name or PeerId',
  'unpriced-class': 'a traffic class neither side\'s tariff prices',
  'over-limit': 'a volume or count past the documented limit',
  'before-border': 'an interval before this border started being reported',
  'interval-closed': 'an interval already reported to the neighbour',
  'key-reused': 'an idempotency key reused with another request',
  'storage-full': 'the disk is full: nothing was written',
  'storage-failed': 'the store could not write: nothing was written',
  unreportable: 'counters that cannot be signed into a report',
  'period-mismatch': 'a period that is not one of this border\'s (length or alignment)',
  'not-followed': 'a tariff from an issuer this node does not follow',
  gap: 'a tariff whose predecessor this node does not hold yet: it syncs the chain',
  equivocation: 'an issuer signed two different versions with one sequence number; both kept as evidence',
  // ---- disputes ----
  'not-disputed': 'no open dispute for that interval',
  settled: 'the period is already settled',
  'no-reports': 'no reports to revise from',
  'bad-figures': 'revised figures that are not decimal volumes',
  conflict: 'a different record already holds this slot',
  model: 'a statement that is not the model evaluated on the attested inputs and the tariffs in force',
  'already-settled': 'a line or period already settled once',
  // ---- clearing ----
  'forged-receipt': 'a receipt whose signatures do not verify',
  'forged-consent': 'a consent whose signature does not verify',
  'not-served': 'an operator this clearer does not serve',
  'same-operator': 'both ends at one operator: nothing to clear',
  'no-tariff': 'no tariff in force for an end\'s operator',
  'unknown-class': 'a class the tariff does not price',
  uncovered: 'a receipt no consent covers',
  'outside-window': 'a receipt outside its consent\'s time window',
  'over-volume': 'more volume than the consent allows',
  'dispute-not-allowed': 'a dispute the consent does not allow',
  'zero-charge': 'a receipt that moves no money',
  'bad-share': 'apportionment shares that do not add up',
  'currency-mismatch': 'amounts in different currencies',
  'no-evidence': 'a clearing line without the receipt that backs it',
  'not-ours': 'a line for an end that is not this operator\'s',
  'wrong-charge': 'a charge that is not what this operator\'s tariff gives',
  'wrong-margin': 'a margin that is not the agreed one',
  'wrong-net': 'a net that is not the sum of the lines',
  // ---- HTTP ----
  'unsupported-media-type': 'a body that is not application/json',
  'method-not-allowed': 'a method the route does not take',
  'not-found': 'no such route, record or file',
  forbidden: 'an operator action from another host than loopback',
  'cross-origin': 'a write whose Origin is another site',
  'cross-site': 'a write a browser marks as sent from another site (Sec-Fetch-Site)',
  'missing-token': 'a write (or a read from another host) without the bearer token',
  'malformed-token': 'an Authorization header that is not "Bearer <token>"',
  'wrong-token': 'a bearer token that is not this node\'s',
  internal: 'an unexpected failure; the log has the detail'
} as const

/** One refusal code. */
export type Refusal = keyof typeof REFUSALS

/** A subset of the refusal codes: `Refusals<'a' | 'b'>` does not compile if 'a' or 'b' is not one. */
export type Refusals<T extends Refusal> = T

export const isRefusal = (code: string): code is Refusal => Object.hasOwn(REFUSALS, code)
