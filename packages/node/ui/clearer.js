// The clearer's dashboard: operators served, their tariffs, quotes, receipts and whether each
// is settled, clearing statements, the ledger, and the evidence lookup for a receipt.
import { html, useState } from '/ui/preact-htm.js'
import { get, post, usePoll, time, short, Loading, Shell, useRoute } from '/ui/lib.js'

const VIEWS = [['operators', 'Operators'], ['quote', 'Quotes'], ['receipts', 'Receipts'], ['statements', 'Statements & ledger'], ['evidence', 'Evidence']]

function Operators () {
  const s = usePoll(async () => ({ ops: await get('/v1/operators'), tariffs: await get('/v1/tariffs') }), [], 3000)
  return html`<section><h2>Operators served</h2><${Loading} state=${s}>${({ ops, tariffs }) => html`
    <table id="operators"><thead><tr><th>Operator</th><th>Connection</th><th>Tariff in force</th><th>Prices</th></tr></thead><tbody>
    ${ops.map(o => { const t = tariffs.find(x => x.peerId === o.peerId)?.inForce; return html`<tr class=${o.connected ? '' : 'problem'} data-operator=${o.name}>
      <td>${o.name} <code class="muted">${short(o.peerId)}</code></td><td class=${o.connected ? 'ok' : 'bad'}>${o.connected ? 'connected' : 'down'}</td>
      <td>${t === null || t === undefined ? html`<span class="bad">none yet</span>` : html`version ${t.seq} since ${time(t.effective)}`}</td>
      <td>${t?.pricing === undefined ? '' : Object.entries(t.pricing.classes).map(([c, v]) => html`<div>${c}: ${v.price} ${t.pricing.currency}/${t.pricing.unit}</div>`)}</td></tr>` })}
    </tbody></table>`}<//></section>`
}

