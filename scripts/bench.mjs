// `npm run bench -- NAME [args]`: runs one benchmark of one package. Each prints figures as it
// goes and ends with one JSON object on the last line of stdout.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'

const benches = {
  model: 'packages/model/dist/bench/model.js',
  wire: 'packages/wire/dist/bench/wire.js',
  store: 'packages/store/dist/bench/store.js',
  views: 'packages/agent/dist/bench/views.js',
  clearing: 'packages/clearing/dist/bench/clearing.js',
  scale: 'packages/sim/dist/bench/scale.js',
  internet: 'packages/sim/dist/bench/internet.js',
  'border-load': 'packages/sim/dist/bench/border-load.js',
  ipfix: 'packages/agent/dist/bench/ipfix.js'
}
const [name, ...args] = process.argv.slice(2)
const target = benches[name]
if (target === undefined) {
  console.error(`usage: npm run bench -- <${Object.keys(benches).join('|')}> [args]`)
  process.exit(2)
}
if (!existsSync(target)) {
  console.error(`bench ${name}: ${target} not built (run npm run build)`)
  process.exit(2)
}
const r = spawnSync(process.execPath, ['--expose-gc', target, ...args], { stdio: 'inherit' })
process.exit(r.status ?? 1)
