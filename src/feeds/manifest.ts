import { createHash } from 'node:crypto'
import type { FeedFormat } from '../config.js'
import { statIfPresent } from '../infra/file-stat.js'
import { asRecord, readJsonState, writeJsonState } from '../infra/json-state.js'
import { bodyDigest } from '../posts/body-digest.js'
import type { Post } from '../posts/types.js'
import type { FeedDocument } from './types.js'

/** What a feed file was built from, and what it looked like on disk right after. */
export interface FeedFileRecord {
  /** {@link feedFileKey} of the inputs the file was rendered from. */
  readonly key: string
  readonly size: number
  readonly mtimeMs: number
}

/**
 * Remembers, per feed file, what it was built from, so that a rebuild can skip rendering a feed whose inputs
 * are unchanged and whose file is as Herald left it. Optional: without one, every feed is rendered and compared.
 */
export interface FeedManifest {
  get(path: string): FeedFileRecord | undefined
  set(path: string, record: FeedFileRecord): void
  delete(path: string): void
  /**
   * The renderers' fingerprint (feeds/canary.ts) recorded under `stamp`, a cheap identity of the code and packages
   * that render (see `buildFeeds`' `renderersStamp`): while the stamp is the same, the canary need not be rendered.
   */
  renderers(stamp: string): string | undefined
  setRenderers(stamp: string, fingerprint: string): void
}

/** The fields of a post that {@link feedEntry} reads; a test checks the list against what it really reads. */
export const ENTRY_INPUTS = [
  'feedId',
  'permalink',
  'link',
  'title',
  'author',
  'date',
  'updated',
  'tags',
  'html',
  'teaserHtml',
  'readMoreLabel',
  'description',
  'previewImage',
] as const satisfies readonly (keyof Post)[]

/** The part of a post a feed entry is made from: what a feed rendering thread is sent. */
export type EntryInput = Pick<Post, (typeof ENTRY_INPUTS)[number]>

/** The {@link ENTRY_INPUTS} of `post`, in a plain object (lazy body fields are read here). */
export function entryInput(post: Post): EntryInput {
  return Object.fromEntries(ENTRY_INPUTS.map((field) => [field, post[field]])) as unknown as EntryInput
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('base64url')

const fingerprints = new WeakMap<Post, string>()

/** Hash of everything about `post` that can show in a feed entry. */
export function postFingerprint(post: Post): string {
  let fingerprint = fingerprints.get(post)
  if (fingerprint === undefined) {
    // The body by its digest: posts from the post index know it without reading their body.
    const body = bodyDigest(post)
    fingerprint = sha256(
      JSON.stringify(ENTRY_INPUTS.map((field) => (field === 'html' ? body : field === 'teaserHtml' ? null : post[field]))),
    )
    fingerprints.set(post, fingerprint)
  }
  return fingerprint
}

/**
 * Identifies the inputs of one feed file: the renderers (`renderers`, see feeds/canary.ts), the format, the feed's own
 * fields and its posts.
 */
export function feedFileKey(
  format: FeedFormat,
  document: Omit<FeedDocument, 'entries'>,
  options: { readonly teasers: boolean },
  posts: readonly Post[],
  renderers: string,
): string {
  const { title, description, language, author, homeUrl, selfUrl, hubUrl } = document
  return sha256(
    JSON.stringify([
      renderers,
      format,
      title,
      description,
      language,
      author,
      homeUrl,
      selfUrl,
      hubUrl,
      options.teasers,
      posts.map(postFingerprint),
    ]),
  )
}

/** True when the file at `target` is still the one `record` describes (same size and mtime) and was built from `key`. */
export function isUpToDate(target: string, record: FeedFileRecord | undefined, key: string): boolean {
  if (record === undefined || record.key !== key) return false
  const stats = statIfPresent(target)
  // Within a millisecond: sub-millisecond digits do not survive every copy or touch of a file.
  return stats?.isFile() === true && stats.size === record.size && Math.abs(stats.mtimeMs - record.mtimeMs) < 1
}

/** A record of the file now at `target`, built from `key`; null when it cannot be read. */
export function recordOf(target: string, key: string): FeedFileRecord | null {
  const stats = statIfPresent(target)
  return stats === null ? null : { key, size: stats.size, mtimeMs: stats.mtimeMs }
}

/** A {@link FeedManifest} kept in a JSON file (e.g. `<site>/.herald/cache/feeds.json`); call `save()` after a build. */
export class FileFeedManifest implements FeedManifest {
  private readonly records: Map<string, FeedFileRecord>
  private canary: { stamp: string; fingerprint: string } | null
  private changed = false

  private constructor(
    private readonly file: string,
    stored: StoredManifest | null,
  ) {
    this.records = new Map(Object.entries(stored?.files ?? {}))
    this.canary = stored?.renderers ?? null
  }

  /** Opens the manifest; a missing, unreadable or older file is an empty manifest (everything gets rendered once). */
  static async open(file: string): Promise<FileFeedManifest> {
    // A damaged manifest only costs one full render.
    const stored = asRecord(await readJsonState(file)) as StoredManifest | null
    const valid = stored?.version === 2 && asRecord(stored.files) !== null
    return new FileFeedManifest(file, valid ? stored : null)
  }

  get(feedPath: string): FeedFileRecord | undefined {
    return this.records.get(feedPath)
  }

  set(feedPath: string, record: FeedFileRecord): void {
    const previous = this.records.get(feedPath)
    if (previous && previous.key === record.key && previous.size === record.size && previous.mtimeMs === record.mtimeMs) return
    this.records.set(feedPath, record)
    this.changed = true
  }

  delete(feedPath: string): void {
    this.changed = this.records.delete(feedPath) || this.changed
  }

  renderers(stamp: string): string | undefined {
    return this.canary?.stamp === stamp && typeof this.canary.fingerprint === 'string' ? this.canary.fingerprint : undefined
  }

  setRenderers(stamp: string, fingerprint: string): void {
    if (this.canary?.stamp === stamp && this.canary.fingerprint === fingerprint) return
    this.canary = { stamp, fingerprint }
    this.changed = true
  }

  /** Writes the manifest when it changed (temporary file and rename). */
  async save(): Promise<void> {
    if (!this.changed) return
    const files = Object.fromEntries([...this.records].sort(([a], [b]) => (a < b ? -1 : 1)))
    await writeJsonState(this.file, { version: 2, renderers: this.canary, files } satisfies StoredManifest)
    this.changed = false
  }
}

/** The manifest file: version 2 added the renderers' fingerprint (version 1 was the bare map of files). */
interface StoredManifest {
  readonly version: 2
  readonly renderers: { readonly stamp: string; readonly fingerprint: string } | null
  readonly files: Record<string, FeedFileRecord>
}
