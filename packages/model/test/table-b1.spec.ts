/**
 * Every row of the paper's Table B.1 (Appendix B), run through the scenario evaluator and compared
 * with values derived here from the formula
 *
 *   net(u→v) = V (w_vus p_v − w_uvr p_u)      (what u pays v for V crossing from u into v)
 *   S_x      = Σ nets x receives − Σ nets x pays
 *
 * The table lost cells in extraction, so each row's expected surpluses are derived below from the
 * weights, for d = 1 (traffic in the drawn direction) and d = 0 (reversed). Edge customers' weights
 * are 0, so any term with a w_c.. vanishes. Prices: p_a = p_b = p (the table's assumption).
 */
import assert from 'node:assert/strict'
import { evaluateScenario, formatRounded, type Scenario } from '../src/index.js'

const V = '7'
const P = '3'
const VP = 21 // V * p: the table's unit, Vp(Qt)

type W = { send: string, receive: string }
const w = (send: string | number, receive: string | number): W => ({ send: String(send), receive: String(receive) })

/** Surpluses as multiples of Vp, for the evaluator's networks. */
function surpluses (sc: Scenario): Record<string, string> {
  const r = evaluateScenario(sc)
  assert.equal(r.surplus.reduce((acc, s) => acc + s.c * 10n ** BigInt(40 - s.s), 0n), 0n, 'conservation')
  return Object.fromEntries(r.ids.map((id, i) => [id, formatRounded(r.surplus[i]!, 6)]))
}
/** k·Vp as the evaluator prints it (k is a small integer: exact). */
const times = (k: number): string => `${k * VP}.000000`.replace(/^-0\./, '0.')

/** Single provider b with edge customers c1 (sender when d = 1) and c2. */
function single (wb: W, d: 0 | 1): Scenario {
  return {
    decimals: 6,
    networks: [{ id: 'b', role: 'provider' }, { id: 'c1', role: 'edge' }, { id: 'c2', role: 'edge' }],
    prices: { b: { t: P } },
    weights: { b: { '*': wb } },
    flows: [{ path: d === 1 ? ['c1', 'b', 'c2'] : ['c2', 'b', 'c1'], class: 't', volume: V }]
  }
}

/** Providers a and b, customers ca (of a, sender when d = 1) and cb (of b). */
function pair (wa: { c: W, b: W }, wb: { c: W, a: W }, d: 0 | 1): Scenario {
  return {
    decimals: 6,
    networks: [{ id: 'a', role: 'provider' }, { id: 'b', role: 'provider' }, { id: 'ca', role: 'edge' }, { id: 'cb', role: 'edge' }],
    prices: { a: { t: P }, b: { t: P } },
    weights: { a: { ca: wa.c, b: wa.b }, b: { cb: wb.c, a: wb.a } },
    flows: [{ path: d === 1 ? ['ca', 'a', 'b', 'cb'] : ['cb', 'b', 'a', 'ca'], class: 't', volume: V }]
  }
}

const expectVp = (m: Record<string, number>): Record<string, string> =>
  Object.fromEntries(Object.entries(m).map(([k, x]) => [k, times(x)]))

describe('Table B.1: single provider Nb, edge customers c1, c2 (rows 1-3)', () => {
  // d = 1: c1 → b → c2.  Sb = net(c1→b) − net(b→c2)
  //   net(c1→b) = V(w_b,c1,s·p − w_c1,b,r·0) = V·w_bs·p ;  net(b→c2) = V(0 − w_b,c2,r·p) = −V·w_br·p
  //   ⇒ Sb = Vp(w_bs + w_br), Sc1 = −Vp·w_bs, Sc2 = −Vp·w_br.  d = 0 swaps the roles of c1 and c2.
  const rows: Array<[string, W, (d: number) => Record<string, number>]> = [
    // receiver pays all: w_s = 0, w_r = 2 → Sb = 2, Sc1 = −2ð, Sc2 = −2d
    ['receiver pays all', w(0, 2), d => ({ b: 2, c1: -2 * (1 - d), c2: -2 * d })],
    // sender pays all: w_s = 2, w_r = 0 → Sb = 2, Sc1 = −2d, Sc2 = −2ð
    ['sender pays all', w(2, 0), d => ({ b: 2, c1: -2 * d, c2: -2 * (1 - d) })],
    // both pay equally: w_s = w_r = 1 → Sb = 2, Sc1 = −d − ð = −1, Sc2 = −1
    ['senders and receivers pay equally', w(1, 1), () => ({ b: 2, c1: -1, c2: -1 })]
  ]
  function derive (wb: W, d: number): Record<string, number> {
    const sender = Number(wb.send) // net(sender→b) = V·w_bs·p
    const receiver = -Number(wb.receive) // net(b→receiver) = −V·w_br·p
    const [c1, c2] = d === 1 ? [-sender, receiver] : [receiver, -sender]
    return { b: sender - receiver, c1, c2 }
  }
  for (const [name, wb, expected] of rows) {
    for (const d of [1, 0] as const) {
      it(`${name}, d=${d}`, () => {
        assert.deepEqual(derive(wb, d), expected(d))
        assert.deepEqual(surpluses(single(wb, d)), expectVp(expected(d)))
      })
    }
  }
})

