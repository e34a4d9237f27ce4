import { createHash } from 'node:crypto'
import path from 'node:path'
import { type Config, stateDir } from '../config.js'
import { statIfPresent } from '../infra/file-stat.js'
import { asRecord, readJsonState, writeJsonState } from '../infra/json-state.js'
import type { FileStamps } from '../posts/post-index.js'
import { RENDERER_ID } from '../posts/rst.js'
import type { PostCollection } from '../posts/types.js'
import { codeVersion } from './code-version.js'
import type { PostCounts } from './site-posts.js'

/**
 * What the last successful `herald build` was made from, so an unchanged site is recognised from file
 * metadata alone (no post is read, rendered or fed). Valid while: the same config, the same post files with the
 * same size and mtime, the same feed files on disk, and `now` between the newest post date already passed and the
 * next one to come (a scheduled post going live changes the feeds).
 */
export interface BuildState {
  readonly version: 1
  readonly fingerprint: string
  /** Latest post date ≤ the build's `now` (ms), or null. */
  readonly validFrom: number | null
  /** Earliest post date > the build's `now` (ms), or null. */
  readonly validUntil: number | null
  readonly counts: PostCounts
  /** Errors of skipped posts, logged again on every build until fixed. */
  readonly errors: readonly string[]
  /** Files posts read besides themselves (includes, listings): their changes count as changes of the site. */
  readonly dependencies?: readonly string[]
  /** Feed files (relative to the output folder) with the size and mtime they had. */
  readonly feeds: ReadonlyArray<{ readonly path: string; readonly size: number; readonly mtimeMs: number }>
  /** The folders holding posts, with their mtimes: a hint that a post was added or removed (see {@link postFoldersChanged}). */
  readonly folders?: ReadonlyArray<readonly [string, number]>
}

const stateFile = (config: Config) => path.join(stateDir(config.siteDir), 'cache', 'build-state.json')

/** What the last build saved (read once per build: every check below takes it), or null when there is none. */
export async function readBuildState(config: Config): Promise<BuildState | null> {
  return asRecord(await readJsonState(stateFile(config))) as BuildState | null
}

/** The includes and listings the posts of a saved build read. */
export const savedDependencies = (state: BuildState | null): readonly string[] =>
  Array.isArray(state?.dependencies) ? state.dependencies : []

/**
 * A hash of everything a build's output depends on, from file metadata only. `dependencies`: the includes and listings
 * the last build's posts read (a new one comes with a changed post, so this is enough).
 */
export async function buildFingerprint(config: Config, stamps: FileStamps, dependencies: readonly string[]): Promise<string> {
  const hash = createHash('sha256')
  const { env: _env, ...settings } = config
  hash
    .update(JSON.stringify(settings))
    .update('\0')
    .update(RENDERER_ID)
    .update('\0')
    .update(await codeVersion())
  const files = (await stamps.discovery(config.posts)).sources.map((source) => source.file)
  const entries = [...files.flatMap((file) => [file, `${file.replace(/\.[^./]+$/, '')}.meta`]), ...dependencies].map((file) => {
    const [, size, mtimeMs, ctimeMs] = stamps.of(file)
    return size === null ? `${file}\0-` : `${file}\0${size}\0${mtimeMs}\0${ctimeMs}`
  })
  for (const entry of entries) hash.update('\0').update(entry)
  return hash.digest('hex')
}

/**
 * True when a folder holding posts has another mtime than at the last build (a post added, removed or renamed), or
 * nothing is known: a hint, read before the full check, to start work that a change needs. Edits inside a post do not
 * change its folder's mtime; the full check ({@link unchangedSince}) is what decides.
 */
export async function postFoldersChanged(config: Config, saved?: BuildState | null): Promise<boolean> {
  const state = saved === undefined ? await readBuildState(config) : saved
  if (!Array.isArray(state?.folders) || state.folders.length === 0) return true
  return state.folders.some(
    (entry) => !Array.isArray(entry) || statIfPresent(path.join(config.siteDir, String(entry[0])))?.mtimeMs !== entry[1],
  )
}

/** The folders of the discovered post files (site-relative), with their mtimes now. */
async function postFolders(config: Config, stamps: FileStamps): Promise<Array<[string, number]>> {
  const { sources } = await stamps.discovery(config.posts)
  const folders = new Set(
    sources.flatMap((source) => [source.file, ...Object.values(source.translations)]).map((file) => path.posix.dirname(file)),
  )
  return [...folders].sort().flatMap((folder) => {
    const info = statIfPresent(path.join(config.siteDir, folder))
    return info ? [[folder, info.mtimeMs] as [string, number]] : []
  })
}

/** The saved `state` when it still describes the site at `now` (feed files untouched too); null otherwise. */
export function unchangedSince(state: BuildState | null, config: Config, fingerprint: string, now: Date): BuildState | null {
  if (state?.version !== 1 || state.fingerprint !== fingerprint || !Array.isArray(state.feeds)) return null
  const time = now.getTime()
  if ((state.validFrom !== null && time < state.validFrom) || (state.validUntil !== null && time >= state.validUntil)) return null
  for (const feed of state.feeds) {
    const info = statIfPresent(path.join(config.outputDir, feed.path))
    if (!info || info.size !== feed.size || info.mtimeMs !== feed.mtimeMs) return null
  }
  return state
}

/** Saves the state after a build in which every feed was written. */
export async function saveBuildState(
  config: Config,
  fingerprint: string,
  now: Date,
  collection: PostCollection,
  counts: PostCounts,
  feedPaths: readonly string[],
  stamps: FileStamps,
  previous: BuildState | null,
): Promise<void> {
  // A file written within the tick its mtime was read in may have changed unseen: the next build looks properly.
  if (stamps.anyRacy()) return
  const time = now.getTime()
  let validFrom: number | null = null
  let validUntil: number | null = null
  for (const post of collection.posts) {
    if (post.date.ms <= time) validFrom = validFrom === null ? post.date.ms : Math.max(validFrom, post.date.ms)
    else validUntil = validUntil === null ? post.date.ms : Math.min(validUntil, post.date.ms)
  }
  const feeds = feedPaths.map((feedPath) => {
    const info = statIfPresent(path.join(config.outputDir, feedPath))
    if (!info) throw new Error(`${feedPath} is gone from ${config.outputDir} right after being written`)
    return { path: feedPath, size: info.size, mtimeMs: info.mtimeMs }
  })
  const dependencies = [...new Set(collection.posts.flatMap((post) => post.dependencies))].sort()
  const before = savedDependencies(previous)
  // The fingerprint was taken with the previous build's dependencies; when the posts now read others, take it again.
  const current =
    before.length === dependencies.length && before.every((file, index) => file === dependencies[index])
      ? fingerprint
      : await buildFingerprint(config, stamps, dependencies)
  const state: BuildState = {
    version: 1,
    fingerprint: current,
    validFrom,
    validUntil,
    counts,
    errors: collection.failures.flatMap((failure) => failure.errors),
    dependencies,
    feeds,
    folders: await postFolders(config, stamps),
  }
  await writeJsonState(stateFile(config), state)
}
