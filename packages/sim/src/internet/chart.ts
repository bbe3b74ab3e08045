/**
 * docs/internet.svg: log-log panels, one line per series. Left: the degree CCDF of the generated
 * graph at each N. Right: cost per agent against degree, one line per simulated N. Plain SVG
 * text, like chart.ts: no dependencies, diffable.
 */
export interface LogSeries { label: string, color: string, points: Array<[number, number]> }
export interface LogPanel { title: string, xLabel: string, series: LogSeries[] }

const W = 460
const H = 340
const M = { left: 70, right: 16, top: 40, bottom: 50 }
export const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e']

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

function fmt (v: number): string {
  if (v >= 1e6) return `${+(v / 1e6).toPrecision(3)}M`
  if (v >= 1e3) return `${+(v / 1e3).toPrecision(3)}k`
  return `${+v.toPrecision(3)}`
}

function decades (values: number[]): [number, number] {
  const pos = values.filter(v => v > 0)
  const lo = Math.floor(Math.log10(Math.min(...pos)))
  return [lo, Math.max(lo + 1, Math.ceil(Math.log10(Math.max(...pos))))]
}

function panel (p: LogPanel, x0: number): string {
  const pts = p.series.flatMap(s => s.points).filter(([x, y]) => x > 0 && y > 0)
  const [xlo, xhi] = decades(pts.map(q => q[0]))
  const [ylo, yhi] = decades(pts.map(q => q[1]))
  const px = (x: number): number => x0 + M.left + (Math.log10(x) - xlo) / (xhi - xlo) * (W - M.left - M.right)
  const py = (y: number): number => M.top + (1 - (Math.log10(y) - ylo) / (yhi - ylo)) * (H - M.top - M.bottom)
  const out = [`<text x="${x0 + W / 2}" y="22" text-anchor="middle" font-weight="bold">${esc(p.title)}</text>`]
  for (let e = ylo; e <= yhi; e++) {
    out.push(`<line x1="${px(10 ** xlo)}" x2="${px(10 ** xhi)}" y1="${py(10 ** e)}" y2="${py(10 ** e)}" stroke="#ddd"/>`)
    out.push(`<text x="${px(10 ** xlo) - 6}" y="${py(10 ** e) + 4}" text-anchor="end">${fmt(10 ** e)}</text>`)
  }
  for (let e = xlo; e <= xhi; e++) {
    out.push(`<line x1="${px(10 ** e)}" x2="${px(10 ** e)}" y1="${M.top}" y2="${H - M.bottom}" stroke="#eee"/>`)
    out.push(`<text x="${px(10 ** e)}" y="${H - M.bottom + 16}" text-anchor="middle">${fmt(10 ** e)}</text>`)
  }
  out.push(`<text x="${x0 + M.left + (W - M.left - M.right) / 2}" y="${H - 12}" text-anchor="middle">${esc(p.xLabel)}</text>`)
  p.series.forEach((s, i) => {
    const line = s.points.filter(([x, y]) => x > 0 && y > 0).map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ')
    out.push(`<polyline points="${line}" fill="none" stroke="${s.color}" stroke-width="2"><title>${esc(s.label)}</title></polyline>`)
    out.push(`<line x1="${x0 + M.left + 10}" x2="${x0 + M.left + 34}" y1="${H - M.bottom - 14 - 16 * i}" y2="${H - M.bottom - 14 - 16 * i}" stroke="${s.color}" stroke-width="2"/>`)
    out.push(`<text x="${x0 + M.left + 40}" y="${H - M.bottom - 10 - 16 * i}">${esc(s.label)}</text>`)
  })
  return out.join('\n')
}

/** Panels side by side, with caption lines under them. */
export function logLogChart (panels: LogPanel[], caption: string[]): string {
  const width = W * panels.length
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${H + 20 + 14 * caption.length}" viewBox="0 0 ${width} ${H + 20 + 14 * caption.length}" font-family="sans-serif" font-size="12">`,
    '<rect width="100%" height="100%" fill="white"/>',
    ...panels.map((p, i) => panel(p, i * W)),
    ...caption.map((c, i) => `<text x="${width / 2}" y="${H + 10 + 14 * i}" text-anchor="middle" fill="#555" font-size="11">${esc(c)}</text>`),
    '</svg>',
    ''
  ].join('\n')
}
