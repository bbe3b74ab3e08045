// `npm run vopr:long -- --minutes M [--agents N] [--intervals T]`: run `splitedge vopr` on fresh
// random seeds until the time is up; print every failing seed with the command that replays it.
import { spawnSync } from 'node:child_process'
import { randomInt } from 'node:crypto'

const args = process.argv.slice(2)
const opt = (name, dflt) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : dflt }
const minutes = Number(opt('minutes', '5'))
if (!(minutes > 0)) { console.error('usage: npm run vopr:long -- --minutes M [--agents N] [--intervals T]'); process.exit(2) }
const extra = ['agents', 'intervals', 'faults'].flatMap(n => opt(n) === undefined ? [] : [`--${n}`, opt(n)])
const deadline = Date.now() + minutes * 60_000
const failing = []
let runs = 0
while (Date.now() < deadline) {
  const seed = randomInt(2 ** 31 - 1)
  const r = spawnSync(process.execPath, ['packages/cli/bin/splitedge.js', 'vopr', '--seed', String(seed), ...extra], { encoding: 'utf8' })
  runs++
  if (r.status !== 0) {
    failing.push(seed)
    console.log(`FAILED seed ${seed}: npx splitedge vopr --seed ${seed} ${extra.join(' ')}`)
    console.log(r.stderr.split('\n').filter(l => l.startsWith('violation')).slice(0, 5).join('\n'))
  } else if (runs % 10 === 0) console.log(`${runs} seeds, ${failing.length} failing`)
}
console.log(JSON.stringify({ runs, failing }))
process.exit(failing.length === 0 ? 0 : 1)
