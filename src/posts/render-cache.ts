import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import path from 'node:path'
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
    let stored = new Map<string, RenderedBody>()
    try {
      const parsed = JSON.parse(await readFile(file, 'utf8')) as Record<string, RenderedBody>
      stored = new Map(Object.entries(parsed))
    } catch {
      // Missing on first run, or damaged: start empty.
    }
    return new FileRenderCache(file, stored)
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
    await mkdir(path.dirname(this.file), { recursive: true })
    const temporary = `${this.file}.${process.pid}.tmp`
    await writeFile(temporary, JSON.stringify(Object.fromEntries(this.used)))
    await rename(temporary, this.file)
  }
}
