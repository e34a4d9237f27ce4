import path from 'node:path'
import { statIfPresent } from '../infra/file-stat.js'
import { asRecord, readJsonState, writeJsonState } from '../infra/json-state.js'
import { type Discovery, discoverPosts } from './discovery.js'
import type { Post } from './types.js'

/** The post index's file name, in the site's cache folder (`.herald/cache/`). */
export const POST_INDEX_NAME = 'posts.json'

/**
 * A file a post was read from, as it was: size, mtime and ctime, or nulls when it did not exist. The ctime catches what
 * keeps size and mtime (`cp -p`, `rsync -t`, `tar x`, a `chmod` that makes a file readable again): no tool sets it back.
 */
export type FileStamp = readonly [file: string, size: number | null, mtimeMs: number | null, ctimeMs: number | null]

/** The body fields of a post, which the index does not hold (they stay in the render cache). */
export type PostBodyField = 'html' | 'teaserHtml' | 'emailHtml' | 'emailTeaserHtml'

/** Everything about a loaded post except its body and what discovery decides afresh each run (translations). */
export type PostHead = Omit<Post, PostBodyField | 'translations'>

/** What the index keeps about a post that loaded. */
export interface IndexedPost {
  /** Site-relative files the post was made from (the post, its `.meta` sidecar, its includes), as they were. */
  readonly stamps: readonly FileStamp[]
  /** When the stamps were taken (ms): a file changed within the same clock tick looks unchanged (see `isRacy`). */
  readonly checkedAt: number
  readonly head: PostHead
  /** Render cache key of the body, and the line of the post file the body starts on. */
  readonly renderKey: string
  readonly bodyStartLine: number
  /** `bodyDigest` of the finished body, so feeds can tell whether it changed without reading it. */
  readonly bodyDigest: string
  /** The body links to other posts (`link://`, `post-list`): resolved again on every run. Its source, for line numbers. */
  readonly siteLinks: string | null
}

interface IndexFile {
  readonly version: 2
  readonly fingerprint: string
  readonly posts: Record<string, IndexedPost>
}

/**
 * A file whose mtime or ctime is this close to (or after) the moment it was checked may have been written again in the same
 * clock tick, unseen: it is read again. Linux stamps files from a clock that moves in ticks of up to 10 ms; timestamps in
 * whole seconds betray a coarse filesystem (FAT: 2 s).
 */
const racyWindowMs = (timeMs: number) => (timeMs % 1000 === 0 ? 2000 : 20)

/**
 * What each post file gave the last time it was read, keyed by path and checked by size and mtime: a run reads and
 * renders only new or changed posts, and takes the others from here (their bodies from the render cache, when shown).
 * Valid only for one `fingerprint` (configuration, renderer and Herald's code): anything else there starts it afresh.
 */
export class PostIndex {
  private readonly next = new Map<string, IndexedPost>()
  private changed = false

  private constructor(
    private readonly file: string,
    private readonly fingerprint: string,
    private readonly previous: ReadonlyMap<string, IndexedPost>,
  ) {}

  /** Opens the index file; missing, damaged or made under another fingerprint: an empty index. */
  static async open(file: string, fingerprint: string): Promise<PostIndex> {
    const stored = asRecord(await readJsonState(file)) as IndexFile | null
    const valid = stored?.version === 2 && stored.fingerprint === fingerprint && asRecord(stored.posts) !== null
    return new PostIndex(file, fingerprint, new Map(valid ? Object.entries(stored.posts) : []))
  }

  /** The entry for `file` when every file it was made from is as it was then; null otherwise. */
  lookup(file: string, stamps: FileStamps): IndexedPost | null {
    const entry = this.previous.get(file)
    if (!entry || !Array.isArray(entry.stamps)) return null
    const now = entry.stamps.map(([name]) => stamps.of(name))
    const same = now.every((stamp, index) => {
      const [, size, mtimeMs, ctimeMs] = entry.stamps[index]!
      return stamp[1] === size && stamp[2] === mtimeMs && stamp[3] === ctimeMs && !isRacy(stamp, entry.checkedAt)
    })
    if (!same) return null
    this.keep(file, entry, false)
    return entry
  }

  /** Remembers what `file` gave in this run. */
  record(file: string, entry: IndexedPost): void {
    this.keep(file, entry, true)
  }

  private keep(file: string, entry: IndexedPost, changed: boolean): void {
    this.next.set(file, entry)
    this.changed ||= changed
  }

  /** Render keys of every post this run saw: what the render cache must keep. */
  renderKeys(): Set<string> {
    return new Set([...this.next.values()].map((entry) => entry.renderKey))
  }

  /** Writes the entries of this run's posts (deleted posts fall out) when anything changed. */
  async save(): Promise<void> {
    if (!this.changed && this.next.size === this.previous.size) return
    const posts = Object.fromEntries([...this.next].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
    await writeJsonState(this.file, { version: 2, fingerprint: this.fingerprint, posts } satisfies IndexFile)
  }
}

/**
 * What one run saw of the site's files: the post files found (discovery) and the size and mtime of each file, each
 * looked up once (the unchanged-site check and the post index ask about the same files). `since` is when the run began
 * looking: no stamp is older.
 */
export class FileStamps {
  readonly since = Date.now()
  private readonly known = new Map<string, FileStamp>()
  private found: Promise<Discovery> | undefined
  private listed: ReadonlyMap<string, ReadonlySet<string>> | undefined

  constructor(private readonly siteDir: string) {}

  of(file: string): FileStamp {
    let stamp = this.known.get(file)
    if (!stamp) {
      const info = this.unlisted(file) ? null : statIfPresent(path.join(this.siteDir, file))
      stamp = info?.isFile() ? [file, info.size, info.mtimeMs, info.ctimeMs] : [file, null, null, null]
      this.known.set(file, stamp)
    }
    return stamp
  }

  /** The post files the globs find (looked for once per run). */
  discovery(globs: readonly string[]): Promise<Discovery> {
    this.found ??= discoverPosts(this.siteDir, globs).then((found) => {
      this.listed = found.listed
      return found
    })
    return this.found
  }

  /**
   * A file missing from its folder's listing in this run: no need to ask the file system (most posts have no `.meta`:
   * a site of 1,000 posts asked 1,000 times for files that are not there).
   */
  private unlisted(file: string): boolean {
    const slash = file.lastIndexOf('/')
    return this.listed?.get(slash === -1 ? '' : file.slice(0, slash))?.has(file.slice(slash + 1)) === false
  }

  /** True when a file looked at may have been written again since, within its timestamps' tick (see `isRacy`). */
  anyRacy(): boolean {
    return [...this.known.values()].some((stamp) => isRacy(stamp, this.since))
  }
}

function isRacy([, , mtimeMs, ctimeMs]: FileStamp, checkedAt: number): boolean {
  if (mtimeMs === null || ctimeMs === null) return false
  return mtimeMs >= checkedAt - racyWindowMs(mtimeMs) || ctimeMs >= checkedAt - racyWindowMs(ctimeMs)
}
