/**
 * `npm run lint` bites: the repository's eslint.config.js, run through ESLint's Node API on small
 * sources laid out like a package (packages/<name>/src), reports each limit as an error just past
 * it, and passes a file that sits exactly on every limit.
 */
import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ESLint } from 'eslint'
import { after, before, describe, it } from 'mocha'

const CONFIG = fileURLToPath(new URL('../../../eslint.config.js', import.meta.url))

/** A function spanning `lines` lines, braces included (how max-lines-per-function counts). */
const fn = (name: string, lines: number): string =>
  [`export function ${name} (): number {`, '  let n = 0', ...Array.from({ length: lines - 4 }, () => '  n += 1'), '  return n', '}'].join('\n')

/** A class spanning `lines` lines, from `class` to its closing brace. */
const cls = (name: string, lines: number): string =>
  [`export class ${name} {`, ...Array.from({ length: lines - 2 }, (_, i) => `  f${i} = ${i}`), '}'].join('\n')

const FIXTURES: Record<string, string> = {
  'long-function.ts': fn('tooLong', 71),
  'long-class.ts': cls('TooLong', 301),
  'cycle-a.ts': "import { b } from './cycle-b.js'\nexport const a = (): number => b() + 1\n",
  'cycle-b.ts': "import { a } from './cycle-a.js'\nexport const b = (): number => a() + 1\n",
  'as-never.ts': 'export const value: string = (1 as never)\n',
  'as-unknown-as.ts': "export const value: number = ('1' as unknown as number)\n",
  // On every limit but past none; one-way imports; casts that keep the checker on.
  'clean.ts': [fn('justFits', 70), cls('JustFits', 300), "import { leaf } from './leaf.js'", 'export const x = leaf as unknown', "export const y = ('2' as string)", ''].join('\n'),
  'leaf.ts': 'export const leaf = 1\n',
}

describe('npm run lint (eslint.config.js) reports each limit', function () {
  this.timeout(60_000)
  let dir = ''
  const found = new Map<string, Array<{ ruleId: string | null, line: number, severity: number }>>()

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'splitedge-lint-'))
    const src = join(dir, 'packages', 'fixture', 'src')
    await mkdir(src, { recursive: true })
    for (const [name, text] of Object.entries(FIXTURES)) await writeFile(join(src, name), text)
    const eslint = new ESLint({ cwd: dir, overrideConfigFile: CONFIG })
    for (const r of await eslint.lintFiles(['packages/*/src/**/*.ts'])) {
      found.set(r.filePath.slice(src.length + 1), r.messages.map(m => ({ ruleId: m.ruleId, line: m.line, severity: m.severity })))
    }
  })
  after(async () => { await rm(dir, { recursive: true, force: true }) })

  const errors = (file: string): string[] => (found.get(file) ?? []).filter(m => m.severity === 2).map(m => `${m.ruleId}@${m.line}`)

  it('lints every fixture', () => {
    assert.deepEqual([...found.keys()].sort(), Object.keys(FIXTURES).sort())
  })
  it('a 71-line function', () => {
    assert.deepEqual(errors('long-function.ts'), ['max-lines-per-function@1'])
  })
  it('a 301-line class (the local splitedge/max-class-lines rule)', () => {
    assert.deepEqual(errors('long-class.ts'), ['splitedge/max-class-lines@1'])
  })
  it('an import cycle between two files of one package, on both sides', () => {
    assert.deepEqual(errors('cycle-a.ts'), ['import-x/no-cycle@1'])
    assert.deepEqual(errors('cycle-b.ts'), ['import-x/no-cycle@1'])
  })
  it('`as never` and `as unknown as`', () => {
    assert.deepEqual(errors('as-never.ts'), ['no-restricted-syntax@1'])
    assert.deepEqual(errors('as-unknown-as.ts'), ['no-restricted-syntax@1'])
  })
  it('passes a file that sits on every limit without crossing one', () => {
    assert.deepEqual(found.get('clean.ts'), [])
    assert.deepEqual(found.get('leaf.ts'), [])
  })
})
