import type { Redis } from 'ioredis'
import { keySpace, type KeySpace } from '../infra/keys.js'
import { runScript } from '../infra/scripts.js'

/** What the ledger says about one post: announced in an edition, or recorded at first activation. */
export type Announcement = { readonly editionId: string } | { readonly baseline: true }

/** A post offered to `claimEdition`: its feed id and the snapshot the edition will keep of it. */
export interface EditionCandidate {
  readonly feedId: string
  /** JSON the send jobs render from (see digest/snapshot.ts); stored as given. */
  readonly snapshot: string
}

/** The result of a successful claim. */
export interface ClaimedEdition {
  readonly editionId: string
  /** Feed ids of the posts in the edition, sorted (the order the id is computed from). */
  readonly feedIds: readonly string[]
}

const BASELINE = '=baseline'

// KEYS: 1 announced hash, 2 initialised flag. ARGV: now, feed ids… Marks the ids as baseline and the ledger as
// initialised, only if it is not initialised yet. Returns 1 when this call initialised it.
const INITIALISE = `
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
for index = 2, #ARGV do redis.call('HSETNX', KEYS[1], ARGV[index], '${BASELINE}') end
redis.call('SET', KEYS[2], ARGV[1])
return 1
`

// KEYS: 1 announced hash, 2 edition-key prefix ("<root>:edition:"), 3 editions zset, 4 open editions zset.
// ARGV: now (ms), then pairs of feed id and snapshot JSON. Keeps the candidates nobody announced yet, derives the
// edition id from their sorted ids, and in one step marks them announced and stores the edition. A concurrent
// run that offers overlapping posts gets only what is left, so no post is ever in two editions.
const CLAIM = `
local fresh, snapshots = {}, {}
for index = 2, #ARGV, 2 do
  local id = ARGV[index]
  if redis.call('HEXISTS', KEYS[1], id) == 0 and not snapshots[id] then
    table.insert(fresh, id)
    snapshots[id] = ARGV[index + 1]
  end
end
if #fresh == 0 then return false end
table.sort(fresh)
local editionId = string.sub(redis.sha1hex(table.concat(fresh, '\\n')), 1, 20)
local key = KEYS[2] .. editionId
for _, id in ipairs(fresh) do
  redis.call('HSET', KEYS[1], id, editionId)
  redis.call('HSET', key .. ':posts', id, snapshots[id])
end
redis.call('HSET', key, 'id', editionId, 'createdAt', ARGV[1], 'postCount', #fresh, 'status', 'open', 'fanout', 'pending',
  'expected', 0, 'sent', 0, 'failed', 0, 'skipped', 0, 'possibleDuplicates', 0, 'retried', 0)
redis.call('ZADD', KEYS[3], ARGV[1], editionId)
redis.call('ZADD', KEYS[4], ARGV[1], editionId)
local result = {editionId}
for _, id in ipairs(fresh) do table.insert(result, id) end
return result
`

/** Options for {@link PublishingLedger}. */
export interface PublishingLedgerOptions {
  readonly redis: Redis
  /** `HERALD_PREFIX`. */
  readonly prefix: string
  readonly now?: () => Date
}

/**
 * Which posts have been announced to subscribers, and in which edition. "New" means live and not in
 * here: not "newer than a watermark", so a backdated post added later is still new and an edited post
 * is not new again.
 */
export class PublishingLedger {
  private readonly redis: Redis
  private readonly keys: KeySpace
  private readonly now: () => Date

  constructor(options: PublishingLedgerOptions) {
    if (!options?.redis) throw new TypeError('PublishingLedger needs a Redis connection (options.redis)')
    this.redis = options.redis
    this.keys = keySpace(options.prefix)
    this.now = options.now ?? (() => new Date())
  }

  /** True once the first run has recorded the archive (see `initialise`). */
  async isInitialised(): Promise<boolean> {
    return (await this.redis.exists(this.keys.key('ledger', 'initialised'))) === 1
  }

  /**
   * First activation: records `feedIds` as already known without announcing them, so switching Herald
   * on does not mail the whole archive. Returns false when another run initialised the ledger first.
   */
  async initialise(feedIds: readonly string[]): Promise<boolean> {
    const result = await runScript(this.redis, INITIALISE, [this.announcedKey(), this.keys.key('ledger', 'initialised')], [this.now().toISOString(), ...feedIds])
    return result === 1
  }

  /** Records posts as known without announcing them (`herald run --record-only`). Returns how many were new. */
  async recordWithoutAnnouncing(feedIds: readonly string[]): Promise<number> {
    if (feedIds.length === 0) return 0
    const results = await Promise.all(feedIds.map((id) => this.redis.hsetnx(this.announcedKey(), id, BASELINE)))
    return results.filter((result) => result === 1).length
  }

  /** The announcements for the given feed ids (absent ids were never announced). */
  async lookup(feedIds: readonly string[]): Promise<Map<string, Announcement>> {
    const found = new Map<string, Announcement>()
    if (feedIds.length === 0) return found
    const values = await this.redis.hmget(this.announcedKey(), ...feedIds)
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
   * Atomically turns the not-yet-announced candidates into an edition (id = first 20 hex digits of the
   * SHA-1 of their sorted ids) and marks them announced. Null when every candidate was already announced.
   */
  async claimEdition(candidates: readonly EditionCandidate[]): Promise<ClaimedEdition | null> {
    if (candidates.length === 0) return null
    const args: string[] = [String(this.now().getTime())]
    for (const candidate of candidates) args.push(candidate.feedId, candidate.snapshot)
    const result = (await runScript(
      this.redis,
      CLAIM,
      [this.announcedKey(), this.keys.key('edition', ''), this.keys.key('editions'), this.keys.key('editions', 'open')],
      args,
    )) as string[] | null
    if (!result) return null
    const [editionId, ...feedIds] = result
    return { editionId: editionId!, feedIds }
  }

  private announcedKey(): string {
    return this.keys.key('ledger', 'announced')
  }
}
