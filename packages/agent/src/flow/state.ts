/**
 * What the flow collector keeps in the store, as typed areas (schemas checked on write and read):
 * each exporter scope's last sequence state (to tell records lost across a restart), and the
 * octets, packets and record parts per class and direction of each (neighbour, interval).
 *
 * Older agents kept both under meta keys (`flow:sequences`, `flows:<peer>:<start>`); `migrate`
 * moves them into the areas when the collector starts.
 */
import { Type, type Static } from '@sinclair/typebox'
import type { Area, AreaSpec, Store, StoreBatch } from '@splitedge/store'
import type { SequenceState } from './decode.js'

const Count = Type.Integer({ minimum: 0 })

const SequenceStateSchema = Type.Object({
  version: Type.Integer(),
  seq: Count,
  all: Type.Integer({ minimum: -1 }),
  flows: Count,
  style: Type.Optional(Type.Union([Type.Literal('rfc'), Type.Literal('post')]))
})

const SequencesSchema = Type.Record(Type.String(), SequenceStateSchema)

/** Every scope's sequence state (scope: FlowDecoder.scope), in one record. */
export const FLOW_SEQUENCES: AreaSpec<typeof SequencesSchema> = { name: 'flow-sequences', schema: SequencesSchema }
const SEQUENCES_KEY = ['all']

const FlowCountersSchema = Type.Object({
  lines: Type.Record(Type.String(), Type.Object({
    class: Type.String(),
    direction: Type.Union([Type.Literal('in'), Type.Literal('out')]),
    octets: Count,
    packets: Count,
    records: Count
  }))
})

/** What the collector stored for one (neighbour, interval): octets, packets and record parts per class and direction. */
export type FlowCounters = Static<typeof FlowCountersSchema>

/** Per (neighbour PeerId, interval start as 16 digits): the collector's counters. */
export const FLOW_COUNTERS: AreaSpec<typeof FlowCountersSchema> = { name: 'flow-counters', schema: FlowCountersSchema }

const startKey = (start: number): string => String(start).padStart(16, '0')

/** The area key of a (neighbour, interval). */
export const countersKey = (peer: string, start: number): string[] => [peer, startKey(start)]

/** The collector's records in one store. */
export class FlowState {
  constructor (private readonly store: Store) {}

  private get sequencesArea (): Area<typeof SequencesSchema> { return this.store.area(FLOW_SEQUENCES) }
  private get countersArea (): Area<typeof FlowCountersSchema> { return this.store.area(FLOW_COUNTERS) }

  /** Move what an older agent kept under meta keys into the areas. */
  async migrate (): Promise<void> {
    await this.store.migrateMeta(this.sequencesArea, 'flow:sequences', k => k === 'flow:sequences' ? SEQUENCES_KEY : undefined)
    await this.store.migrateMeta(this.countersArea, 'flows:', legacyCountersKey)
  }

  async sequences (): Promise<Map<string, SequenceState>> {
    const saved = await this.sequencesArea.get(...SEQUENCES_KEY)
    return new Map(Object.entries(saved ?? {}).map(([scope, s]) => [scope, { ...s, style: s.style }]))
  }

  async counters (peer: string, start: number): Promise<FlowCounters> {
    return await this.countersArea.get(...countersKey(peer, start)) ?? { lines: {} }
  }

  /** Adds to `batch` the sequence states to keep. */
  putSequences (batch: StoreBatch, sequences: Map<string, SequenceState>): void {
    batch.put(this.sequencesArea, SEQUENCES_KEY, Object.fromEntries(sequences))
  }

  /** Adds to `batch` the counters of a (neighbour, interval). */
  putCounters (batch: StoreBatch, peer: string, start: number, counters: FlowCounters): void {
    batch.put(this.countersArea, countersKey(peer, start), counters)
  }
}

/** `flows:<peer>:<16-digit start>` as the area key, or undefined for any other meta key. */
function legacyCountersKey (metaKey: string): string[] | undefined {
  const m = /^flows:([^:]+):([0-9]{16})$/.exec(metaKey)
  return m?.[1] !== undefined && m[2] !== undefined ? [m[1], m[2]] : undefined
}
