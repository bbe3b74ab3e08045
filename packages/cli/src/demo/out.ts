/** The demo's progress and tables go to stdout, a line at a time. */
export const out = (s: string): void => { process.stdout.write(s + '\n') }
