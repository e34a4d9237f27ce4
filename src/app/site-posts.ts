import { createHash } from 'node:crypto'
import { rm } from 'node:fs/promises'
import path from 'node:path'
import { type Config, stateDir } from '../config.js'
import { type PostSnapshot, snapshotPost } from '../editions/snapshot.js'
import { loadPosts } from '../posts/load.js'
import { type FileStamps, POST_INDEX_NAME, PostIndex } from '../posts/post-index.js'
import { PackedRenderCache } from '../posts/render-cache.js'
import { createPooledRenderer, type PooledRenderer } from '../posts/render-pool.js'
import { createRstRenderer, RENDERER_ID } from '../posts/rst.js'
import type { PostCollection } from '../posts/types.js'
import { livePosts, publicationState } from '../publishing/live.js'
import { codeVersion } from './code-version.js'
import type { AppContext } from './context.js'

/** Posts loaded by {@link openSitePosts}, and the caches that remember them, to be saved once (never throws). */
export interface OpenedSitePosts {
  readonly collection: PostCollection
  saveCaches(): Promise<void>
}

/**
 * Loads a site's posts with the on-disk post index and render cache: unchanged post files are not read again, and
 * their bodies are read only when shown; changed ones are rendered only when their body changed.
 */
export async function loadSitePosts(
  context: AppContext,
  onProgress?: (done: number, total: number) => void,
  stamps?: FileStamps,
): Promise<PostCollection> {
  const opened = await openSitePosts(context, onProgress, stamps)
  await opened.saveCaches()
  return opened.collection
}

/**
 * {@link loadSitePosts} without saving the caches, so that a build can save them while its feeds are rendered. Bodies
 * stay readable after the save (packs it replaces are removed only an hour later). `pooled`: a renderer to use (and
 * close), e.g. one whose threads were started before the posts were looked at.
 */
export async function openSitePosts(
  context: AppContext,
  onProgress?: (done: number, total: number) => void,
  stamps?: FileStamps,
  pooled?: PooledRenderer,
): Promise<OpenedSitePosts> {
  const { config, logger } = context
  const cacheDir = path.join(stateDir(config.siteDir), 'cache')
  const [cache, index] = await Promise.all([
    PackedRenderCache.open(path.join(cacheDir, 'render')),
    indexFingerprint(config).then((fingerprint) => PostIndex.open(path.join(cacheDir, POST_INDEX_NAME), fingerprint)),
  ])
  // A renderer given here (started early by the caller) is closed here too, once the posts are loaded.
  const renderer = pooled ?? createPooledRenderer(createRstRenderer())
  let collection: PostCollection
  try {
    collection = await loadPosts({ config, renderer, cache, index, ...(onProgress ? { onProgress } : {}), ...(stamps ? { stamps } : {}) })
  } finally {
    await renderer.close()
  }
  const saveCaches = async () => {
    const problems = await cache.save(index.renderKeys()).catch((error: Error) => [`could not save the render cache: ${error.message}`])
    for (const problem of problems) logger.warn(problem)
    // The render cache of Herald 0.1 (one JSON file), replaced by the packs in render/.
    await rm(path.join(cacheDir, 'render.json'), { force: true }).catch(() => undefined)
    await index.save().catch((error: Error) => logger.warn(`could not save the post index: ${error.message}`))
  }
  return { collection, saveCaches }
}

/** What every entry of the post index depends on besides its own files: settings, renderer and Herald's code. */
async function indexFingerprint(config: Config): Promise<string> {
  const { env: _env, ...settings } = config
  return createHash('sha256')
    .update(JSON.stringify(settings))
    .update('\0')
    .update(RENDERER_ID)
    .update('\0')
    .update(await codeVersion())
    .digest('hex')
}

/** Counts of posts by what happened to them in this run. */
export interface PostCounts {
  readonly live: number
  readonly scheduled: number
  /** Posts that failed to load (errors were logged); feeds and editions are made from the others. */
  readonly skipped: number
}

/** Loads the posts, logs their problems, counts them. */
export async function loadAndReport(
  context: AppContext,
  now: Date,
  onProgress?: (done: number, total: number) => void,
  stamps?: FileStamps,
): Promise<{ collection: PostCollection; counts: PostCounts }> {
  const collection = await loadSitePosts(context, onProgress, stamps)
  return { collection, counts: reportPosts(context, collection, now) }
}

/** Logs the problems of loaded posts and counts them by publication state at `now`. */
export function reportPosts(context: AppContext, collection: PostCollection, now: Date): PostCounts {
  for (const post of collection.posts) for (const warning of post.warnings) context.logger.warn(warning)
  for (const failure of collection.failures) for (const error of failure.errors) context.logger.error(`skipped: ${error}`)
  const states = collection.posts.map((post) => publicationState(post, now))
  return {
    live: states.filter((state) => state === 'live').length,
    scheduled: states.filter((state) => state === 'scheduled').length,
    skipped: collection.failures.length,
  }
}

/** How many tags the subscribe form offers when `subscribe.tags` does not choose them. */
export const FORM_TAGS = 12

/** The tags of a site's live posts, for the web service (read once at start: restart to refresh). */
export interface SiteTags {
  /** Every live tag (first spelling wins), sorted: the preferences page offers them all. */
  readonly all: string[]
  /** What the subscribe form offers: `subscribe.tags`, else the {@link FORM_TAGS} tags with the most live posts. */
  readonly form: string[]
}

/** Tags of the live posts: all of them, and those the subscribe form offers. */
export async function siteTags(context: AppContext, now: Date = new Date()): Promise<SiteTags> {
  const { config } = context
  const byName = (a: string, b: string) => a.localeCompare(b, config.site.language)
  let all: string[] = []
  const counts = new Map<string, number>()
  try {
    const collection = await loadSitePosts(context)
    const tags = new Map<string, string>()
    for (const post of collection.posts) {
      if (publicationState(post, now) !== 'live') continue
      for (const tag of post.tags) {
        const key = tag.toLowerCase()
        if (!tags.has(key)) tags.set(key, tag)
        counts.set(key, (counts.get(key) ?? 0) + 1)
      }
    }
    all = [...tags.values()].sort(byName)
  } catch (error) {
    context.logger.warn(`could not read the posts for the subscribe page's tags: ${(error as Error).message}`)
  }
  if (config.subscribe.tags) return { all, form: [...config.subscribe.tags] }
  const mostUsed = [...all].sort((a, b) => (counts.get(b.toLowerCase()) ?? 0) - (counts.get(a.toLowerCase()) ?? 0) || byName(a, b))
  return { all, form: mostUsed.slice(0, FORM_TAGS).sort(byName) }
}

/** Snapshots of the newest live posts (the welcome email's list); none when the posts cannot be read. */
export async function latestPosts(context: AppContext, count: number, now: Date = new Date()): Promise<PostSnapshot[]> {
  try {
    const collection = await loadSitePosts(context)
    return livePosts(collection.posts, now)
      .sort((a, b) => b.date.ms - a.date.ms)
      .slice(0, count)
      .map(snapshotPost)
  } catch (error) {
    context.logger.warn(`could not read the latest posts for the welcome email: ${(error as Error).message}`)
    return []
  }
}
