import { readFile } from 'node:fs/promises'
import { writeFileAtomically } from './atomic-file.js'

/**
 * Herald's own state files (caches and the last build's record under `<site>/.herald/`): JSON, replaced atomically,
 * and only ever a help. A missing, unreadable or damaged file reads as null, and its owner starts from nothing.
 */
export async function readJsonState(file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as unknown
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