function Receipts () {
  const s = usePoll(async () => ({ receipts: await get('/v1/receipts'), statements: await get('/v1/statements') }))
  return html`<section><h2>Cleared receipts</h2><${Loading} state=${s}>${({ receipts, statements }) => html`
    <table id="receipts"><thead><tr><th>Receipt</th><th>Local / remote</th><th>Class</th><th class="num">Volume</th><th class="num">Charge</th><th class="num">Margin</th><th>Evidence</th><th>Status</th></tr></thead><tbody>
    ${receipts.map(r => { const settled = statements.some(st => st.operator === r.local && st.period.start === r.periodStart); return html`<tr data-receipt=${r.receipt}>
      <td><a href=${`#evidence/${r.receipt}`}><code>${short(r.receipt)}</code></a></td><td>${r.local} (${r.role}) / ${r.remote}</td><td>${r.class}</td><td class="num">${r.volume}</td>
      <td class="num">${r.charge}</td><td class="num">${r.margin}</td><td>${r.evidence}${r.reason !== null && r.reason !== undefined ? `: ${r.reason}` : ''}</td>
      <td class=${settled ? 'ok' : 'warn'} data-field="status">${settled ? 'settled' : 'cleared, settles at period end'}</td></tr>` })}
    </tbody></table>`}<//></section>`
}

function Statements () {
  const s = usePoll(async () => ({ statements: await get('/v1/statements'), ledger: await get('/v1/ledger'), audit: await get('/v1/audit') }), [], 3000)
  return html`<${Loading} state=${s}>${({ statements, ledger, audit }) => html`
    <section><h2>Ledger</h2><p>${audit.ok ? html`<span class="ok">Audit: consistent</span>` : html`<span class="bad">Audit: ${audit.problems.join('; ')}</span>`}</p>
      <table id="balances"><thead><tr><th>Account</th><th class="num">Debits</th><th class="num">Credits</th><th class="num">Net</th></tr></thead><tbody>
      ${ledger.balances.map(b => html`<tr data-account=${b.account}><td>${b.account}</td><td class="num">${b.debits}</td><td class="num">${b.credits}</td><td class="num" data-field="net">${b.net} ${b.currency}</td></tr>`)}</tbody></table></section>
    <section><h2>Clearing statements (${statements.length})</h2>
      <table id="statements"><thead><tr><th>Period</th><th>Operator</th><th class="num">Lines</th><th class="num">Net</th><th>Co-signed</th></tr></thead><tbody>
      ${statements.map(st => html`<tr data-id=${st.id}><td>${time(st.period.start)}</td><td>${st.operator}</td><td class="num">${st.lines.length}</td><td class="num">${st.net} ${st.currency}</td><td>${st.signers.length === 2 ? html`<span class="ok">both</span>` : st.signers.length}</td></tr>`)}</tbody></table></section>`}<//>`
}

/** The quotes issued, newest first (the latest 50), with expiry and the receipt that used each. */
function Quotes () {
  const s = usePoll(() => get('/v1/quotes?limit=50'), [], 2000)
  const cls = { used: 'ok', open: 'warn', expired: 'muted' }
  return html`<section><h2>Quotes issued</h2><${Loading} state=${s}>${list => list.length === 0 ? html`<p class="muted">No quotes yet.</p>` : html`
    <table id="quotes"><thead><tr><th class="num">#</th><th>Issued</th><th>Ends</th><th>Class</th><th class="num">Volume</th><th>Who pays</th><th class="num">Total</th><th class="num">Margin</th><th>Expires</th><th>Status</th></tr></thead><tbody>
    ${list.map(q => html`<tr data-quote=${q.id} data-seq=${q.seq}>
      <td class="num">${q.seq}</td><td>${time(q.issued)}</td><td>${q.ends.map(e => `${e.name} (${e.role})`).join(' → ')}</td><td>${q.class}</td><td class="num">${q.volume}</td>
      <td>${q.apportion}</td><td class="num" data-field="total">${q.total} ${q.currency}</td><td class="num">${q.margin}</td><td>${time(q.expires)}</td>
      <td class=${cls[q.status] ?? ''} data-field="status">${q.status === 'used' ? html`used by <a href=${`#evidence/${q.receipt}`}><code>${short(q.receipt)}</code></a>` : q.status}</td></tr>`)}
    </tbody></table>
    <p class="muted">Used: a receipt between the quote's operators, of its class, was cleared while the quote was valid.</p>`}<//></section>`
}

function Quote () {
  const ops = usePoll(() => get('/v1/operators'), [], 10_000)
  const [form, setForm] = useState({ sender: '', receiver: '', class: 'be', volume: '1000000', apportion: 'sender-pays' })
  const [out, setOut] = useState({})
  const ask = async (e) => {
    e.preventDefault()
    try {
      const q = await post('/v1/quotes', { ends: [{ operator: form.sender, role: 'sender' }, { operator: form.receiver, role: 'receiver' }], class: form.class, volume: form.volume, apportion: { kind: form.apportion } })
      setOut({ quote: q })
    } catch (err) { setOut({ error: err.message }) }
  }
  const field = (k) => ({ value: form[k], onInput: e => setForm({ ...form, [k]: e.target.value }) })
  const nameOf = (peerId) => ops.data?.find(o => o.peerId === peerId)?.name ?? short(peerId)
  return html`<section><h2>Quote an end-to-end price</h2><${Loading} state=${ops}>${list => html`<form onSubmit=${ask} class="grid2">
      <label>Sender's operator <select ...${field('sender')}><option value="">—</option>${list.map(o => html`<option value=${o.peerId}>${o.name}</option>`)}</select></label>
      <label>Receiver's operator <select ...${field('receiver')}><option value="">—</option>${list.map(o => html`<option value=${o.peerId}>${o.name}</option>`)}</select></label>
      <label>Class <input ...${field('class')} /></label><label>Volume <input ...${field('volume')} /></label>
      <label>Who pays <select ...${field('apportion')}>${['sender-pays', 'receiver-pays'].map(k => html`<option value=${k} selected=${form.apportion === k}>${k}</option>`)}</select></label>
      <div><button class="primary" type="submit">Quote</button></div></form>`}<//>
    ${out.error !== undefined ? html`<div class="error">${out.error}</div>` : null}
    ${out.quote !== undefined ? html`<p>Total <b>${out.quote.total} ${out.quote.quote.currency}</b> (margin ${out.quote.quote.margin}), valid until ${time(out.quote.quote.expires)}</p>
      <ul>${out.quote.quote.charges.map(c => html`<li>${nameOf(c.payer)} pays ${c.amount} for ${nameOf(c.operator)}'s end</li>`)}</ul>` : null}</section>
    <${Quotes} />`
}

function Evidence ({ id }) {
  const [value, setValue] = useState(id ?? '')
  const [out, setOut] = useState({})
  const look = async (e) => { e?.preventDefault(); try { setOut({ ev: await get(`/v1/evidence?receipt=${encodeURIComponent(value.trim())}`) }) } catch (err) { setOut({ error: err.message }) } }
  return html`<section><h2>Evidence for a receipt</h2>
    <form onSubmit=${look}><input name="receipt" size="64" placeholder="receipt id (bafyrei…)" value=${value} onInput=${e => setValue(e.target.value)} /> <button class="primary" type="submit">Look up</button></form>
    ${out.error !== undefined ? html`<div class="error">${out.error}</div>` : null}
    ${out.ev !== undefined ? html`<div id="evidence"><p data-field="status" class=${out.ev.settled ? 'ok' : 'warn'}>${out.ev.settled ? 'Settled' : 'Cleared, not settled yet'}</p>
      ${out.ev.settled ? html`<p>In the statement of ${time(out.ev.statement.period.start)}, net ${out.ev.statement.net} ${out.ev.statement.currency}, co-signed by ${out.ev.signers.map(short).join(' and ')}.</p><pre>${JSON.stringify(out.ev.line, null, 2)}</pre>` : html`<pre>${JSON.stringify(out.ev.record, null, 2)}</pre>`}</div>` : null}</section>`
}

export function ClearerApp () {
  const route = useRoute('operators')
  const [view, arg] = route.split('/')
  const health = usePoll(() => get('/health'), [], 10_000)
  const body = view === 'receipts' ? html`<${Receipts} />` : view === 'statements' ? html`<${Statements} />` : view === 'quote' ? html`<${Quote} />`
    : view === 'evidence' ? html`<${Evidence} id=${arg} key=${arg} />` : html`<${Operators} />`
  return html`<${Shell} title=${`splitedge clearer · ${health.data?.name ?? ''}`} views=${VIEWS} route=${route}>${body}<//>`
}
