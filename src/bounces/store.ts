import type { Redis } from 'ioredis'
import { type SiteKeys, siteKeys } from '../infra/keys.js'
import { loadLuaScript, reply, runLua } from '../infra/scripts.js'
import { parseEvents, type SubscriberEvent } from '../subscribers/history.js'

/** A bounce held for review, or applied while its domain's tally was below the threshold. */
export interface HeldBounce {
  readonly subscriberId: string
  /** The address the edition went to. */
  readonly email: string
  readonly event: SubscriberEvent
}

/** The held bounces of one edition from one receiving domain. */
export interface HeldGroup {
  readonly editionId: string
  readonly domain: string
  readonly bounces: readonly HeldBounce[]
}

/** What {@link BounceStore.tally} decided: apply the bounce, hold it, or hold it and the ones applied before it. */
export type FloodDecision = 'apply' | 'hold' | 'flood'

/** Options for {@link BounceStore}. */
export interface BounceStoreOptions {
  readonly redis: Redis
  readonly prefix: string
}

const TALLY = loadLuaScript(new URL('./lua/tally-bounce.lua', import.meta.url), reply.oneOf<FloodDecision>('apply', 'hold', 'flood'))
/** Field of the per-edition domain counts that marks them computed (an edition sent to nobody has no other field). */
const COMPUTED = '.'

/**
 * What Herald keeps about returned mail beside the subscribers' own histories: per edition, recipients and counted
 * bounces by receiving domain and the domains that flooded; the held groups waiting for `herald bounces review`; the
 * messages and webhook events already handled (so a replay changes nothing); site-wide counts for `/metrics`.
 */
export class BounceStore {
  private readonly redis: Redis
  private readonly keys: SiteKeys

  constructor(options: BounceStoreOptions) {
    if (!options?.redis) throw new TypeError('BounceStore needs a Redis connection (options.redis)')
    if (!options.prefix) throw new TypeError('BounceStore needs a key prefix (options.prefix)')
    this.redis = options.redis
    this.keys = siteKeys(options.prefix)
  }

  /** Records that a message or event `id` is being handled; false when it was already (a replay or a duplicate). */
  async claim(id: string, ttlSeconds: number): Promise<boolean> {
    return (await this.redis.set(this.keys.bounceSeen(id), '1', 'EX', ttlSeconds, 'NX')) === 'OK'
  }

  /** Forgets a claim whose handling failed, so a retry is handled. */
  async forget(id: string): Promise<void> {
    await this.redis.del(this.keys.bounceSeen(id))
  }

  /** Recipients of an edition by receiving domain, when computed before; null otherwise. */
  async domainRecipients(editionId: string): Promise<Record<string, number> | null> {
    const fields = await this.redis.hgetall(this.keys.editionDomains(editionId))
    if (fields[COMPUTED] === undefined) return null
    const counts: Record<string, number> = {}
    for (const [domain, count] of Object.entries(fields)) if (domain !== COMPUTED) counts[domain] = Number(count)
    return counts
  }

  /** Keeps an edition's recipients by domain; `ttlSeconds` while it is still sending (the counts still grow). */
  async saveDomainRecipients(editionId: string, counts: Readonly<Record<string, number>>, ttlSeconds: number | null): Promise<void> {
    const key = this.keys.editionDomains(editionId)
    const transaction = this.redis
      .multi()
      .del(key)
      .hset(key, { ...counts, [COMPUTED]: '1' })
    if (ttlSeconds !== null) transaction.expire(key, ttlSeconds)
    await transaction.exec()
  }

