import type { AnnouncementLedger, ClaimedEdition } from '../editions/announcements.js'
import { snapshotPost } from '../editions/snapshot.js'
import type { Post } from '../posts/types.js'

/** What `announceNewPosts` decided. */
export interface AnnounceResult {
  /** This run found the ledger empty and recorded the archive. */
  readonly firstActivation: boolean
  /** Posts recorded as known without being mailed (first activation only). */
  readonly baselined: number
  /** The edition this run created, or null when nothing was new (or another run claimed it first). */
  readonly edition: ClaimedEdition | null
  /** New posts recorded without mailing (`recordOnly`). */
  readonly recorded: number
  /** Set when more posts were new than `maxPosts` allows: nothing was claimed or recorded. */
  readonly refused: { readonly count: number; readonly limit: number } | null
}

/** Options for {@link announceNewPosts}. */
export interface AnnounceOptions {
  readonly ledger: AnnouncementLedger
  /** Posts live now (see publishing/live.ts). */
  readonly live: readonly Post[]
  /** On first activation, mail the newest N live posts instead of none. Ignored once the ledger is initialised. */
  readonly announceLatest?: number
  /** Refuse (claim nothing) when more posts than this are new at once; 0 or absent: no limit. */
  readonly maxPosts?: number
  /** Record the new posts as announced without making an edition (after a site move changed post ids). */
  readonly recordOnly?: boolean
}

/** Newest first, ties by file: the order "the newest N" is taken in. */
const newestFirst = (a: Post, b: Post) => b.date.ms - a.date.ms || (a.file < b.file ? -1 : 1)

/**
 * Finds the live posts no subscriber has been told about and claims them as one edition. On first activation
 * (empty ledger) the archive is recorded without mailing it, except the newest `announceLatest` posts.
 */
export async function announceNewPosts(options: AnnounceOptions): Promise<AnnounceResult> {
  const { ledger } = options
  let firstActivation = false
  let baselined = 0
  if (!(await ledger.isInitialised())) {
    const announceNow = new Set([...options.live].sort(newestFirst).slice(0, Math.max(0, options.announceLatest ?? 0)))
    const baseline = options.live.filter((post) => !announceNow.has(post)).map((post) => post.feedId)
    firstActivation = await ledger.initialise(baseline)
    if (firstActivation) baselined = baseline.length
  }
  const fresh = new Set(await ledger.unannounced(options.live.map((post) => post.feedId)))
  const candidates = options.live.filter((post) => fresh.has(post.feedId))
  if (options.recordOnly) {
    const recorded = await ledger.recordWithoutAnnouncing(candidates.map((post) => post.feedId))
    return { firstActivation, baselined, edition: null, recorded, refused: null }
  }
  if (options.maxPosts && candidates.length > options.maxPosts) {
    return { firstActivation, baselined, edition: null, recorded: 0, refused: { count: candidates.length, limit: options.maxPosts } }
  }
  const edition = await ledger.claimEdition(
    candidates.map((post) => ({ feedId: post.feedId, snapshot: JSON.stringify(snapshotPost(post)) })),
  )
  return { firstActivation, baselined, edition, recorded: 0, refused: null }
}

/** The posts the next run would put in an edition, without changing anything (for `herald preview`). */
export async function previewNewPosts(options: AnnounceOptions): Promise<{ firstActivation: boolean; posts: Post[] }> {
  if (!(await options.ledger.isInitialised())) {
    return { firstActivation: true, posts: [...options.live].sort(newestFirst).slice(0, Math.max(0, options.announceLatest ?? 0)) }
  }
  const fresh = new Set(await options.ledger.unannounced(options.live.map((post) => post.feedId)))
  return { firstActivation: false, posts: options.live.filter((post) => fresh.has(post.feedId)).sort(newestFirst) }
}
