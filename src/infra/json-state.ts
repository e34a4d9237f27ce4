import { readFileSync } from 'node:fs'
import { writeFileAtomically } from './atomic-file.js'

/**
 * Herald's own state files (caches and the last build's record under `<site>/.herald/`): JSON, replaced atomically,
 * and only ever a help. A missing, unreadable or damaged file reads as null, and its owner starts from nothing.
 */
export async function readJsonState(file: string): Promise<unknown> {
  try {
    // Read synchronously: these are small or read once at start-up, when the thread has nothing else to do, and an
    // awaited read is a round trip through libuv's thread pool (several per build, each leaving the thread idle).
    return JSON.parse(readFileSync(file, 'utf8')) as unknown
  } catch {
    return null
  }
}

/** Writes a state file (no fsync: losing a cache to a power cut costs one slower run, not data). */
export async function writeJsonState(file: string, value: unknown): Promise<void> {
  await writeFileAtomically(file, `${JSON.stringify(value)}\n`)
}

/** A plain object from {@link readJsonState}, or null for anything else. */
export function asRecord(value: unknown): Record<string, unknown> | null {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null
}
