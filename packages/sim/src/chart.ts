/**
 * The scale chart: per-agent messages and bytes per cycle against N, one line per design (and
 * the central core's hub), both axes logarithmic so flat means "independent of N" and a slope of
 * one decade per decade means "proportional to N". Plain SVG text: no dependencies, diffable.
 */
import type { ScaleReport } from './scale.js'

interface Series { label: string, color: string, dash?: string, points: Array<[number, number]> }

const W = 460
const H = 340
const M = { left: 70, right: 16, top: 40, bottom: 50 }

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

function fmt (v: number): string {
  if (v >= 1e9) return `${+(v / 1e9).toPrecision(3)}G`
  if (v >= 1e6) return `${+(v / 1e6).toPrecision(3)}M`
  if (v >= 1e3) return `${+(v / 1e3).toPrecision(3)}k`
  return `${+v.toPrecision(3)}`
}

function panel (title: string, series: Series[], sizes: number[], x0: number): string {
  const ys = series.flatMap(s => s.points.map(p => p[1])).filter(v => v > 0)
  const lo = Math.floor(Math.log10(Math.min(...ys)))
  const hi = Math.ceil(Math.log10(Math.max(...ys)))
  const nlo = Math.log2(Math.min(...sizes))
  const nhi = Math.log2(Math.max(...sizes))
  const px = (n: number): number => x0 + M.left + (nhi === nlo ? 0.5 : (Math.log2(n) - nlo) / (nhi - nlo)) * (W - M.left - M.right)
  const py = (v: number): number => M.top + (1 - (Math.log10(Math.max(v, 10 ** lo)) - lo) / Math.max(1, hi - lo)) * (H - M.top - M.bottom)
  const out: string[] = []
  out.push(`<text x="${x0 + W / 2}" y="22" text-anchor="middle" font-weight="bold">${esc(title)}</text>`)
  for (let e = lo; e <= hi; e++) {
    const y = py(10 ** e)
    out.push(`<line x1="${px(2 ** nlo)}" x2="${px(2 ** nhi)}" y1="${y}" y2="${y}" stroke="#ddd"/>`)
    out.push(`<text x="${px(2 ** nlo) - 6}" y="${y + 4}" text-anchor="end">${fmt(10 ** e)}</text>`)
  }
  for (const n of sizes) {
    out.push(`<line x1="${px(n)}" x2="${px(n)}" y1="${M.top}" y2="${H - M.bottom}" stroke="#eee"/>`)
    out.push(`<text x="${px(n)}" y="${H - M.bottom + 16}" text-anchor="middle">${n}</text>`)
  }
  out.push(`<text x="${x0 + M.left + (W - M.left - M.right) / 2}" y="${H - 12}" text-anchor="middle">N (agents)</text>`)
  for (const s of series) {
    const pts = s.points.map(([n, v]) => `${px(n).toFixed(1)},${py(v).toFixed(1)}`).join(' ')
    out.push(`<polyline points="${pts}" fill="none" stroke="${s.color}" stroke-width="2"${s.dash !== undefined ? ` stroke-dasharray="${s.dash}"` : ''}/>`)
    for (const [n, v] of s.points) out.push(`<circle cx="${px(n).toFixed(1)}" cy="${py(v).toFixed(1)}" r="3" fill="${s.color}"><title>${esc(s.label)} N=${n}: ${fmt(v)}</title></circle>`)
  }
  return out.join('\n')
}

export function scaleChart (report: ScaleReport): string {
  const sizes = [...new Set(report.results.map(r => r.n))].sort((a, b) => a - b)
  // A design not run at some N (the global topic past its limit) simply has no point there.
  const line = (design: string, metric: 'messages' | 'bytes'): Array<[number, number]> =>
    report.results.filter(r => r.design === design).sort((a, b) => a.n - b.n).map(r => [r.n, r.perAgent[metric]?.mean ?? 0])
  const hub = (metric: 'messages' | 'bytes'): Array<[number, number]> =>
    report.results.filter(r => r.design === 'core' && r.hub !== undefined).sort((a, b) => a.n - b.n).map(r => [r.n, r.hub?.[metric] ?? 0])
  const series = (metric: 'messages' | 'bytes'): Series[] => [
    { label: 'splitedge (per agent)', color: '#1f77b4', points: line('splitedge', metric) },
    { label: 'global tariff topic (per agent)', color: '#d62728', points: line('globalTopic', metric) },
    { label: 'central core: each agent', color: '#2ca02c', points: line('core', metric) },
    { label: 'central core: the hub', color: '#2ca02c', dash: '6 4', points: hub(metric) }
  ]
  const legend = series('messages').map((s, i) =>
    `<line x1="${24 + i * 228}" x2="${54 + i * 228}" y1="${H + 18}" y2="${H + 18}" stroke="${s.color}" stroke-width="2"${s.dash !== undefined ? ` stroke-dasharray="${s.dash}"` : ''}/>` +
    `<text x="${60 + i * 228}" y="${H + 22}">${esc(s.label)}</text>`).join('\n')
  const p = report.params
  const gtMax = Math.max(...report.results.filter(r => r.design === 'globalTopic').map(r => r.n))
  const caption = [
    `One cycle per N: publish tariffs, attest every border for ${p.periodIntervals} intervals, settle one period.`,
    `${p.topology} graph, average degree ${p.degree}; means over agents; both axes logarithmic.` +
      (gtMax < Math.max(...sizes) ? ` Global topic measured up to N=${gtMax} (its total work is quadratic).` : '')
  ]
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${2 * W}" height="${H + 66}" viewBox="0 0 ${2 * W} ${H + 66}" font-family="sans-serif" font-size="12">`,
    '<rect width="100%" height="100%" fill="white"/>',
    panel('Messages per agent per cycle', series('messages'), sizes, 0),
    panel('Bytes per agent per cycle', series('bytes'), sizes, W),
    legend,
    ...caption.map((c, i) => `<text x="${W}" y="${H + 44 + 14 * i}" text-anchor="middle" fill="#555" font-size="11">${esc(c)}</text>`),
    '</svg>',
    ''
  ].join('\n')
}
