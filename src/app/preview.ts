import { coverageOf } from '../editions/coverage.js'
import { editionSchedule, nextSlot } from '../editions/schedule.js'
import { type PostSnapshot, postsForSubscriber, snapshotPost } from '../editions/snapshot.js'
import { previewNewPosts } from '../publishing/announce.js'
import { livePosts } from '../publishing/live.js'
import type { Cadence } from '../subscribers/store.js'
import type { SiteServices } from './services.js'
import { loadAndReport } from './site-posts.js'

/** The next digest of a cadence as it would go out, changing nothing. */
export type DigestPreview =
  | { readonly kind: 'nothing'; readonly firstActivation: boolean; readonly cadence: Cadence; readonly dueAt: Date | null }
  | {
      readonly kind: 'digest'
      readonly cadence: Cadence
      /** When a daily or weekly one is due (null for instant: the next run). */
      readonly dueAt: Date | null
      readonly subject: string
      readonly posts: readonly PostSnapshot[]
      readonly recipients: number
      readonly html: string
    }

/**
 * Renders the next digest of a cadence for a made-up recipient and counts who would get it: for `instant`, the posts
 * the next run would announce; for `daily` and `weekly`, those announced since the last edition of that cadence plus
 * those the next run would announce. Sends nothing, records nothing.
 */
export async function previewNextDigest(
  services: SiteServices,
  options: { now: Date; announceLatest: number; cadence?: Cadence },
): Promise<DigestPreview> {
  const cadence = options.cadence ?? 'instant'
  const { config } = services.context
  const { collection } = await loadAndReport(services.context, options.now)
  const next = await previewNewPosts({
    ledger: services.announcements,
    live: livePosts(collection.posts, options.now),
    announceLatest: options.announceLatest,
  })
  const fresh = next.posts.map(snapshotPost)
  const sequence = await services.announcements.sequence()
  const slot = cadence === 'instant' ? null : nextSlot(cadence, options.now, editionSchedule(config))
  const since = cadence === 'instant' ? sequence : ((await services.editions.cadenceState(cadence))?.toSeq ?? sequence)
  const announced = (await services.editions.announcedBetween(since, sequence)).map((post) => post.snapshot)
  const posts = [...announced, ...fresh]
  if (posts.length === 0) return { kind: 'nothing', firstActivation: next.firstActivation, cadence, dueAt: slot?.at ?? null }

  // Who would get it: subscribers of this cadence with a matching post they have not had (as the send job decides).
  const upTo = sequence + fresh.length
  const edition = { id: 'preview', cadence, toSeq: upTo }
  const ranges = new Map<number, PostSnapshot[]>()
  let recipients = 0
  for await (const batch of services.subscribers.streamActive({ batchSize: 1000 })) {
    for (const subscriber of batch) {
      const coverage = coverageOf(edition, { ...subscriber, sendingIn: null })
      if (coverage.kind !== 'range') continue
      let range = ranges.get(coverage.afterSeq)
      if (!range) {
        range = [...(await services.editions.announcedBetween(coverage.afterSeq, sequence)).map((post) => post.snapshot), ...fresh]
        ranges.set(coverage.afterSeq, range)
      }
      if (postsForSubscriber(range, subscriber.tags).length > 0) recipients++
    }
  }
  const composer = await services.composer()
  const digest = await composer.compile(posts, { id: 'preview', cadence, slot: slot?.slot ?? null })
  const message = composer.personalise(digest, { subscriberId: '0'.repeat(32), email: 'preview@example.invalid' }, 'preview')
  return { kind: 'digest', cadence, dueAt: slot?.at ?? null, subject: digest.subject, posts, recipients, html: message.html }
}
