import { randomBytes } from 'node:crypto'
import { closeSync, openSync, readSync, rmSync } from 'node:fs'
import { mkdir, readdir, rm } from 'node:fs/promises'
import path from 'node:path'
import { writeFileAtomically } from '../infra/atomic-file.js'
import { statIfPresent } from '../infra/file-stat.js'
import { asRecord, readJsonState, writeJsonState } from '../infra/json-state.js'
import type { RenderedBody } from './types.js'

/** Rendered post bodies by render key (a hash of everything the output depends on). */
export interface RenderCache {
  /** The body under `key`, or undefined when it is not there or cannot be read (then it is rendered again). */
  get(key: string): RenderedBody | undefined
  set(key: string, value: RenderedBody): void
  /** True when `key` can be read by {@link RenderCache.readSync} (posts taken from the post index rely on it). */
  has(key: string): boolean
  /** The body under `key`, read now: for posts whose body is only read when something shows it. Throws when missing. */
  readSync(key: string): RenderedBody
}

/** Where a body is: pack file name, byte offset, byte length. */
type Location = readonly [pack: string, offset: number, length: number]

interface Catalog {
  readonly version: 2
  readonly bodies: Record<string, Location>
  /** Files of the folder no longer listed, with when they stopped being listed (ms): removed a grace period later. */
  readonly retired: Record<string, number>
}

const KEY = /^[0-9a-f]{64}$/
const PACK = /^[0-9a-f]{16}\.pack$/
const CATALOG = 'catalog.json'
/** More packs than this and the small ones are merged (each run that renders something adds one). */
const MAX_PACKS = 8

/** Options for {@link PackedRenderCache.save}. */
export interface RenderCacheSaveOptions {
  /** How long a file stays after it stopped being listed (another process may still read it). Default one hour. */
  readonly graceMs?: number
}

/**
 * A render cache kept as pack files (`<site>/.herald/cache/render/*.pack`: bodies as JSON, one after another) and
 * a catalog of where each body is. A run writes one new pack with what it rendered, reads only the bodies it
 * shows, and rewrites the packs only when they are mostly stale or too many: a clean build writes one file instead of a
 * thousand, and adding a post writes one small one instead of rewriting the whole cache. Packs are never changed
 * once written, and one that is no longer listed stays for a grace period, so two Herald processes at once cost at
 * most some rendering again, never a wrong body. A body that cannot be read means the cache is damaged: its catalog is
 * removed, and the next run renders afresh.
 */
export class PackedRenderCache implements RenderCache {
  private readonly fresh = new Map<string, RenderedBody>()

  private constructor(
    private readonly dir: string,
    private readonly catalog: Map<string, Location>,
    private readonly retired: ReadonlyMap<string, number>,
    private readonly files: readonly string[],
  ) {}

  /** Opens the cache in `dir` (missing or damaged: an empty cache, since it is only a cache). */
  static async open(dir: string): Promise<PackedRenderCache> {
    const [stored, files] = await Promise.all([readJsonState(path.join(dir, CATALOG)), readdir(dir).catch(() => [])])
    const record = asRecord(stored)
    const bodies = record?.version === 2 ? (asRecord(record.bodies) ?? {}) : {}
    const retired = new Map<string, number>()
    for (const [file, at] of Object.entries(asRecord(record?.retired) ?? {})) if (typeof at === 'number') retired.set(file, at)
    // A pack shorter than the catalog says (a disk that filled up, a copy cut short) lists nothing.
    const sizes = new Map<string, number>()
    for (const file of files) if (PACK.test(file)) sizes.set(file, statIfPresent(path.join(dir, file))?.size ?? -1)
    const catalog = new Map<string, Location>()
    for (const [key, location] of Object.entries(bodies)) {
      if (KEY.test(key) && isLocation(location) && location[1] + location[2] <= (sizes.get(location[0]) ?? -1)) catalog.set(key, location)
    }
    return new PackedRenderCache(dir, catalog, retired, files)
  }

  has(key: string): boolean {
    return this.fresh.has(key) || this.catalog.has(key)
  }

  get(key: string): RenderedBody | undefined {
    if (!this.has(key)) return undefined
    try {
      return this.readSync(key)
    } catch {
      // Damaged or removed meanwhile: render again.
      this.catalog.delete(key)
      return undefined
    }
  }

  readSync(key: string): RenderedBody {
    const fresh = this.fresh.get(key)
    if (fresh) return fresh
    const location = this.catalog.get(key)
    if (!location) throw new Error(`body ${key} is not in the render cache in ${this.dir}: run the command again`)
    try {
      return JSON.parse(this.readBytes(location).toString('utf8')) as RenderedBody
    } catch (error) {
      // Nothing listed can be trusted now: this run renders what it still needs, and saves only that.
      this.catalog.clear()
      rmSync(path.join(this.dir, CATALOG), { force: true })
      throw new Error(`the render cache in ${this.dir} is damaged (${(error as Error).message}) and was cleared: run the command again`)
    }
  }

