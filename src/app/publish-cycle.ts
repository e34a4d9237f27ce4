import type { BuildFeedsResult } from '../feeds/build.js'
import { livePosts } from '../publishing/live.js'
import { announceNewPosts, type AnnounceResult } from '../publishing/announce.js'
import { enqueueEdition } from '../queue/queues.js'
import type { SiteContext } from '../cli/runtime.js'
import type { DigestServices } from './services.js'
import { buildSiteFeeds } from './site-feeds.js'
import { loadAndReport, type PostCounts } from './site-posts.js'

/** What one publish cycle (the first half of `herald run`, and each scheduled run) did. */
export interface CycleResult {
  readonly posts: PostCounts
  readonly build: BuildFeedsResult
  readonly announce: AnnounceResult
  /** Editions not finished yet (this run's and any left over by an earlier one), all queued now. */
  readonly openEditions: readonly string[]
}

/** Builds the feeds, claims the new posts as an edition, and queues every open edition. Sends nothing itself. */
export async function runPublishCycle(
  context: SiteContext,
  services: Pick<DigestServices, 'ledger' | 'editions' | 'queues' | 'cycles'>,
  options: { now: Date; announceLatest?: number; recordOnly?: boolean; onProgress?: (done: number, total: number) => void },
): Promise<CycleResult> {
  const { logger } = context
  const started = performance.now()
  const { collection, counts } = await loadAndReport(context, options.now, options.onProgress)
  const build = await buildSiteFeeds(context, collection.posts, options.now)
  const announce = await announceNewPosts({
    ledger: services.ledger,
    live: livePosts(collection.posts, options.now),
    ...(options.announceLatest !== undefined ? { announceLatest: options.announceLatest } : {}),
    maxPosts: context.config.email.maxEditionPosts,
    recordOnly: options.recordOnly ?? false,
  })
  if (announce.firstActivation) logger.info(`first activation: ${announce.baselined} existing posts recorded as already announced (not mailed)`)
  if (announce.recorded > 0) logger.info(`${announce.recorded} new post(s) recorded as announced without mailing (--record-only)`)
  if (announce.refused) {
    logger.error(
      `${announce.refused.count} posts are new at once (email.max_edition_posts is ${announce.refused.limit}): nothing was mailed. ` +
        'If post ids changed (a new site.url, permalink pattern or slugs), record them without mailing: herald run --record-only. ' +
        'If they really are all new, raise email.max_edition_posts.',
    )
  }
  // Editions left open by an earlier, interrupted run are queued again too: queueing is idempotent, nothing is lost.
  const openEditions = await services.editions.openIds()
  for (const editionId of openEditions) await enqueueEdition(services.queues, editionId)
  await services.cycles.record({
    durationMs: performance.now() - started,
    at: new Date(),
    feedsWritten: build.feeds.written.length,
    feedsUnchanged: build.feeds.unchanged.length,
    feedsFailed: build.feeds.failed.length,
    postsLive: counts.live,
    postsScheduled: counts.scheduled,
    postsSkipped: counts.skipped,
  })
  return { posts: counts, build, announce, openEditions }
}
