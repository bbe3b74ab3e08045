// The agent's dashboard: overview, tariffs, border detail, disputes, statements and ledger,
// brokerage. Every figure comes from the agent's own JSON API (see /openapi.json), refreshed
// every two seconds. On a clearer's server the page loads clearer.js instead.
import { html, useState, useEffect, render } from '/ui/preact-htm.js'
import { get, post, getAll, download, usePoll, time, hms, short, Loading, Shell, Chart, useRoute } from '/ui/lib.js'

const VIEWS = [['overview', 'Overview'], ['tariffs', 'Tariffs'], ['border', 'Border detail'], ['disputes', 'Disputes'], ['statements', 'Statements & ledger'], ['brokerage', 'Brokerage']]

function Overview () {
  const s = usePoll(() => get('/v1/overview'))
  return html`<section><h2>Borders</h2><${Loading} state=${s}>${o => html`
    <p class="muted">${o.name} · period of ${o.periodIntervals} × ${o.intervalMs / 1000} s intervals · updated ${hms(o.now)}</p>
    <table id="overview"><thead><tr><th>Neighbour</th><th>Connection</th><th>Last attested</th><th class="num">Pending</th><th class="num">Open disputes</th><th class="num">Running net (this period)</th><th class="num">Ledger balance</th><th>SLA factors in force</th><th>Problems</th></tr></thead>
    <tbody>${o.neighbours.map(n => html`<tr class=${n.problems.length > 0 ? 'problem' : ''} data-neighbour=${n.name}>
      <td><a href=${`#border/${n.name}`}>${n.name}</a> <span class="muted">${n.status}</span></td>
      <td class=${n.connected ? 'ok' : 'bad'}>${n.connected ? 'connected' : 'down'}</td>
      <td>${hms(n.lastAttested)}</td>
      <td class="num" data-field="pending">${n.pendingIntervals}${n.lateIntervals > 0 ? html` <span class="bad">(${n.lateIntervals} late)</span>` : ''}</td>
      <td class=${`num ${n.openDisputes > 0 ? 'bad' : ''}`} data-field="disputes">${n.openDisputes}</td>
      <td class="num" data-field="running">${n.runningNet ?? '—'}</td>
      <td class="num" data-field="balance">${n.balance} ${n.currency ?? ''}</td>
      <td>${Object.entries(n.slaFactors).map(([k, v]) => html`<div><span class="muted">${k}</span> ${v.join(', ')}</div>`)}</td>
      <td>${n.problems.length === 0 ? html`<span class="ok">none</span>` : n.problems.map(p => html`<div class="bad">${p}</div>`)}</td>
    </tr>`)}</tbody></table>
    <p class="muted">Balance: positive when the neighbour owes us. Running net: this period so far, from the attested intervals.</p>`}<//></section>`
}

/** `classes.be.price` → value, for a readable diff between two tariff versions. */
function flatten (v, prefix = '', out = {}) {
  if (v !== null && typeof v === 'object') { for (const [k, x] of Object.entries(v)) flatten(x, prefix === '' ? k : `${prefix}.${k}`, out) } else out[prefix] = JSON.stringify(v)
  return out
}

function Diff ({ from, to }) {
  const a = flatten(from)
  const b = flatten(to)
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort().filter(k => a[k] !== b[k])
  if (keys.length === 0) return html`<span class="muted">no change</span>`
  return html`<ul class="diff">${keys.map(k => html`<li><code>${k}</code>: ${a[k] !== undefined ? html`<span class="diff-del">${a[k]}</span> ` : ''}${b[k] !== undefined ? html`<span class="diff-add">${b[k]}</span>` : html`<em>removed</em>`}</li>`)}</ul>`
}

function Tariffs () {
  const s = usePoll(async () => ({ all: await getAll('/v1/tariffs'), health: await get('/health') }), [], 5000)
  return html`<${Loading} state=${s}>${({ all, health }) => {
    const now = Date.now()
    const issuers = [...new Set(all.map(t => t.issuer))]
    return issuers.map(issuer => {
      const versions = all.filter(t => t.issuer === issuer).sort((x, y) => x.seq - y.seq)
      const inForce = versions.filter(v => v.effective <= now).at(-1)
      const next = versions.find(v => v.effective > now)
      const mine = issuer === health.name
      return html`<section data-issuer=${issuer}><h2>${mine ? `Our tariff (${issuer})` : `${issuer}'s tariff`}</h2>
        <p>In force: ${inForce === undefined ? html`<span class="bad">none</span>` : html`version <b data-field="in-force-seq">${inForce.seq}</b> since ${time(inForce.effective)} (${inForce.pricing.currency}, per ${inForce.pricing.unit})`}
        ${next !== undefined ? html` · next: version ${next.seq} takes effect ${time(next.effective)}` : ' · no newer version announced'}
        ${inForce !== undefined ? html` · notice given: ${Math.round((inForce.effective - inForce.published) / 1000)} s` : ''}</p>
        ${inForce !== undefined ? html`<table><thead><tr><th>Class</th><th class="num">Price</th><th>Message fee</th><th>SLA criteria</th></tr></thead><tbody>
          ${Object.entries(inForce.pricing.classes ?? {}).map(([c, v]) => html`<tr><td>${c}</td><td class="num">${v.price}</td><td>${v.messageFee === undefined ? '—' : JSON.stringify(v.messageFee)}</td><td>${(v.sla ?? []).map(x => x.metric).join(', ') || '—'}</td></tr>`)}
        </tbody></table>` : null}
        <h3>Versions</h3>
        <table><thead><tr><th class="num">Version</th><th>Published</th><th>Effective</th><th>Changes from the previous version</th></tr></thead><tbody>
          ${versions.map((v, i) => html`<tr><td class="num">${v.seq}</td><td>${time(v.published)}</td><td>${time(v.effective)}</td><td>${i === 0 ? html`<span class="muted">first version</span>` : html`<${Diff} from=${versions[i - 1].pricing} to=${v.pricing} />`}</td></tr>`)}
        </tbody></table></section>`
    })
  }}<//>`
}

function Reports ({ neighbour, start }) {
  const s = usePoll(() => get(`/v1/reports?neighbour=${encodeURIComponent(neighbour)}&interval=${start}`), [neighbour, start], 5000)
  const side = (r, who) => html`<div><h3>${who}</h3>${r === null ? html`<p class="muted">no report</p>` : html`
    <p class="muted">${r.reporter} · revision ${r.revision} · <code>${short(r.id)}</code></p>
    <table><thead><tr><th>Class</th><th>From → to</th><th class="num">Volume</th></tr></thead><tbody>
    ${r.lines.map(l => html`<tr><td>${l.class}</td><td>${l.from} → ${l.to}</td><td class="num">${l.volume}</td></tr>`)}</tbody></table>`}</div>`
  return html`<section id="reports"><h2>Signed reports of ${time(start)}</h2><${Loading} state=${s}>${r => html`<div class="grid2">${side(r.ours, 'Ours')}${side(r.theirs, `${r.neighbour}'s`)}</div>`}<//></section>`
}

function Border ({ name }) {
  const ov = usePoll(() => get('/v1/overview'), [], 5000)
  const [picked, setPicked] = useState(undefined)
  const names = ov.data?.neighbours.map(n => n.name) ?? []
  const neighbour = name ?? names[0]
  const s = usePoll(async () => {
    if (neighbour === undefined) return undefined
    const now = Date.now()
    const span = (ov.data?.intervalMs ?? 300_000) * 60
    const q = `neighbour=${encodeURIComponent(neighbour)}&from=${now - span}&to=${now}`
    return { atts: await getAll(`/v1/attestations?${q}&limit=1000`), intervals: await get(`/v1/intervals?${q}`) }
  }, [neighbour, ov.data?.intervalMs])
  if (neighbour === undefined) return html`<section><p class="muted">No neighbours.</p></section>`
  return html`<section><h2>Border with ${neighbour}</h2>
    <p>${names.map(n => html`<a href=${`#border/${n}`} class=${n === neighbour ? 'pill attested' : 'pill'}>${n}</a> `)}</p>
    <${Loading} state=${s}>${d => d === undefined ? null : html`
      <h3>Attested volume per class and direction</h3>
      <${Chart} id="volumes" ...${series(d.atts, ov.data?.peerId)} />
      <h3>Intervals (last hour of intervals; click a disputed one)</h3>
      <div class="intervals" id="intervals">${d.intervals.map(i => html`<button class=${i.status} title=${`${time(i.intervalStart)} ${i.status}`} data-status=${i.status} data-start=${i.intervalStart} onClick=${() => setPicked(i.intervalStart)}></button>`)}</div>
      <p class="muted">${['attested', 'disputed', 'pending', 'late', 'open', 'skipped'].map(st => html`<span class=${`pill ${st}`}>${st} ${d.intervals.filter(i => i.status === st).length}</span> `)}</p>`}<//>
  </section>${picked !== undefined ? html`<${Reports} neighbour=${neighbour} start=${picked} />` : null}`
}

/** Volumes per class and direction (from our side: out, in) over time, for the chart. */
function series (atts, self) {
  const xs = atts.map(a => a.intervalStart / 1000)
  const keyOf = (l) => `${l.class} ${l.from === self ? 'out' : 'in'}`
  const keys = [...new Set(atts.flatMap(a => a.lines.map(keyOf)))].sort()
  return { xs, series: keys.map(k => ({ label: k, values: atts.map(a => { const l = a.lines.find(x => keyOf(x) === k); return l === undefined ? null : Number(l.volume) }) })) }
}

function Revise ({ d, self, onDone }) {
  const start = Number(d.key)
  const [mode, setMode] = useState(undefined)
  const [lines, setLines] = useState([])
  const [reports, setReports] = useState(undefined)
  const [state, setState] = useState({})
  const load = async (m) => {
    const r = await get(`/v1/reports?neighbour=${encodeURIComponent(d.neighbour)}&interval=${start}`)
    setReports(r)
    setLines((r.ours?.lines ?? []).map(l => ({ class: l.class, direction: l.from === self ? 'out' : 'in', volume: l.volume })))
    setMode(m)
  }
  const confirm = async () => {
    setState({ busy: true })
    try {
      const body = mode === 'accept' ? { neighbour: d.neighbour, intervalStart: start, accept: true } : { neighbour: d.neighbour, intervalStart: start, lines }
      const r = await post('/v1/disputes/revise', body)
      setState({ done: `Signed revision ${r.revision} (report ${short(r.report)}); ${d.neighbour} reconciles again.` })
      setMode(undefined)
      onDone?.()
    } catch (e) { setState({ error: e.message }) }
  }
  const signed = mode === 'accept' ? (reports?.theirs?.lines ?? []).map(l => ({ class: l.class, direction: l.from === self ? 'out' : 'in', volume: l.volume })) : lines
  return html`<div>
    ${mode === undefined ? html`<button class="secondary" data-action="accept" onClick=${() => load('accept')}>Accept ${d.neighbour}'s figures</button> <button class="secondary" data-action="correct" onClick=${() => load('correct')}>Enter corrected figures</button>` : null}
    ${mode === 'correct' ? html`<table><tbody>${lines.map((l, i) => html`<tr><td>${l.class}</td><td>${l.direction}</td><td><input name=${`volume-${l.class}-${l.direction}`} value=${l.volume} onInput=${e => setLines(lines.map((x, j) => j === i ? { ...x, volume: e.target.value.trim() } : x))} /></td></tr>`)}</tbody></table>` : null}
    ${mode !== undefined ? html`<div class="confirm" data-confirm>
      <b>We will sign a new report for ${time(start)} with ${d.neighbour}, revision ${(reports?.ours?.revision ?? 0) + 1}, with these figures:</b>
      <ul>${signed.map(l => html`<li>${l.class} ${l.direction === 'out' ? `${self} → ${d.neighbour}` : `${d.neighbour} → ${self}`}: <b>${l.volume}</b></li>`)}</ul>
      <button class="primary" data-action="confirm" disabled=${state.busy === true} onClick=${confirm}>Sign and send</button> <button class="secondary" onClick=${() => setMode(undefined)}>Cancel</button>
    </div>` : null}
    ${state.error !== undefined ? html`<div class="error" data-error>${state.error}</div>` : null}
    ${state.done !== undefined ? html`<p class="ok" data-done>${state.done}</p>` : null}
  </div>`
}

function Disputes () {
  const s = usePoll(async () => ({ list: await getAll('/v1/disputes'), health: await get('/health') }))
  return html`<${Loading} state=${s}>${({ list, health }) => ['open', 'resolved'].map(st => html`<section><h2>${st === 'open' ? 'Open disputes' : 'Resolved disputes'}</h2>
    <table id=${`disputes-${st}`}><thead><tr><th>Neighbour</th><th>Kind</th><th>Interval / period</th><th>Opened</th><th>Detail</th>${st === 'open' ? html`<th>Resolve</th>` : html`<th>Resolved</th>`}</tr></thead><tbody>
    ${list.filter(d => d.status === st).map(d => html`<tr data-key=${d.key} data-neighbour=${d.neighbour}>
      <td>${d.neighbour}</td><td>${d.kind}</td><td>${/^[0-9]+$/.test(d.key) ? time(Number(d.key)) : d.key}</td><td>${time(d.opened)}</td>
      <td class="wrap"><code>${JSON.stringify(d.detail).slice(0, 200)}</code></td>
      <td class="wrap">${st === 'open' ? (d.kind === 'usage' ? html`<${Revise} d=${d} self=${health.name} />` : html`<span class="muted">resolved by the protocol</span>`) : time(d.resolved)}</td>
    </tr>`)}</tbody></table></section>`)}<//>`
}

/** One side's part of a line: its tariff version, weight, price, SLA factor and charge (the fee it makes). */
function Side ({ s, at, cls }) {
  if (s === null || s === undefined) return html`<td colspan="5" class="muted">—</td>`
  return html`<td title=${s.tariff ?? ''}>${s.network}${s.version !== null ? html` <span class="muted">v${s.version}</span>` : html` <span class="bad">tariff not held</span>`}${s.class !== null && s.class !== cls ? html` <span class="muted">as ${s.class}</span>` : ''}</td>
    <td class="num" data-field=${`${at}-weight`} title=${s.weightKind === null ? 'not weighted' : `${s.weightKind} weight`}>${s.weight ?? '—'}</td><td class="num" data-field=${`${at}-price`}>${s.price ?? '—'}</td>
    <td class="num" data-field=${`${at}-factor`}>${s.factor}</td><td class="num" data-field=${`${at}-charge`}>${s.charge ?? '—'}</td>`
}

/** A statement line by line: volume, each side's weight, price, SLA factor and charge, and the net the line moves. */
function StatementLines ({ st }) {
  return html`<table class="lines"><thead>
    <tr><th rowspan="2">Kind</th><th rowspan="2">Class</th><th rowspan="2">From → to</th><th rowspan="2" class="num">Volume</th>
      <th colspan="5">Receiving side's fee</th><th colspan="5">Sending side's fee (deducted)</th><th rowspan="2" class="num" title="what the sender pays the receiver on this line">Net</th><th rowspan="2">Note</th></tr>
    <tr>${[0, 1].map(() => html`<th>Tariff</th><th class="num">Weight</th><th class="num">Price</th><th class="num">SLA</th><th class="num">Fee</th>`)}</tr></thead><tbody>
    ${st.lines.map((l, i) => html`<tr data-line=${i} data-kind=${l.kind}><td>${l.kind}</td><td>${l.class ?? '—'}</td><td>${l.from} → ${l.to}</td><td class="num" data-field="volume">${l.volume}</td>
      <${Side} s=${l.applied?.to} at="to" cls=${l.class} /><${Side} s=${l.applied?.from} at="from" cls=${l.class} /><td class="num" data-field="amount">${l.amount}</td><td class="muted">${l.note ?? ''}</td></tr>`)}
    <tr><td colspan="14"><b>Net</b> <span class="muted">(${st.payer} pays ${st.payee}; fee = volume × weight × price × SLA factor, net = receiving side's fee − sending side's, rounded once)</span></td><td class="num"><b>${st.net}</b></td><td></td></tr></tbody></table>`
}

function Statements () {
  const s = usePoll(async () => ({ list: await getAll('/v1/statements'), ledger: await get('/v1/ledger?limit=1000'), neighbours: await get('/v1/neighbours') }), [], 4000)
  const [error, setError] = useState(undefined)
  const save = (path, name) => download(path, name).catch(e => setError(e.message))
  return html`<${Loading} state=${s}>${({ list, ledger, neighbours }) => {
    const byPeer = Object.fromEntries(neighbours.map(n => [`neighbour:${n.peerId}`, n.name]))
    const from = list.length === 0 ? 0 : list[0].period.start
    const to = list.length === 0 ? Date.now() : list.at(-1).period.end
    return html`<section><h2>Ledger balances</h2>
      <table id="balances"><thead><tr><th>Account</th><th class="num">Debits</th><th class="num">Credits</th><th class="num">Net</th></tr></thead><tbody>
      ${ledger.balances.map(b => html`<tr data-account=${byPeer[b.account] ?? b.account}><td>${byPeer[b.account] ?? b.account}</td><td class="num">${b.debits}</td><td class="num">${b.credits}</td><td class="num" data-field="net">${b.net} ${b.currency}</td></tr>`)}</tbody></table>
      <h3>Balance per neighbour over time</h3><${Chart} id="ledger-chart" ...${balanceSeries(ledger.entries, byPeer)} />
      <p><button class="secondary" data-action="csv" onClick=${() => save(`/v1/statements.csv?from=${from}&to=${to}`, 'statements.csv')}>Export CSV</button>
      <button class="secondary" data-action="ndjson" onClick=${() => save(`/v1/export/statements.ndjson?from=${from}&to=${to}`, 'statements.ndjson')}>Export JSON</button>
      <span class="muted">every line from ${time(from)} to ${time(to)}</span></p>
      ${error !== undefined ? html`<div class="error">${error}</div>` : null}</section>
      <section><h2>Co-signed statements (${list.length})</h2>
      ${list.slice().reverse().map((st, i) => html`<details class="statement" data-id=${st.id} open=${i === 0}><summary>${time(st.period.start)} · ${st.neighbour} · <b>${st.payer} pays ${st.payee} ${st.amount} ${st.currency}</b> · ${st.lines.length} lines</summary>
        <${StatementLines} st=${st} /></details>`)}</section>`
  }}<//>`
}

/** The running balance of each neighbour account after each posting (positive: they owe us). */
function balanceSeries (entries, byPeer) {
  const accounts = Object.keys(byPeer)
  const xs = []
  const values = accounts.map(() => [])
  const running = accounts.map(() => 0)
  // Start from zero just before the first posting, so one posting still draws a line.
  const first = entries.find(e => accounts.includes(e.debit) || accounts.includes(e.credit))
  if (first !== undefined) { xs.push(first.time / 1000 - 1); values.forEach(v => v.push(0)) }
  for (const e of entries) {
    const i = accounts.indexOf(e.debit)
    const j = accounts.indexOf(e.credit)
    if (i < 0 && j < 0) continue
    if (i >= 0) running[i] += Number(e.amount)
    if (j >= 0) running[j] -= Number(e.amount)
    xs.push(e.time / 1000 + xs.length * 1e-6)
    running.forEach((v, k) => values[k].push(v))
  }
  return { xs, series: accounts.map((a, k) => ({ label: byPeer[a], values: values[k] })) }
}

function Brokerage () {
  const s = usePoll(() => getAll('/v1/brokerage'), [], 5000)
  return html`<section><h2>Brokerage per class and period</h2><${Loading} state=${s}>${list => html`
    <table id="brokerage"><thead><tr><th>Period</th><th>Class</th><th class="num">Charged to originators</th><th class="num">Paid to terminators</th><th class="num">Retained</th><th>SLA factors that moved them</th></tr></thead><tbody>
    ${list.slice().reverse().flatMap(p => p.error !== undefined ? [html`<tr><td>${time(p.periodStart)}</td><td colspan="5" class="bad">${p.error}</td></tr>`] : [
      ...p.classes.map(c => html`<tr data-period=${p.periodStart} data-class=${c.class}><td>${time(p.periodStart)}</td><td>${c.class}</td><td class="num">${c.chargedToOriginators}</td><td class="num">${c.paidToTerminators}</td><td class="num" data-field="retained">${c.retained}</td>
        <td>${Object.entries(c.factors).filter(([, f]) => f.some(x => x !== '1')).map(([who, f]) => html`<div>${who}: ${f.join(', ')}</div>`)}</td></tr>`),
      html`<tr class="muted"><td>${time(p.periodStart)}</td><td>period fees</td><td class="num">${p.periodFees.charged}</td><td class="num">${p.periodFees.paid}</td><td class="num">${p.periodFees.retained}</td><td></td></tr>`])}
    </tbody></table>`}<//></section>`
}

function AgentApp () {
  const route = useRoute('overview')
  const [view, arg] = route.split('/')
  const health = usePoll(() => get('/health'), [], 10_000)
  const title = `splitedge · ${health.data?.name ?? 'agent'}${health.data?.status === 'degraded' ? ' (degraded)' : ''}`
  useEffect(() => { document.title = title }, [title])
  const body = view === 'tariffs' ? html`<${Tariffs} />` : view === 'border' ? html`<${Border} name=${arg} />` : view === 'disputes' ? html`<${Disputes} />`
    : view === 'statements' ? html`<${Statements} />` : view === 'brokerage' ? html`<${Brokerage} />` : html`<${Overview} />`
  return html`<${Shell} title=${title} views=${VIEWS} route=${route}>
    ${health.data?.problems?.length > 0 ? html`<div class="error">${health.data.problems.map(p => html`<div>${p.message}</div>`)}</div>` : null}
    ${body}<//>`
}

const kind = document.querySelector('meta[name="splitedge-node"]')?.content
const root = document.getElementById('app')
root.textContent = '' // the no-JavaScript note; Preact would render beside it
if (kind === 'clearer') {
  const { ClearerApp } = await import('/ui/clearer.js')
  render(html`<${ClearerApp} />`, root)
} else {
  render(html`<${AgentApp} />`, root)
}