  set(key: string, value: RenderedBody): void {
    if (!KEY.test(key)) throw new Error(`render cache: "${key}" is not a sha-256 key`)
    this.fresh.set(key, value)
  }

  private readBytes([pack, offset, length]: Location): Buffer {
    const fd = openSync(path.join(this.dir, pack), 'r')
    try {
      const bytes = Buffer.allocUnsafe(length)
      let done = 0
      while (done < length) {
        const read = readSync(fd, bytes, done, length - done, offset + done)
        if (read === 0) throw new Error(`${pack} is shorter than the catalog says`)
        done += read
      }
      return bytes
    } finally {
      closeSync(fd)
    }
  }

  /**
   * Keeps the bodies in `keep` (the ones this run's posts use): writes what was rendered in this run as one new pack,
   * merges packs when more than half their bytes are stale or there are too many, then writes the catalog and removes
   * files that have not been listed for the grace period. Bodies stay readable through this object afterwards.
   * Returns problems to report; never throws (the cache is only a help).
   */
  async save(keep: ReadonlySet<string>, options: RenderCacheSaveOptions = {}): Promise<string[]> {
    try {
      await this.saveOrThrow(keep, options.graceMs ?? 3600_000)
      return []
    } catch (error) {
      return [`could not save the render cache in ${this.dir}: ${(error as Error).message}`]
    }
  }

  private async saveOrThrow(keep: ReadonlySet<string>, graceMs: number): Promise<void> {
    const kept = [...this.catalog].filter(([key]) => keep.has(key) && !this.fresh.has(key))
    const fresh = [...this.fresh].filter(([key]) => keep.has(key))
    const dropped = this.catalog.size - kept.length
    const now = Date.now()
    const stale = [...this.retired.values()].some((at) => at < now - graceMs)
    if (fresh.length === 0 && dropped === 0 && !stale) return

    const livePerPack = new Map<string, number>()
    for (const [, [pack, , length]] of kept) livePerPack.set(pack, (livePerPack.get(pack) ?? 0) + length)
    const sizes = new Map([...livePerPack.keys()].map((pack) => [pack, statIfPresent(path.join(this.dir, pack))?.size ?? 0]))
    const live = [...livePerPack.values()].reduce((sum, bytes) => sum + bytes, 0)
    const total = [...sizes.values()].reduce((sum, bytes) => sum + bytes, 0)
    const largest = [...sizes].sort((a, b) => b[1] - a[1])[0]?.[0]
    // Mostly stale: rewrite everything. Too many packs: fold all but the largest into the new one.
    const merge = new Set(
      total - live > live ? sizes.keys() : sizes.size + 1 > MAX_PACKS ? [...sizes.keys()].filter((pack) => pack !== largest) : [],
    )

    const next = new Map<string, Location>()
    const parts: Buffer[] = []
    const name = `${randomBytes(8).toString('hex')}.pack`
    let offset = 0
    const append = (key: string, bytes: Buffer) => {
      next.set(key, [name, offset, bytes.length])
      parts.push(bytes)
      offset += bytes.length
    }
    for (const [key, location] of kept) {
      if (!merge.has(location[0])) next.set(key, location)
      else {
        const bytes = readOrNull(() => this.readBytes(location))
        // Unreadable: left out, and rendered again when needed.
        if (bytes) append(key, bytes)
      }
    }
    for (const [key, body] of fresh) append(key, Buffer.from(JSON.stringify(body)))
    await mkdir(this.dir, { recursive: true })
    if (parts.length > 0) await writeFileAtomically(path.join(this.dir, name), Buffer.concat(parts))

    // Every other file of the folder that is not listed is retired now (or stays retired); after the grace period it goes.
    const listed = new Set([...next.values()].map(([pack]) => pack))
    const retired = new Map<string, number>()
    const remove: string[] = []
    for (const file of new Set([...this.files, ...this.retired.keys()])) {
      if (file === CATALOG || file === name || listed.has(file)) continue
      const since = this.retired.get(file) ?? now
      if (since < now - graceMs) remove.push(file)
      else retired.set(file, since)
    }
    await writeJsonState(path.join(this.dir, CATALOG), {
      version: 2,
      bodies: Object.fromEntries(next),
      retired: Object.fromEntries(retired),
    } satisfies Catalog)
    this.catalog.clear()
    for (const [key, location] of next) this.catalog.set(key, location)
    await Promise.all(remove.map((file) => rm(path.join(this.dir, file), { force: true, recursive: true })))
  }
}

function readOrNull(read: () => Buffer): Buffer | null {
  try {
    return read()
  } catch {
    return null
  }
}

function isLocation(value: unknown): value is Location {
  return (
    Array.isArray(value) &&
    value.length === 3 &&
    typeof value[0] === 'string' &&
    PACK.test(value[0]) &&
    Number.isSafeInteger(value[1]) &&
    Number.isSafeInteger(value[2]) &&
    value[1] >= 0 &&
    value[2] > 0
  )
}
