/** Exit codes shared by every command. */
export const EXIT_OK = 0
/** Bad input (a scenario, a file) or a failed operation: one line on stderr. */
export const EXIT_FAILURE = 1
/** The command line itself is wrong. */
export const EXIT_USAGE = 2

/** Collapse a message to one line, so an error is always exactly one line on stderr. */
export function oneLine (text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim()
}

/** Resolves at the first SIGINT or SIGTERM: a command that runs until stopped then stops what it started. */
export async function untilStopSignal (): Promise<void> {
  await new Promise<void>(resolve => {
    process.once('SIGINT', () => { resolve() })
    process.once('SIGTERM', () => { resolve() })
  })
}
