// Disk failures as typed StoreErrors that name what failed and why.

import { StoreError } from './errors.js'

interface ErrorLike { code?: unknown, message?: unknown, cause?: unknown }

function errorLike (e: unknown): ErrorLike | undefined {
  return typeof e === 'object' && e !== null ? e : undefined
}

/** The errno-like code of a LevelDB/file-system error, looking through `cause`. */
function causeOf (err: unknown): string {
  const parts: string[] = []
  for (let e = errorLike(err), n = 0; e !== undefined && n < 4; e = errorLike(e.cause), n++) {
    parts.push(`${typeof e.code === 'string' ? e.code + ' ' : ''}${typeof e.message === 'string' ? e.message : ''}`)
  }
  return parts.join(' / ')
}

/** A failed disk write or open as StoreError('io'), naming what and why (a full disk says ENOSPC). */
export function ioError (err: unknown, what: string): StoreError {
  if (err instanceof StoreError) return err
  const cause = causeOf(err)
  const full = /ENOSPC|No space left/i.test(cause)
  return new StoreError(full ? 'full' : 'io', `cannot ${what}: ${full ? 'the disk is full' : cause}`)
}

export function openError (err: unknown, path: string): StoreError {
  const cause = causeOf(err)
  if (/LEVEL_LOCKED|lock/i.test(cause)) return new StoreError('locked', `the data directory ${path} is in use by another process (is another agent running on it?)`)
  if (/EACCES|EROFS|Permission denied|read-only/i.test(cause)) return new StoreError('io', `cannot open the data directory ${path}: it is not writable (${cause})`)
  return ioError(err, `open the data directory ${path}`)
}
