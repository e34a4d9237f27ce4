import { dueSlot, type EditionSlot, editionSchedule } from '../editions/schedule.js'
import type { BuildFeedsResult } from '../feeds/build.js'
import { transportFingerprint } from '../mail/transport.js'
import { type AnnounceResult, announceNewPosts, previewNewPosts } from '../publishing/announce.js'
import { livePosts } from '../publishing/live.js'
import { CircuitBreaker } from '../queue/breaker.js'
import { enqueueEdition } from '../queue/queues.js'
import { updateArchive } from './archive.js'
import { buildSiteFeeds, buildSitePages } from './build.js'
import { verifyMailTransport } from './preflight.js'
import type { SiteServices } from './services.js'
import { loadAndReport, type PostCounts } from './site-posts.js'

/** What one publish cycle (the first half of `herald run`, and each scheduled run) did. */
export interface CycleResult {
  readonly posts: PostCounts
  readonly build: BuildFeedsResult
  readonly announce: AnnounceResult
  /** Daily and weekly editions this cycle made. */
  readonly cadenceEditions: readonly string[]
  /** Editions not finished yet and not paused (this run's and any left over by an earlier one), all queued now. */
  readonly openEditions: readonly string[]
  /** Editions resumed because the mail configuration changed since they paused. */
  readonly resumed: readonly string[]
  /** Editions still paused (the configuration they paused under is unchanged). */
  readonly paused: readonly string[]
}

/** Options for {@link runPublishCycle}. */
export interface PublishCycleOptions {
  readonly now: Date
  /** On first activation, mail the newest N live posts instead of none. */
  readonly announceLatest?: number
  /** Record new posts as announced without mailing them. */
  readonly recordOnly?: boolean
  readonly onProgress?: (done: number, total: number) => void
}

/**
 * Builds the feeds, checks that mail can leave (only when there is something to send), claims the new posts as an
 * edition, resumes editions paused under a mail configuration that has since changed, and queues every open edition.
 * Sends nothing itself. When mail cannot leave, nothing is claimed (`HeraldError('MAIL_UNAVAILABLE')`).
 */
export async function runPublishCycle(services: SiteServices, options: PublishCycleOptions): Promise<CycleResult> {
  const { context } = services
  const { logger, config } = context
  const started = performance.now()
  const { collection, counts } = await loadAndReport(context, options.now, options.onProgress)
  const build = await buildSiteFeeds(context, collection.posts, options.now)
  await buildSitePages(context, collection.posts, options.now)
  const live = livePosts(collection.posts, options.now)
  const announceLatest = options.announceLatest !== undefined ? { announceLatest: options.announceLatest } : {}

  const next = await previewNewPosts({ ledger: services.announcements, live, ...announceLatest })
  const pending = await services.editions.openIds()
  const startSeq = await services.announcements.sequence()
  const due = options.recordOnly ? [] : await dueCadenceEditions(services, options.now, startSeq, startSeq + next.posts.length)
  if (!options.recordOnly && (next.posts.length > 0 || pending.length > 0 || due.length > 0)) await verifyMailTransport(services)

  const announce = await announceNewPosts({
    ledger: services.announcements,
    live,
    ...announceLatest,
    maxPosts: config.email.maxEditionPosts,
    recordOnly: options.recordOnly ?? false,
  })
  if (announce.firstActivation)
    logger.info(`first activation: ${announce.baselined} existing posts recorded as already announced (not mailed)`)
  if (announce.recorded > 0) logger.info(`${announce.recorded} new post(s) recorded as announced without mailing (--record-only)`)
  if (announce.refused) {
    logger.error(
      `${announce.refused.count} posts are new at once (email.max_edition_posts is ${announce.refused.limit}): nothing was mailed. ` +
        'If post ids changed (a new site.url, permalink pattern or slugs), record them without mailing: herald run --record-only. ' +
        'If they really are all new, raise email.max_edition_posts.',
    )
  }

  // Daily and weekly editions: after the claim, so that they include what this run announced.
  const cadenceEditions: string[] = []
  for (const slot of due) {
    const opened = await services.editions.openCadenceEdition(slot.cadence, slot.slot, startSeq)
    if (opened.outcome !== 'created') continue
    cadenceEditions.push(opened.editionId)
    logger.info(
      { editionId: opened.editionId, cadence: slot.cadence, slot: slot.slot, posts: opened.postCount },
      `${slot.cadence} edition of ${slot.slot}: ${opened.postCount} post(s) announced since the last one`,
    )
  }

  // Before anything is queued, so the "View in browser" link of every email already works when it arrives.
  if (!options.recordOnly) {
    try {
      await updateArchive(services, { newEdition: announce.edition?.editionId ?? cadenceEditions[0] ?? null })
    } catch (error) {
      // A missing archive page costs a link, not the mail: send anyway; the next cycle writes what is missing.
      logger.error({ err: error }, `could not write the email archive: ${(error as Error).message}`)
    }
  }

  // A paused edition waits for a fix: a run under another mail configuration is one, and continues it.
  const fingerprint = transportFingerprint(config)
  const resumed: string[] = []
  const paused: string[] = []
  const openEditions: string[] = []
  for (const editionId of await services.editions.openIds()) {
    const edition = await services.editions.get(editionId)
    if (edition?.status === 'paused') {
      if (edition.pausedConfig === fingerprint || !(await services.editions.resume(editionId))) {
        paused.push(editionId)
        continue
      }
      resumed.push(editionId)
      logger.info({ editionId }, `edition ${editionId} resumed: the mail configuration changed since it paused (${edition.pausedReason})`)
    }
    openEditions.push(editionId)
  }
  if (resumed.length > 0) await new CircuitBreaker({ redis: services.redis.redis, prefix: config.env.prefix }).reset()
  // Editions left open by an earlier, interrupted run are queued again too: queueing is idempotent, nothing is lost.
  if (openEditions.length > 0) {
    const queues = await services.queues()
    for (const editionId of openEditions) await enqueueEdition(queues, editionId)
  }
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
  return { posts: counts, build, announce, cadenceEditions, openEditions, resumed, paused }
}

/**
 * The daily and weekly slots that fall due at `now` and have not been handled, when posts were announced since the
 * last edition of that cadence (up to `seqAfterClaim`, this run's posts included).
 */
async function dueCadenceEditions(services: SiteServices, now: Date, startSeq: number, seqAfterClaim: number): Promise<EditionSlot[]> {
  const { config } = services.context
  const schedule = editionSchedule(config)
  const due: EditionSlot[] = []
  // Read once for both cadences, and only when a slot is due with new posts (once a day at most).
  let present: Promise<Set<'daily' | 'weekly'>> | undefined
  const someoneHas = async (cadence: 'daily' | 'weekly') => {
    present ??= services.subscribers.activeCadencesAmong(['daily', 'weekly']) as Promise<Set<'daily' | 'weekly'>>
    return (await present).has(cadence)
  }
  for (const cadence of ['daily', 'weekly'] as const) {
    const slot = dueSlot(cadence, now, schedule)
    const state = await services.editions.cadenceState(cadence)
    if (state?.slot === slot.slot) continue
    // Nothing new since the last one, or nobody to read it: the slot is recorded as handled all the same (whoever
    // switches to this cadence later gets what they have not had from their own place in the sequence).
    if (seqAfterClaim <= (state?.toSeq ?? startSeq) || !(await someoneHas(cadence))) {
      await services.editions.openCadenceEdition(cadence, slot.slot, startSeq, { withoutEdition: true })
      continue
    }
    due.push(slot)
  }
  return due
}
