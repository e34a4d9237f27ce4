import { asRecord, readJsonState, writeJsonState } from '../infra/json-state.js'
import type { RenderedBody } from './types.js'

/** Rendered post bodies by content hash. */
export interface RenderCache {
  get(key: string): RenderedBody | undefined
  set(key: string, value: RenderedBody): void
}

/**
 * A render cache kept in one JSON file. Only entries used since `open` are written back, so bodies of
 * deleted or edited posts fall out of the cache on the next save instead of piling up.
 */
export class FileRenderCache implements RenderCache {
  private readonly used = new Map<string, RenderedBody>()
  private dirty = false

  private constructor(
    private readonly file: string,
    private readonly stored: Map<string, RenderedBody>,
  ) {}

  /** Opens the cache file; a missing or unreadable file is an empty cache (it is only a cache). */
  static async open(file: string): Promise<FileRenderCache> {
    // Missing on first run, or damaged: start empty.
    const stored = asRecord(await readJsonState(file)) ?? {}
    return new FileRenderCache(file, new Map(Object.entries(stored as Record<string, RenderedBody>)))
  }

  get(key: string): RenderedBody | undefined {
    const hit = this.stored.get(key)
    if (hit) this.used.set(key, hit)
    return hit
  }

  set(key: string, value: RenderedBody): void {
    this.used.set(key, value)
    this.dirty = true
  }

  /** Writes the entries used in this run, atomically, when anything changed. */
  async save(): Promise<void> {
    if (!this.dirty && this.used.size === this.stored.size) return
    await writeJsonState(this.file, Object.fromEntries(this.used))
  }
}
