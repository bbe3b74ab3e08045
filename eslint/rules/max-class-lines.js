// ESLint has no class-length limit, so this counts the lines a class spans, from `class` to its
// closing brace (blank lines and comments included: a long class is long however it is laid out).
const DEFAULT_MAX = 300

/** @type {import('eslint').Rule.RuleModule} */
export default {
  meta: {
    type: 'suggestion',
    docs: { description: `enforce a maximum number of lines per class (default ${DEFAULT_MAX})` },
    schema: [{ type: 'object', properties: { max: { type: 'integer', minimum: 1 } }, additionalProperties: false }],
    messages: { tooLong: 'Class {{name}} has too many lines ({{lines}}). Maximum allowed is {{max}}.' },
  },
  create (context) {
    const max = context.options[0]?.max ?? DEFAULT_MAX
    const check = node => {
      const lines = node.loc.end.line - node.loc.start.line + 1
      if (lines <= max) return
      const name = node.id?.name ?? '(anonymous)'
      context.report({ node: node.id ?? node, messageId: 'tooLong', data: { name, lines, max } })
    }
    return { ClassDeclaration: check, ClassExpression: check }
  },
}
