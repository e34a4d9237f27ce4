import { type Stats, statSync } from 'node:fs'

/**
 * `stat` of a file, or null when it is missing or cannot be looked at. Synchronous on purpose: a stat takes
 * microseconds, while a trip through libuv's thread pool costs more than the stat itself, thousands of times a build.
 */
export function statIfPresent(file: string): Stats | null {
  try {
    return statSync(file, { throwIfNoEntry: false }) ?? null
  } catch {
    // Not a directory on the way, or no permission: as good as missing here, and whoever reads the file will say why.
    return null
  }
}
