// `npm run lint`: only the size and structure limits below, as errors, over the library sources
// (packages/*/src). Tests, benches and build output are not linted, and no style rule set is on.
import { defineConfig } from 'eslint/config'
import tseslint from 'typescript-eslint'
import { importX } from 'eslint-plugin-import-x'
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript'
import splitedge from './eslint/plugin.js'

const CAST = 'switches off the type checker, which library code may not do: narrow the value, or fix the type it comes from'

export default defineConfig(
  { ignores: ['**/dist/**', 'packages/*/test/**', 'packages/*/bench/**', 'packages/*/ui/**', 'test/**'] },
  {
    files: ['packages/*/src/**/*.ts'],
    languageOptions: { parser: tseslint.parser, ecmaVersion: 2023, sourceType: 'module' },
    plugins: { 'import-x': importX, splitedge },
    settings: {
      // import-x only follows files with these extensions and parses them with this parser.
      'import-x/extensions': ['.ts'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: 'packages/*/tsconfig.json', noWarnOnMultipleProjects: true })],
      // A workspace import resolves to that package's build output, which is not walked: project
      // references already forbid cycles between packages, so only cycles inside one are left.
      'import-x/ignore': ['/dist/'],
    },
    rules: {
      'max-lines-per-function': ['error', { max: 70, skipBlankLines: true, skipComments: true }],
      'splitedge/max-class-lines': ['error', { max: 300 }],
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'no-restricted-syntax': ['error',
        { selector: 'TSAsExpression > TSNeverKeyword.typeAnnotation', message: `\`as never\` ${CAST}` },
        { selector: 'TSTypeAssertion > TSNeverKeyword.typeAnnotation', message: `\`<never>\` ${CAST}` },
        { selector: 'TSAsExpression > TSAsExpression.expression > TSUnknownKeyword.typeAnnotation', message: `\`as unknown as\` ${CAST}` },
      ],
    },
  },
)
