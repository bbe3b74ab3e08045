/**
 * What the HTTP API reads and drives of an agent. Declared here, not taken from agent.ts, so the
 * API depends on the services it serves and not on the class that wires them (agent.ts starts the
 * API; the API never imports agent.ts).
 */
import type { nodeCounters } from '@splitedge/node'
import type { AgentContext } from '../context.js'
import type { TariffView } from '../tariff/view.js'
import type { UsageSource } from '../usage/source.js'
import type { BorderService } from '../border/service.js'
import type { SettleService } from '../settle/service.js'
import type { ClockWatch } from '../clock/skew.js'

export interface AgentSurface {
  readonly ctx: AgentContext
  readonly view: TariffView
  readonly usage: UsageSource
  readonly border: BorderService
  readonly settle: SettleService
  readonly clock: ClockWatch
  readonly peerId: string
  connected: () => string[]
  counters: () => ReturnType<typeof nodeCounters> | Record<string, never>
  publishTariffFile: (path: string | { text: string, name: string }) => Promise<{ id: string, seq: number, status: 'published' | 'unchanged' }>
}