describe('Table B.1: two providers Na, Nb, each with an edge customer (rows 4-11)', () => {
  // d = 1: ca → a → b → cb.
  //   net(ca→a) = V·w_a,ca,s·p          (ca charges nothing)
  //   net(a→b)  = V(w_bas·p − w_abr·p)
  //   net(b→cb) = −V·w_b,cb,r·p
  //   Sa = net(ca→a) − net(a→b);  Sb = net(a→b) − net(b→cb);  Sca = −net(ca→a);  Scb = net(b→cb)
  // d = 0: cb → b → a → ca, the same with a↔b, ca↔cb:
  //   net(cb→b) = V·w_b,cb,s·p;  net(b→a) = V(w_abs·p − w_bar·p);  net(a→ca) = −V·w_a,ca,r·p
  //   Sb = net(cb→b) − net(b→a);  Sa = net(b→a) − net(a→ca);  Scb = −net(cb→b);  Sca = net(a→ca)
  function derive (wa: { c: W, b: W }, wb: { c: W, a: W }, d: number): Record<string, number> {
    const n = Number
    if (d === 1) {
      const caA = n(wa.c.send); const aB = n(wb.a.send) - n(wa.b.receive); const bCb = -n(wb.c.receive)
      return { a: caA - aB, b: aB - bCb, ca: -caA, cb: bCb }
    }
    const cbB = n(wb.c.send); const bA = n(wa.b.send) - n(wb.a.receive); const aCa = -n(wa.c.receive)
    return { a: bA - aCa, b: cbB - bA, ca: aCa, cb: -cbB }
  }
  type Row = [string, { c: W, b: W }, { c: W, a: W }, (d: number) => Record<string, number>]
  const same = (x: W): { c: W, b: W } & { a: W } => ({ c: x, b: x, a: x })
  const rows: Row[] = [
    // Retail and wholesale prices the same (w_acz = w_abz, w_bcz = w_baz), all retail identical.
    // receiver pays all (w_s = 0, w_r = 2): d=1: net(ca→a)=0, net(a→b)=−2, net(b→cb)=−2
    //   ⇒ Sa = 2d, Sb = 2ð, Sca = −2ð, Scb = −2d (table: "2d −2ð −2d", Sb's cell lost)
    ['same prices, receiver pays all', same(w(0, 2)), same(w(0, 2)), d => ({ a: 2 * d, b: 2 * (1 - d), ca: -2 * (1 - d), cb: -2 * d })],
    // sender pays all (w_s = 2, w_r = 0): d=1: net(ca→a)=2, net(a→b)=2, net(b→cb)=0
    //   ⇒ Sa = 2ð, Sb = 2d, Sca = −2d, Scb = −2ð (table: "2d −2d −2ð", Sa's cell lost)
    ['same prices, sender pays all', same(w(2, 0)), same(w(2, 0)), d => ({ a: 2 * (1 - d), b: 2 * d, ca: -2 * d, cb: -2 * (1 - d) })],
    // both pay equally (w_s = w_r = 1): d=1: net(ca→a)=1, net(a→b)=1−1=0, net(b→cb)=−1
    //   ⇒ Sa = Sb = d + ð = 1, Sca = Scb = −1
    ['same prices, both pay equally', same(w(1, 1)), same(w(1, 1)), () => ({ a: 1, b: 1, ca: -1, cb: -1 })],
    // Na only charges senders, Nb only receivers, same price (w_ajs = w_bjr = 2, w_ajr = w_bjs = 0):
    //   d=1: net(ca→a)=2, net(a→b)=w_bas−w_abr=0−0=0, net(b→cb)=−2 ⇒ Sa = Sb = 2, Sca = Scb = −2
    //   d=0: net(cb→b)=0, net(b→a)=w_abs−w_bar=2−2=0, net(a→ca)=0 ⇒ all 0.  Table: 2d 2d −2d −2d
    ['same prices, Na charges senders, Nb receivers', same(w(2, 0)), same(w(0, 2)), d => ({ a: 2 * d, b: 2 * d, ca: -2 * d, cb: -2 * d })],
    // Wholesale prices half retail: w_abz = w_acz / 2, w_baz = w_bcz / 2 (the extracted "2w_acz = w_abz"
    // contradicts "half", and only the halved weights reproduce the table's Sa = Sb = 1).
    // receiver pays all (w_cs = 0, w_cr = 2; wholesale w_s = 0, w_r = 1):
    //   d=1: net(ca→a)=0, net(a→b)=0−1=−1, net(b→cb)=−2 ⇒ Sa = 1, Sb = −1+2 = 1, Sca = 0, Scb = −2
    //   ⇒ Sa = Sb = d + ð = 1, Sca = −2ð, Scb = −2d
    ['wholesale half, receiver pays all', { c: w(0, 2), b: w(0, 1) }, { c: w(0, 2), a: w(0, 1) }, d => ({ a: 1, b: 1, ca: -2 * (1 - d), cb: -2 * d })],
    // sender pays all (w_cs = 2, w_cr = 0; wholesale w_s = 1, w_r = 0):
    //   d=1: net(ca→a)=2, net(a→b)=1, net(b→cb)=0 ⇒ Sa = 1, Sb = 1, Sca = −2d, Scb = −2ð
    ['wholesale half, sender pays all', { c: w(2, 0), b: w(1, 0) }, { c: w(2, 0), a: w(1, 0) }, d => ({ a: 1, b: 1, ca: -2 * d, cb: -2 * (1 - d) })],
    // both pay equally (w_cs = w_cr = 1; wholesale 0.5 each):
    //   d=1: net(ca→a)=1, net(a→b)=0.5−0.5=0, net(b→cb)=−1 ⇒ Sa = Sb = 1, Sca = Scb = −1
    ['wholesale half, both pay equally', { c: w(1, 1), b: w('0.5', '0.5') }, { c: w(1, 1), a: w('0.5', '0.5') }, () => ({ a: 1, b: 1, ca: -1, cb: -1 })],
    // Na only charges senders, Nb only receivers (w_acs = w_bcr = 2, w_acr = w_bcs = 0; wholesale
    // halved: w_abs = 1, w_abr = 0, w_bas = 0, w_bar = 1):
    //   d=1: net(ca→a)=2, net(a→b)=0−0=0, net(b→cb)=−2 ⇒ Sa = Sb = 2, Sca = Scb = −2
    //   d=0: net(cb→b)=0, net(b→a)=1−1=0, net(a→ca)=0 ⇒ all 0.  Table: 2d 2d −2d −2d
    ['wholesale half, Na charges senders, Nb receivers', { c: w(2, 0), b: w(1, 0) }, { c: w(0, 2), a: w(0, 1) }, d => ({ a: 2 * d, b: 2 * d, ca: -2 * d, cb: -2 * d })]
  ]
  for (const [name, wa, wb, expected] of rows) {
    for (const d of [1, 0] as const) {
      it(`${name}, d=${d}`, () => {
        // The table's value and the formula's derivation agree with each other and the evaluator.
        assert.deepEqual(derive(wa, wb, d), expected(d))
        assert.deepEqual(surpluses(pair(wa, wb, d)), expectVp({ a: 0, b: 0, ca: 0, cb: 0, ...expected(d) }))
      })
    }
  }
})
