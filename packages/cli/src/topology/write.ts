/** Writes a composed topology's files under a directory (the only I/O of the topology module). */
import { chmod, mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import type { ComposedTopology } from './compose.js'

export async function writeComposedTopology (dir: string, composed: ComposedTopology): Promise<string[]> {
  const written: string[] = []
  for (const f of composed.files) {
    const path = join(dir, f.path)
    await mkdir(dirname(path), { recursive: true })
    await writeFile(path, f.content, { mode: f.mode })
    await chmod(path, f.mode) // writeFile's mode only applies to new files
    written.push(path)
  }
  return written
}
