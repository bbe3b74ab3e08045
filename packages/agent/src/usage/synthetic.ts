/**
 * Synthetic traffic for demos and tests. Two neighbours configured with the same seed derive the
 * same underlying traffic for their border, then each applies its own small measurement noise, so
 * reconciliation has real (small) differences to settle.
 */
import { createHash } from 'node:crypto'
import type { UsageLineInput } from './types.js'

export interface SyntheticOptions {
  seed: string
  /** Classes to generate traffic for (default: every class both tariffs price). */
  classes: string[]
  meanVolume: number
  /** Relative noise per side, e.g. 0.002 for ±0.2%. */
  noise: number
}

/** A deterministic number in [0, 1) from the given parts. */
function unit (...parts: Array<string | number>): number {
  const h = createHash('sha256').update(parts.join('\u0000')).digest()
  return h.readUInt32BE(0) / 0x1_0000_0000
}

/** Mean volume per message: a line's underlying message count is about its volume / 1000. */
export const VOLUME_PER_MESSAGE = 1000

/**
 * What `self` measures on its border with `neighbour` during the interval starting at `start`:
 * one line per class and direction, integer volumes and message counts.
 *
 * Both neighbours derive the same underlying volume and message count (a hash of the seed, the
 * border, the interval, the class and the direction); each then applies its own jitter, one draw
 * in ±noise per line, to both figures, so a side that counted more octets also counted more
 * messages. A count rounds back to the underlying one while count × noise < 0.5, so small counts
 * agree exactly, and two sides differ by at most 2 × noise + 1 / count of the larger count.
 */
export function syntheticUsage (opts: SyntheticOptions, self: string, neighbour: string, start: number): UsageLineInput[] {
  const [a, b] = self < neighbour ? [self, neighbour] : [neighbour, self]
  const lines: UsageLineInput[] = []
  for (const cls of opts.classes) {
    for (const [from, to] of [[a, b], [b, a]] as const) {
      const base = Math.round(opts.meanVolume * (0.5 + unit(opts.seed, a, b, start, cls, from, to)))
      const baseMessages = Math.round(opts.meanVolume / VOLUME_PER_MESSAGE * (0.5 + unit(opts.seed, 'messages', a, b, start, cls, from, to)))
      const jitter = opts.noise === 0 ? 0 : (unit(opts.seed, 'noise', self, a, b, start, cls, from, to) * 2 - 1) * opts.noise
      const volume = Math.max(0, Math.round(base * (1 + jitter)))
      const messages = Math.max(0, Math.round(baseMessages * (1 + jitter)))
      lines.push({ class: cls, from, to, volume: String(volume), messages: String(messages) })
    }
  }
  return lines
}
