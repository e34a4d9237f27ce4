import path from 'node:path'
import { type Config, stateDir } from '../config.js'
import type { BuildFeedsOptions, BuildFeedsResult } from '../feeds/build.js'
import type { FeedFileRenderer } from '../feeds/feed-renderer.js'
import type { WriteFeedsResult } from '../feeds/write.js'
import { statIfPresent } from '../infra/file-stat.js'
import type { WritePagesResult } from '../pages/write.js'
import { FileStamps, POST_INDEX_NAME } from '../posts/post-index.js'
import { createPooledRenderer, type PooledRenderer } from '../posts/render-pool.js'
import { createRstRenderer } from '../posts/rst.js'
import type { Post } from '../posts/types.js'
import { livePosts } from '../publishing/live.js'
import {
  type BuildState,
  buildFingerprint,
  postFoldersChanged,
  readBuildState,
  saveBuildState,
  savedDependencies,
  unchangedSince,
} from './build-state.js'
import { feedCodeStamp } from './code-version.js'
import type { AppContext } from './context.js'
import type { PostCounts } from './site-posts.js'

/** What `herald build` did. */
export interface SiteBuild {
  readonly feeds: WriteFeedsResult
  readonly counts: PostCounts
  /** True when nothing had changed since the last build and no work was done. */
  readonly unchanged: boolean
  /** Milliseconds spent loading posts and building feeds (zero when unchanged). */
  readonly postsMs: number
  readonly feedsMs: number
}

/**
 * `herald build`'s work: recognise an unchanged site from file metadata, otherwise load the posts (render
 * cache, worker threads) and write the feeds that changed, then remember what the build was made from.
 */
export async function buildSite(
  context: AppContext,
  config: Config,
  now: Date,
  onProgress?: (done: number, total: number) => void,
): Promise<SiteBuild> {
  // The feed libraries load in a thread while this one loads posts. Started before the full check when a post folder
  // changed (a post added or removed: the usual change), otherwise once the check has found a change.
  const { threadedFeedRenderer } = await import('../feeds/feed-renderer.js')
  const startRenderer = () =>
    threadedFeedRenderer({
      timeZone: config.site.timezone,
      onFallback: (error) => context.logger.warn(`feeds: the feed thread failed (${error.message}); rendering them in the main thread`),
    })
  const saved = await readBuildState(config)
  let renderer = (await postFoldersChanged(config, saved)) ? startRenderer() : null
  // Without a post index every post will be rendered (a first or clean build): the render threads start loading the
  // renderer now, on the core the start-up leaves idle, rather than once the posts have been looked at.
  const pool = statIfPresent(postIndexFile(config)) === null ? startedPool() : undefined
  try {
    return await buildWith(context, config, now, saved, onProgress, { feedRenderer: () => (renderer ??= startRenderer()), pool })
  } finally {
    // The pool is closed once its posts are loaded; closing it again is harmless, and needed when the build ended first.
    await Promise.all([renderer?.close(), pool?.close()])
  }
}

const postIndexFile = (config: Config) => path.join(stateDir(config.siteDir), 'cache', POST_INDEX_NAME)

function startedPool(): PooledRenderer {
  const pool = createPooledRenderer(createRstRenderer())
  pool.expect?.(Number.POSITIVE_INFINITY)
  return pool
}

async function buildWith(
  context: AppContext,
  config: Config,
  now: Date,
  saved: BuildState | null,
  onProgress: ((done: number, total: number) => void) | undefined,
  renderers: { feedRenderer: () => FeedFileRenderer; pool: PooledRenderer | undefined },
): Promise<SiteBuild> {
  // One look at each file's size and mtime serves both the unchanged-site check and the post index.
  const stamps = new FileStamps(config.siteDir)
  const fingerprint = await buildFingerprint(config, stamps, savedDependencies(saved))
  const previous = unchangedSince(saved, config, fingerprint, now)
  if (previous) {
    for (const error of previous.errors) context.logger.error(`skipped: ${error}`)
    return {
      feeds: { written: [], unchanged: previous.feeds.map((feed) => feed.path), failed: [] },
      counts: previous.counts,
      unchanged: true,
      postsMs: 0,
      feedsMs: 0,
    }
  }
  const started = performance.now()
  const renderer = renderers.feedRenderer()
  // Loaded here rather than at the top: a build that finds nothing changed should not pay for the renderer and feeds.
  const { openSitePosts, reportPosts } = await import('./site-posts.js')
  const { collection, saveCaches } = await openSitePosts(context, onProgress, stamps, renderers.pool)
  const counts = reportPosts(context, collection, now)
  const loaded = performance.now()
  // The caches are saved while the feed thread renders.
  const { feeds } = await buildSiteFeeds(context, collection.posts, now, config, { renderer, whileRendering: saveCaches })
  const pages = await buildSitePages(context, collection.posts, now, config)
  if (feeds.failed.length === 0) {
    const outputs = [...feeds.written, ...feeds.unchanged, ...pages.written, ...pages.unchanged]
    await saveBuildState(config, fingerprint, now, collection, counts, outputs, stamps, saved)
  }
  return { feeds, counts, unchanged: false, postsMs: loaded - started, feedsMs: performance.now() - loaded }
}

/**
 * Writes a page per live post and the index of posts (`site.pages: true`: a site without Nikola), so every "Read more"
 * link of a digest leads somewhere. Pages not written by Herald are never replaced (a warning names them).
 */
export async function buildSitePages(
  context: AppContext,
  posts: readonly Post[],
  now: Date,
  config: Config = context.config,
): Promise<WritePagesResult> {
  if (!config.site.pages) return { written: [], unchanged: [], foreign: [] }
  const [{ postPages }, { writePages }] = await Promise.all([import('../pages/posts.js'), import('../pages/write.js')])
  const result = await writePages(config.outputDir, postPages(config, livePosts(posts, now)))
  for (const file of result.foreign) context.logger.warn(`${file}: not written by Herald (site.pages is true); left as it is`)
  if (result.written.length > 0) context.logger.info(`pages: ${result.written.length} written, ${result.unchanged.length} unchanged`)
  return result
}

/**
 * Builds the site's feeds with the on-disk manifest of what each file was made from, so a feed whose posts
 * did not change is not even rendered (see feeds/manifest.ts). Without a `renderer` they are rendered in this thread;
 * `whileRendering` runs once the files are handed to the renderer.
 */
export async function buildSiteFeeds(
  context: AppContext,
  posts: readonly Post[],
  now: Date,
  config: Config = context.config,
  options: Pick<BuildFeedsOptions, 'renderer' | 'whileRendering'> = {},
): Promise<BuildFeedsResult> {
  const [{ buildFeeds }, { FileFeedManifest }] = await Promise.all([import('../feeds/build.js'), import('../feeds/manifest.js')])
  const [manifest, renderersStamp] = await Promise.all([
    FileFeedManifest.open(path.join(stateDir(config.siteDir), 'cache', 'feeds.json')),
    feedCodeStamp(),
  ])
  const result = await buildFeeds({
    ...options,
    config,
    posts,
    now,
    logger: context.logger,
    manifest,
    ...(renderersStamp ? { renderersStamp } : {}),
  })
  await manifest.save().catch((error: Error) => context.logger.warn(`could not save the feed manifest: ${error.message}`))
  return result
}
