import type { Config } from '../config.js'
import type { WriteFeedsResult } from '../feeds/write.js'
import { buildFingerprint, saveBuildState, unchangedSince } from './build-state.js'
import type { SiteContext } from '../cli/runtime.js'
import { buildSiteFeeds } from './site-feeds.js'
import { loadAndReport, type PostCounts } from './site-posts.js'

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
export async function buildSite(context: SiteContext, config: Config, now: Date, onProgress?: (done: number, total: number) => void): Promise<SiteBuild> {
  const fingerprint = await buildFingerprint(config)
  const previous = await unchangedSince(config, fingerprint, now)
  if (previous) {
    for (const error of previous.errors) context.logger.error(`skipped: ${error}`)
    return { feeds: { written: [], unchanged: previous.feeds.map((feed) => feed.path), failed: [] }, counts: previous.counts, unchanged: true, postsMs: 0, feedsMs: 0 }
  }
  const started = performance.now()
  const { collection, counts } = await loadAndReport(context, now, onProgress)
  const loaded = performance.now()
  const { feeds } = await buildSiteFeeds(context, collection.posts, now, config)
  if (feeds.failed.length === 0) await saveBuildState(config, fingerprint, now, collection, counts, [...feeds.written, ...feeds.unchanged])
  return { feeds, counts, unchanged: false, postsMs: loaded - started, feedsMs: performance.now() - loaded }
}
