// Shared by the agent's and the clearer's dashboards: API calls (the write token travels only in
// the Authorization header, kept in this tab's sessionStorage), polling, formatting, and the
// pieces every view uses. Preact + htm come from the node's own /ui/, never from a CDN.
import { html, useState, useEffect, useCallback } from '/ui/preact-htm.js'

export { html, useState, useEffect, useCallback }

const TOKEN_KEY = 'splitedge.token'
export const getToken = () => sessionStorage.getItem(TOKEN_KEY) ?? ''
export const setToken = (t) => { if (t === '') sessionStorage.removeItem(TOKEN_KEY); else sessionStorage.setItem(TOKEN_KEY, t) }
const authHeaders = () => getToken() === '' ? {} : { authorization: `Bearer ${getToken()}` }

/** An API refusal, with its one-line reason and code. */
export class ApiError extends Error {
  constructor (status, body) { super(body?.error ?? `HTTP ${status}`); this.status = status; this.code = body?.code }
}

async function answer (res) {
  const text = await res.text()
  let body
  try { body = JSON.parse(text) } catch { body = text }
  if (!res.ok) throw new ApiError(res.status, typeof body === 'object' ? body : { error: text })
  return body
}

export const get = async (path) => await answer(await fetch(path, { headers: authHeaders() }))
export const post = async (path, body) => await answer(await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json', ...authHeaders() }, body: JSON.stringify(body) }))

/** Every page of a paged list (X-Next-Cursor). */
export async function getAll (path, max = 20) {
  const out = []
  let cursor = null
  for (let i = 0; i < max; i++) {
    const sep = path.includes('?') ? '&' : '?'
    const res = await fetch(cursor === null ? path : `${path}${sep}cursor=${encodeURIComponent(cursor)}`, { headers: authHeaders() })
    out.push(...await answer(res))
    cursor = res.headers.get('x-next-cursor')
    if (cursor === null) break
  }
  return out
}

/** Download an export with the token (a plain link could not carry it). */
export async function download (path, filename) {
  const res = await fetch(path, { headers: authHeaders() })
  if (!res.ok) throw new ApiError(res.status, await res.json().catch(() => ({})))
  const url = URL.createObjectURL(await res.blob())
  const a = document.createElement('a')
  a.href = url
  a.download = filename
  document.body.append(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}

/** Load `fn()` now and every `ms` (the page is live; at most once a second). */
export function usePoll (fn, deps = [], ms = 2000) {
  const [state, setState] = useState({ data: undefined, error: undefined, at: 0 })
  useEffect(() => {
    let stop = false
    let timer
    const tick = async () => {
      try { const data = await fn(); if (!stop) setState({ data, error: undefined, at: Date.now() }) } catch (error) { if (!stop) setState(s => ({ ...s, error })) }
      if (!stop) timer = setTimeout(tick, Math.max(1000, ms))
    }
    void tick()
    return () => { stop = true; clearTimeout(timer) }
  }, deps)
  return state
}

export const time = (ms) => ms === null || ms === undefined ? '—' : new Date(ms).toISOString().replace('T', ' ').slice(0, 19)
export const hms = (ms) => ms === null || ms === undefined ? '—' : new Date(ms).toISOString().slice(11, 19)
export const short = (id) => typeof id === 'string' && id.length > 16 ? `${id.slice(0, 8)}…${id.slice(-6)}` : id

export function Loading ({ state, children }) {
  if (state.error !== undefined && state.data === undefined) return html`<div class="error">${String(state.error.message)}</div>`
  if (state.data === undefined) return html`<p class="muted">Loading…</p>`
  return html`${state.error !== undefined ? html`<div class="error">Refresh failed: ${String(state.error.message)}</div>` : null}${children(state.data)}`
}

/** The token box in the header: needed for writes, and for reads from another machine. */
export function TokenBox () {
  const [value, setValue] = useState(getToken())
  const [saved, setSaved] = useState(getToken() !== '')
  const save = (e) => { e.preventDefault(); setToken(value.trim()); setSaved(value.trim() !== '') }
  return html`<form class="token" onSubmit=${save}>
    <label for="token" class="muted">Token</label>
    <input id="token" type="password" autocomplete="off" placeholder="http.token, for writes" value=${value} onInput=${e => setValue(e.target.value)} />
    <button class="secondary" type="submit">${saved ? 'Saved' : 'Use'}</button>
  </form>`
}

/** A uPlot chart: `series` is [{ label, values }], `xs` seconds. */
export function Chart ({ id, xs, series, height = 220 }) {
  useEffect(() => {
    const el = document.getElementById(id)
    if (el === null || typeof window.uPlot !== 'function' || xs.length === 0) return
    el.textContent = ''
    const colours = ['#1f4e8c', '#b3261e', '#1e6b35', '#8a5a00', '#6a3d9a', '#2b8a99', '#444']
    const plot = new window.uPlot({
      width: Math.max(280, el.clientWidth || 600), height,
      series: [{}, ...series.map((s, i) => ({ label: s.label, stroke: colours[i % colours.length], width: 2 }))],
      axes: [{}, { size: 90 }]
    }, [xs, ...series.map(s => s.values)], el)
    return () => plot.destroy()
  }, [id, JSON.stringify(xs), JSON.stringify(series)])
  return html`<div id=${id} class="chart">${xs.length === 0 ? html`<p class="muted">Nothing to chart yet.</p>` : null}</div>`
}

/** The header with the node's name, the views and the token box; `route` is the location hash. */
export function Shell ({ title, views, route, children }) {
  return html`<header>
    <h1>${title}</h1>
    <nav>${views.map(([id, label]) => html`<a href=${`#${id}`} class=${route.split('/')[0] === id ? 'active' : ''} data-view=${id}>${label}</a>`)}</nav>
    <${TokenBox} />
  </header><main>${children}</main>`
}

export function useRoute (fallback) {
  const read = () => decodeURIComponent(location.hash.slice(1)) || fallback
  const [route, setRoute] = useState(read())
  useEffect(() => { const on = () => setRoute(read()); addEventListener('hashchange', on); return () => removeEventListener('hashchange', on) }, [])
  return route
}