  /** Counts a bounce towards its domain's tally for the edition and decides whether it is applied or held. */
  tally(input: {
    readonly editionId: string
    readonly domain: string
    readonly recipients: number
    readonly share: number
    readonly minimum: number
    readonly bounce: HeldBounce
  }): Promise<FloodDecision> {
    const { editionId, domain } = input
    return runLua(
      this.redis,
      TALLY,
      [
        this.keys.editionBounceTally(editionId),
        this.keys.editionBounced(editionId),
        this.keys.editionFlooded(editionId),
        this.keys.editionBouncesApplied(editionId, domain),
      ],
      [input.bounce.subscriberId, domain, input.recipients, input.share, input.minimum, JSON.stringify(input.bounce)],
    )
  }

  /** The bounces of an edition from a domain that were applied before it flooded. */
  async applied(editionId: string, domain: string): Promise<HeldBounce[]> {
    return parseHeld(await this.redis.lrange(this.keys.editionBouncesApplied(editionId, domain), 0, -1))
  }

  /** Whether an edition's bounces from a domain passed the threshold. */
  async isFlooded(editionId: string, domain: string): Promise<boolean> {
    return (await this.redis.sismember(this.keys.editionFlooded(editionId), domain)) === 1
  }

  /** An edition's counted bounces by domain. */
  async tallies(editionId: string): Promise<Record<string, number>> {
    const fields = await this.redis.hgetall(this.keys.editionBounceTally(editionId))
    return Object.fromEntries(Object.entries(fields).map(([domain, count]) => [domain, Number(count)]))
  }

  /** Holds a bounce for review (idempotent: one entry per event). */
  async hold(editionId: string, domain: string, bounce: HeldBounce): Promise<void> {
    await this.redis
      .multi()
      .hset(this.keys.heldBounces(editionId, domain), bounce.event.id, JSON.stringify(bounce))
      .sadd(this.keys.heldBounceGroups(), `${editionId} ${domain}`)
      .exec()
  }

  /** Every group of held bounces, oldest edition id first. */
  async heldGroups(): Promise<HeldGroup[]> {
    const members = (await this.redis.smembers(this.keys.heldBounceGroups())).sort()
    const groups: HeldGroup[] = []
    for (const member of members) {
      const [editionId = '', domain = ''] = member.split(' ')
      const bounces = parseHeld(await this.redis.hvals(this.keys.heldBounces(editionId, domain)))
      bounces.sort((a, b) => a.event.at.localeCompare(b.event.at))
      groups.push({ editionId, domain, bounces })
    }
    return groups
  }

  /** Removes reviewed bounces from a group; the group goes when it is empty. */
  async release(editionId: string, domain: string, eventIds: readonly string[]): Promise<void> {
    const key = this.keys.heldBounces(editionId, domain)
    if (eventIds.length > 0) await this.redis.hdel(key, ...eventIds)
    if ((await this.redis.hlen(key)) === 0) await this.redis.srem(this.keys.heldBounceGroups(), `${editionId} ${domain}`)
  }

  /** Adds to the site-wide counts (`kind:<kind>:<source>`, `outcome:<outcome>`). */
  async count(fields: readonly string[]): Promise<void> {
    if (fields.length === 0) return
    const transaction = this.redis.multi()
    for (const field of fields) transaction.hincrby(this.keys.bounceTotals(), field, 1)
    await transaction.exec()
  }

  /** The site-wide counts. */
  async totals(): Promise<Record<string, number>> {
    const fields = await this.redis.hgetall(this.keys.bounceTotals())
    return Object.fromEntries(Object.entries(fields).map(([field, count]) => [field, Number(count)]))
  }
}

function parseHeld(values: readonly string[]): HeldBounce[] {
  const held: HeldBounce[] = []
  for (const value of values) {
    let parsed: { subscriberId?: unknown; email?: unknown; event?: unknown }
    try {
      parsed = JSON.parse(value) as typeof parsed
    } catch {
      continue
    }
    const [event] = parseEvents([parsed.event])
    if (event && typeof parsed.subscriberId === 'string' && typeof parsed.email === 'string') {
      held.push({ subscriberId: parsed.subscriberId, email: parsed.email, event })
    }
  }
  return held
}
