import type { Redis } from 'ioredis'
import { type SiteKeys, siteKeys } from '../infra/keys.js'
import { loadLuaScript, reply, runLua } from '../infra/scripts.js'

/** What the ledger says about one post: announced in an edition, or recorded at first activation. */
export type Announcement = { readonly editionId: string } | { readonly baseline: true }

/** A post offered to `claimEdition`: its feed id and the snapshot the edition will keep of it. */
export interface EditionCandidate {
  readonly feedId: string
  /** JSON the send jobs render from (see editions/snapshot.ts); stored as given. */
  readonly snapshot: string
}

/** The result of a successful claim. */
export interface ClaimedEdition {
  readonly editionId: string
  /** Feed ids of the posts in the edition, sorted (the order the id is computed from). */
  readonly feedIds: readonly string[]
}

/** The value recorded for posts known without being announced (first activation, `--record-only`). */
const BASELINE = '=baseline'

const INITIALISE = loadLuaScript(new URL('./lua/initialise-ledger.lua', import.meta.url), reply.integer)
const CLAIM = loadLuaScript(
  new URL('./lua/claim-edition.lua', import.meta.url),
  reply.nullable((value): ClaimedEdition => {
    const [editionId, ...feedIds] = reply.strings(value)
    if (!editionId) throw new TypeError('claim-edition: expected an edition id')
    return { editionId, feedIds }
  }),
)

/** Options for {@link AnnouncementLedger}. */
export interface AnnouncementLedgerOptions {
  readonly redis: Redis
  /** `HERALD_PREFIX`. */
  readonly prefix: string
  readonly now?: () => Date
}

/**
 * Which posts have been announced to subscribers, and in which edition: the editions' index by post. "New" means
 * live and not in here, not "newer than a watermark", so a backdated post added later is still new and an edited
 * post is not new again. Editions are created here (`claimEdition`), in the same step that marks their posts.
 */
export class AnnouncementLedger {
  private readonly redis: Redis
  private readonly keys: SiteKeys
  private readonly now: () => Date

  constructor(options: AnnouncementLedgerOptions) {
    if (!options?.redis) throw new TypeError('AnnouncementLedger needs a Redis connection (options.redis)')
    this.redis = options.redis
    this.keys = siteKeys(options.prefix)
    this.now = options.now ?? (() => new Date())
  }

  /** True once the first run has recorded the archive (see `initialise`). */
  async isInitialised(): Promise<boolean> {
    return (await this.redis.exists(this.keys.ledgerInitialised())) === 1
  }

  /**
   * First activation: records `feedIds` as already known without announcing them, so switching Herald
   * on does not mail the whole archive. Returns false when another run initialised the ledger first.
   */
  async initialise(feedIds: readonly string[]): Promise<boolean> {
    const keys = [this.keys.announcedPosts(), this.keys.ledgerInitialised()]
    return (await runLua(this.redis, INITIALISE, keys, [this.now().toISOString(), ...feedIds])) === 1
  }

  /** The sequence number of the last announced post (0 before any). */
  async sequence(): Promise<number> {
    return Number((await this.redis.get(this.keys.announceSequence())) ?? 0)
  }

  /** Records posts as known without announcing them (`herald run --record-only`). Returns how many were new. */
  async recordWithoutAnnouncing(feedIds: readonly string[]): Promise<number> {
    if (feedIds.length === 0) return 0
    const pipeline = this.redis.pipeline()
    for (const id of feedIds) pipeline.hsetnx(this.keys.announcedPosts(), id, BASELINE)
    const replies = (await pipeline.exec()) ?? []
    let added = 0
    for (const [error, result] of replies) {
      if (error) throw error
      if (result === 1) added++
    }
    return added
  }

  /** The announcements for the given feed ids (absent ids were never announced). */
  async lookup(feedIds: readonly string[]): Promise<Map<string, Announcement>> {
    const found = new Map<string, Announcement>()
    if (feedIds.length === 0) return found
    const values = await this.redis.hmget(this.keys.announcedPosts(), ...feedIds)
    feedIds.forEach((id, index) => {
      const value = values[index]
      if (value) found.set(id, value === BASELINE ? { baseline: true } : { editionId: value })
    })
    return found
  }

  /** Which of `feedIds` were never announced (nor recorded at first activation). */
  async unannounced(feedIds: readonly string[]): Promise<string[]> {
    const known = await this.lookup(feedIds)
    return feedIds.filter((id) => !known.has(id))
  }

  /**
   * Atomically turns the not-yet-announced candidates into an instant edition (id = first 20 hex digits of the
   * SHA-1 of their sorted ids), numbers them in the announcement sequence and marks them announced. Null when every
   * candidate was already announced.
   */
  async claimEdition(candidates: readonly EditionCandidate[]): Promise<ClaimedEdition | null> {
    if (candidates.length === 0) return null
    const args: string[] = [String(this.now().getTime())]
    for (const candidate of candidates) args.push(candidate.feedId, candidate.snapshot)
    const keys = [
      this.keys.announcedPosts(),
      this.keys.editionKeyPrefix(),
      this.keys.editions(),
      this.keys.openEditions(),
      this.keys.announceSequence(),
      this.keys.announcedSnapshots(),
      this.keys.announcedBySequence(),
    ]
    return runLua(this.redis, CLAIM, keys, args)
  }
}
