/** A configuration problem, naming the field (a JSON-pointer-like path), what is wrong, and how to fix it. */
export class ConfigError extends Error {
  constructor (readonly field: string, readonly problem: string, readonly fix?: string) {
    super(`${field}: ${problem}${fix !== undefined ? ` (fix: ${fix})` : ''}`)
    this.name = 'ConfigError'
  }
}
