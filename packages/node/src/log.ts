/**
 * A node's logger: JSON lines (pino) at the configured level, each naming the node (`agent` or
 * `clearer`, and its name), so the logs of many nodes can share one stream.
 */
import { pino, type Logger } from 'pino'

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'

export function nodeLogger (kind: 'agent' | 'clearer', name: string, level: LogLevel | string): Logger {
  return pino({ level, base: { [kind]: name } })
}
