// The repository's own ESLint rules, loaded by eslint.config.js as the `splitedge` plugin.
import maxClassLines from './rules/max-class-lines.js'

export default {
  meta: { name: 'eslint-plugin-splitedge' },
  rules: { 'max-class-lines': maxClassLines },
}
