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
  private changed = false

  private constructor(
    private readonly file: string,
    records: Record<string, FeedFileRecord>,
  ) {
    this.records = new Map(Object.entries(records))
  }

  /** Opens the manifest; a missing or unreadable file is an empty manifest (everything gets rendered once). */
  static async open(file: string): Promise<FileFeedManifest> {
    // A damaged manifest only costs one full render.
    const records = asRecord(await readJsonState(file)) ?? {}
    return new FileFeedManifest(file, records as Record<string, FeedFileRecord>)
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

  /** Writes the manifest when it changed (temporary file and rename). */
  async save(): Promise<void> {
    if (!this.changed) return
    await writeJsonState(this.file, Object.fromEntries([...this.records].sort(([a], [b]) => (a < b ? -1 : 1))))
    this.changed = false
  }
}
