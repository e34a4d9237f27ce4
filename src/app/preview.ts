import { postsForSubscriber, snapshotPost } from '../editions/snapshot.js'
import type { Post } from '../posts/types.js'
import { previewNewPosts } from '../publishing/announce.js'
import { livePosts } from '../publishing/live.js'
import type { SiteServices } from './services.js'
import { loadAndReport } from './site-posts.js'

/** The next digest as `herald run` would send it, changing nothing. */
export type DigestPreview =
  | { readonly kind: 'nothing'; readonly firstActivation: boolean }
  | {
      readonly kind: 'digest'
      readonly subject: string
      readonly posts: readonly Post[]
      readonly recipients: number
      readonly html: string
    }

/** Renders the next digest for a made-up recipient and counts who would get it. Sends nothing, records nothing. */
export async function previewNextDigest(services: SiteServices, options: { now: Date; announceLatest: number }): Promise<DigestPreview> {
  const { collection } = await loadAndReport(services.context, options.now)
  const next = await previewNewPosts({
    ledger: services.announcements,
    live: livePosts(collection.posts, options.now),
    announceLatest: options.announceLatest,
  })
  if (next.posts.length === 0) return { kind: 'nothing', firstActivation: next.firstActivation }
  const snapshots = next.posts.map(snapshotPost)
  let recipients = 0
  for await (const batch of services.subscribers.streamActive({ batchSize: 1000 })) {
    recipients += batch.filter((subscriber) => postsForSubscriber(snapshots, subscriber.tags).length > 0).length
  }
  const composer = await services.composer()
  const digest = await composer.compile(snapshots)
  const message = composer.personalise(digest, { subscriberId: '0'.repeat(32), email: 'preview@example.invalid' }, 'preview')
  return { kind: 'digest', subject: digest.subject, posts: next.posts, recipients, html: message.html }
}
