import type { Redis } from 'ioredis'
import { HeraldError } from '../errors.js'
import { type SiteKeys, siteKeys } from '../infra/keys.js'
import { loadLuaScript, reply, runLua } from '../infra/scripts.js'
import { isSubscriberId, normaliseEmail } from '../mail/address.js'
import { normaliseTags } from './tags.js'

/** Every status, in lifecycle order: pending → active → unsubscribed or bounced. */
export const SUBSCRIBER_STATUSES = ['pending', 'active', 'unsubscribed', 'bounced'] as const
/** Where a subscriber is in its lifecycle. */
export type SubscriberStatus = (typeof SUBSCRIBER_STATUSES)[number]
/** How consent was given. */
export type ConsentSource = 'form' | 'import' | 'cli'
/** Why a subscriber left: they asked (`request`: the link, one click, an operator) or marked a digest as spam (`complaint`). */
export const UNSUBSCRIBE_REASONS = ['request', 'complaint'] as const
export type UnsubscribeReason = (typeof UNSUBSCRIBE_REASONS)[number]
/** How often a subscriber hears from the blog: an email from each run with new posts, or a daily or weekly digest. */
export const CADENCES = ['instant', 'daily', 'weekly'] as const
/** When digests go out for one subscriber. */
export type Cadence = (typeof CADENCES)[number]

/** Proof of consent, kept for anti-spam law (and exported with the subscriber). */
export interface Consent {
  readonly source: ConsentSource
  /** ISO 8601 time consent was given. */
  readonly at: string
  /** Client IP of the subscribe request (form only). */
  readonly ip: string | null
  /** User agent of the subscribe request (form only), at most 512 characters. */
  readonly userAgent: string | null
}

/** One email subscriber. Times are ISO 8601 strings (UTC). */
export interface Subscriber {
  /** Stable id derived from the address ({@link subscriberIdFor}); safe in job ids and URLs. */
  readonly id: string
  readonly email: string
  readonly status: SubscriberStatus
  /** Only posts with one of these tags; empty = every post. */
  readonly tags: readonly string[]
  readonly cadence: Cadence
  /**
   * Announcement sequence number up to which this subscriber has had every post meant for them (sent, or skipped as
   * not matching their tags). Set to the current one when they become active; advanced with each send's record.
   */
  readonly seenSeq: number
  /** Edition whose send to this subscriber is in flight or in doubt (other editions wait for it), or null. */
  readonly sendingIn: string | null
  readonly createdAt: string
  readonly confirmedAt: string | null
  readonly unsubscribedAt: string | null
  /** Why they unsubscribed (null when they never did, or before Herald recorded reasons). */
  readonly unsubscribeReason: UnsubscribeReason | null
  readonly bouncedAt: string | null
  /** The server's reply for the hard bounce (kept after a reactivation, as history). */
  readonly bounceReason: string | null
  /** When an operator undid a bounce (`herald subscribers reactivate`), and who. */
  readonly reactivatedAt: string | null
  readonly reactivatedBy: string | null
  readonly consent: Consent
}

/**
 * What `subscribe` did: `created` new; `activated` pending → active; `pending` still pending (tags/consent refreshed);
 * `active` left alone; `resubscribed` unsubscribed/bounced → pending or active.
 */
export type SubscribeOutcome = 'created' | 'activated' | 'pending' | 'active' | 'resubscribed'

/**
 * Result of a status change: `changed`, `unchanged` (already in that status), `refused` (not allowed from `previous`),
 * `missing` (no such subscriber).
 */
export interface TransitionResult {
  readonly outcome: 'changed' | 'unchanged' | 'refused' | 'missing'
  readonly previous: SubscriberStatus | null
}

/** What importing one record did. `refused`: the record asked to move the subscriber back (e.g. unsubscribed → active). */
export type ImportOutcome = 'created' | 'updated' | 'unchanged' | 'refused'

/** A subscriber as an import file or an export describes it. Missing times default to now; missing consent to `import`. */
export interface SubscriberRecord {
  email: string
  status?: SubscriberStatus
  /** Undefined: keep an existing subscriber's cadence (and use the default for a new one). */
  cadence?: Cadence
  /** Undefined: keep an existing subscriber's tags (and use none for a new one). */
  tags?: readonly string[]
  createdAt?: string | null
  confirmedAt?: string | null
  unsubscribedAt?: string | null
  unsubscribeReason?: UnsubscribeReason | null
  bouncedAt?: string | null
  bounceReason?: string | null
  reactivatedAt?: string | null
  reactivatedBy?: string | null
  consent?: Partial<Consent> | null
}

/** Options for {@link SubscriberStore}. */
export interface SubscriberStoreOptions {
  /** An open connection; the store never creates or closes one. */
  readonly redis: Redis
  /** `HERALD_PREFIX`; keys live under `siteKeys(prefix)`. */
  readonly prefix: string
  /** Clock. Default: the real one. */
  readonly now?: () => Date
  /** Cadence of new subscribers that do not choose one (`email.default_cadence`). Default `instant`. */
  readonly defaultCadence?: Cadence
}

const SUBSCRIBE = loadLuaScript(
  new URL('./lua/subscribe.lua', import.meta.url),
  reply.oneOf<SubscribeOutcome>('created', 'activated', 'pending', 'active', 'resubscribed'),
)
const TRANSITION = loadLuaScript(new URL('./lua/transition.lua', import.meta.url), (value): TransitionResult => {
  const [outcome, previous] = reply.strings(value)
  return {
    outcome: reply.oneOf<TransitionResult['outcome']>('changed', 'unchanged', 'refused', 'missing')(outcome),
    previous: previous ? reply.oneOf(...SUBSCRIBER_STATUSES)(previous) : null,
  }
})
const REMOVE = loadLuaScript(new URL('./lua/remove-subscriber.lua', import.meta.url), reply.integer)
const IMPORT = loadLuaScript(
  new URL('./lua/import-subscriber.lua', import.meta.url),
  reply.oneOf<ImportOutcome>('created', 'updated', 'unchanged', 'refused'),
)
const SET_TAGS = loadLuaScript(new URL('./lua/set-tags.lua', import.meta.url), reply.integer)
const SET_FIELDS = loadLuaScript(new URL('./lua/set-fields.lua', import.meta.url), reply.integer)
const UNDO_BOUNCE = loadLuaScript(new URL('./lua/undo-bounce.lua', import.meta.url), reply.integer)

/** Default page size for {@link SubscriberStore.stream}. */
export const DEFAULT_BATCH_SIZE = 500
const MAX_REASON = 1000
const MAX_USER_AGENT = 512

/**
 * Email subscribers in Redis.
 *
 * Keys (under the site's hash tag): `subscriber:<id>` a hash per subscriber; `subscribers:<status>` one
 * sorted set of ids per status, every score 0, so `ZCARD` counts in O(1) and `ZRANGEBYLEX` pages by id
 * with an exact cursor (the last id seen): no duplicates and no misses for subscribers that stay in the
 * status while a million are streamed. There is no separate email index: the id is a hash of the
 * address, so the address *is* the index. Every status change is one Lua script (atomic).
 */
export class SubscriberStore {
  private readonly redis: Redis
  private readonly keys: SiteKeys
  private readonly now: () => Date
  private readonly defaultCadence: Cadence

  constructor(options: SubscriberStoreOptions) {
    if (!options?.redis) throw new TypeError('SubscriberStore needs a Redis connection (options.redis)')
    if (!options.prefix) throw new TypeError('SubscriberStore needs a key prefix (options.prefix)')
    this.redis = options.redis
    this.keys = siteKeys(options.prefix)
    this.now = options.now ?? (() => new Date())
    this.defaultCadence = options.defaultCadence ?? 'instant'
  }

  /**
   * Adds a subscriber as `pending` (double opt-in) or, with `confirmed`, as `active`. An existing pending
   * subscriber gets the new tags and consent; an unsubscribed or bounced one starts over with new
   * consent; an active one is left exactly as it is.
   */
  async subscribe(input: {
    email: string
    tags?: readonly string[]
    /** Default: the store's default cadence (`email.default_cadence`). */
    cadence?: Cadence
    confirmed?: boolean
    consent: { source: ConsentSource; ip?: string | null; userAgent?: string | null }
  }): Promise<{ subscriber: Subscriber; outcome: SubscribeOutcome }> {
    const address = normaliseEmail(input.email)
    const tags = normaliseTags(input.tags ?? [])
    const outcome = await runLua(this.redis, SUBSCRIBE, this.scriptKeys(address.id), [
      address.id,
      address.email,
      input.confirmed ? 'active' : 'pending',
      JSON.stringify(tags),
      this.timestamp(),
      input.consent.source,
      clean(input.consent.ip ?? '', 100),
      clean(input.consent.userAgent ?? '', MAX_USER_AGENT),
      checkCadence(input.cadence ?? this.defaultCadence),
    ])
    const subscriber = await this.get(address.id)
    if (!subscriber) throw new HeraldError('SUBSCRIBER_NOT_FOUND', `${address.email} was removed while being subscribed`)
    return { subscriber, outcome }
  }

  /** pending → active (double opt-in completed). */
  confirm(id: string): Promise<TransitionResult> {
    return this.transition(id, ['pending'], 'active', { confirmedAt: this.timestamp() })
  }

  /**
   * pending, active or bounced → unsubscribed, noting why (default `request`). Unsubscribing twice is `unchanged`, not an
   * error, and keeps the first reason.
   */
  unsubscribe(id: string, reason: UnsubscribeReason = 'request'): Promise<TransitionResult> {
    return this.transition(id, ['pending', 'active', 'bounced'], 'unsubscribed', {
      unsubscribedAt: this.timestamp(),
      unsubscribeReason: checkReason(reason),
    })
  }

  /**
   * pending or active → bounced, keeping the server's reply and, for a bounce learned from returned mail, the event that
   * caused it (so {@link undoBounce} can take back exactly that one). An unsubscribed subscriber stays unsubscribed
   * (`refused`).
   */
  markBounced(id: string, reason: string, eventId?: string): Promise<TransitionResult> {
    return this.transition(id, ['pending', 'active'], 'bounced', {
      bouncedAt: this.timestamp(),
      bounceReason: clean(reason, MAX_REASON),
      bounceEvent: eventId ?? '',
    })
  }

  /**
   * bounced → active when the bounce came from the event `eventId` and nothing changed since (its receiving domain had an
   * outage: the bounce is held for review instead). True when undone.
   */
  async undoBounce(id: string, eventId: string): Promise<boolean> {
    if (!isSubscriberId(id) || !eventId) return false
    return (await runLua(this.redis, UNDO_BOUNCE, this.scriptKeys(id), [id, eventId])) === 1
  }

  /**
   * Records that a confirmation email goes out now, unless one went out less than `seconds` ago (then false).
   * `force` records it whatever the last one was (a new or returning address always gets its email).
   */
  async claimConfirmationSlot(id: string, seconds: number, force = false): Promise<boolean> {
    const key = this.keys.confirmationSent(id)
    if (force) {
      await this.redis.set(key, '1', 'EX', seconds)
      return true
    }
    return (await this.redis.set(key, '1', 'EX', seconds, 'NX')) === 'OK'
  }

  /**
   * bounced → active, for a bounce that was a mistake (a misconfigured mail server, not a dead address). The original
   * consent record is kept; who reactivated and when is noted, and the bounce stays as history.
   */
  reactivate(id: string, by: string): Promise<TransitionResult> {
    return this.transition(id, ['bounced'], 'active', { reactivatedAt: this.timestamp(), reactivatedBy: clean(by, 200) })
  }

  /** Deletes a subscriber entirely, history included (not the same as unsubscribing: nothing is kept). True when it existed. */
  async remove(id: string): Promise<boolean> {
    return (await runLua(this.redis, REMOVE, [...this.scriptKeys(id), this.keys.subscriberEvents(id)], [id])) === 1
  }

  /**
   * Changes what an existing subscriber receives: the tag filter and/or the cadence (the preferences page, an operator).
   * False when there is no such subscriber.
   */
  async setPreferences(id: string, preferences: { tags?: readonly string[]; cadence?: Cadence }): Promise<boolean> {
    if (!isSubscriberId(id)) return false
    const fields: string[] = []
    if (preferences.tags !== undefined) fields.push('tags', JSON.stringify(normaliseTags(preferences.tags)))
    if (preferences.cadence !== undefined) fields.push('cadence', checkCadence(preferences.cadence))
    if (fields.length === 0) return (await this.redis.exists(this.subscriberKey(id))) === 1
    return (await runLua(this.redis, SET_FIELDS, [this.subscriberKey(id)], fields)) === 1
  }

  /** Replaces a subscriber's tag filter (operator command; the public form cannot do this). */
  async setTags(id: string, tags: readonly string[]): Promise<boolean> {
    const normalised = normaliseTags(tags)
    return (await runLua(this.redis, SET_TAGS, [this.subscriberKey(id)], [JSON.stringify(normalised)])) === 1
  }

  /** One subscriber by id, or null. */
  async get(id: string): Promise<Subscriber | null> {
    if (!isSubscriberId(id)) return null
    return toSubscriber(id, await this.redis.hgetall(this.subscriberKey(id)))
  }

  /** One subscriber by address (any case), or null. Throws `SUBSCRIBER_INVALID` for something that is not an address. */
  getByEmail(email: string): Promise<Subscriber | null> {
    return this.get(normaliseEmail(email).id)
  }

  /** Several subscribers in one round trip; missing ones are left out. */
  async getMany(ids: readonly string[]): Promise<Subscriber[]> {
    if (ids.length === 0) return []
    const pipeline = this.redis.pipeline()
    for (const id of ids) pipeline.hgetall(this.subscriberKey(id))
    const replies = (await pipeline.exec()) ?? []
    const subscribers: Subscriber[] = []
    replies.forEach(([error, hash], index) => {
      if (error) throw error
      const subscriber = toSubscriber(ids[index]!, hash as Record<string, string>)
      if (subscriber) subscribers.push(subscriber)
    })
    return subscribers
  }

  /** Number of subscribers in each status (O(1) each) and in total. */
  async counts(): Promise<Record<SubscriberStatus, number> & { total: number }> {
    const pipeline = this.redis.pipeline()
    for (const status of SUBSCRIBER_STATUSES) pipeline.zcard(this.statusKey(status))
    const replies = (await pipeline.exec()) ?? []
    const counts = { pending: 0, active: 0, unsubscribed: 0, bounced: 0, total: 0 }
    SUBSCRIBER_STATUSES.forEach((status, index) => {
      const [error, count] = replies[index] ?? [null, 0]
      if (error) throw error
      counts[status] = Number(count)
      counts.total += Number(count)
    })
    return counts
  }

  /**
   * One page of subscribers in a status, ordered by id. Pass the returned `next` as `after` for the
   * following page; `next` is null after the last page.
   */
  async page(options: {
    status: SubscriberStatus
    after?: string | null
    limit?: number
  }): Promise<{ subscribers: Subscriber[]; next: string | null }> {
    const limit = Math.max(1, Math.min(options.limit ?? DEFAULT_BATCH_SIZE, 10_000))
    const start = options.after ? `(${options.after}` : '-'
    const ids = await this.redis.zrangebylex(this.statusKey(options.status), start, '+', 'LIMIT', 0, limit)
    const subscribers = await this.getMany(ids)
    // A subscriber can change status between the two reads; only yield those still in this one.
    return {
      subscribers: subscribers.filter((subscriber) => subscriber.status === options.status),
      next: ids.length === limit ? ids[ids.length - 1]! : null,
    }
  }

  /** Active subscribers per cadence (reads every active subscriber's cadence: for `herald status`, not for hot paths). */
  async activeByCadence(): Promise<Record<Cadence, number>> {
    const counts: Record<Cadence, number> = { instant: 0, daily: 0, weekly: 0 }
    await this.scanActiveCadences((cadence) => {
      counts[cadence]++
      return false
    })
    return counts
  }

  /**
   * Which of these cadences some active subscriber has: pages through the active ids reading only their cadence, and
   * stops once every one asked about was seen. Daily and weekly editions are only made when someone will read them.
   */
  async activeCadencesAmong(wanted: readonly Cadence[]): Promise<Set<Cadence>> {
    const found = new Set<Cadence>()
    await this.scanActiveCadences((cadence) => {
      if (wanted.includes(cadence)) found.add(cadence)
      return found.size === wanted.length
    })
    return found
  }

  /** Calls `visit` with each active subscriber's cadence until it returns true; returns whether it did. */
  private async scanActiveCadences(visit: (cadence: Cadence) => boolean): Promise<boolean> {
    let start = '-'
    for (;;) {
      const ids = await this.redis.zrangebylex(this.statusKey('active'), start, '+', 'LIMIT', 0, 2000)
      if (ids.length === 0) return false
      const pipeline = this.redis.pipeline()
      for (const id of ids) pipeline.hget(this.subscriberKey(id), 'cadence')
      for (const [error, value] of (await pipeline.exec()) ?? []) {
        if (error) throw error
        const cadence = (CADENCES as readonly unknown[]).includes(value) ? (value as Cadence) : 'instant'
        if (visit(cadence)) return true
      }
      if (ids.length < 2000) return false
      start = `(${ids.at(-1)}`
    }
  }

  /**
   * Streams every subscriber in a status in batches of `batchSize` (default 500), holding one batch in
   * memory at a time. A subscriber in that status for the whole walk is yielded exactly once; one that
   * leaves it before its batch is read is not yielded.
   */
  async *stream(
    status: SubscriberStatus,
    options: { batchSize?: number; after?: string | null } = {},
  ): AsyncGenerator<Subscriber[], void, undefined> {
    let after = options.after ?? null
    do {
      const page = await this.page({ status, after, limit: options.batchSize ?? DEFAULT_BATCH_SIZE })
      if (page.subscribers.length > 0) yield page.subscribers
      after = page.next
    } while (after !== null)
  }

  /** {@link stream} of the `active` subscribers: who a digest goes to. */
  streamActive(options: { batchSize?: number; after?: string | null } = {}): AsyncGenerator<Subscriber[], void, undefined> {
    return this.stream('active', options)
  }

  /**
   * Imports (or restores) one subscriber. A new address is stored with the record's values; an existing
   * one only gets new tags (when the record has them) and a forward status change, so importing a file
   * twice changes nothing and an old list never re-subscribes someone who left.
   */
  async importRecord(
    record: SubscriberRecord,
    options: { readonly dryRun?: boolean } = {},
  ): Promise<{ id: string; email: string; outcome: ImportOutcome; previous: SubscriberStatus | null }> {
    const address = normaliseEmail(record.email)
    const status = record.status ?? 'active'
    if (!SUBSCRIBER_STATUSES.includes(status))
      throw new HeraldError('SUBSCRIBER_INVALID', `unknown status ${JSON.stringify(status)}`, { field: 'status' })
    const now = this.timestamp()
    const createdAt = time(record.createdAt, 'created_at') ?? now
    const consentAt = time(record.consent?.at, 'consent_at') ?? createdAt
    const source = record.consent?.source ?? 'import'
    if (!['form', 'import', 'cli'].includes(source))
      throw new HeraldError('SUBSCRIBER_INVALID', `unknown consent source ${JSON.stringify(source)} (form, import or cli)`, {
        field: 'consent_source',
      })
    const stamp = (value: string | null | undefined, field: string, applies: boolean) =>
      applies ? (time(value, field) ?? now) : (time(value, field) ?? '')
    const fields: Record<string, string> = {
      email: address.email,
      status,
      tags: JSON.stringify(normaliseTags(record.tags ?? [])),
      cadence: checkCadence(record.cadence ?? this.defaultCadence),
      createdAt,
      confirmedAt: stamp(record.confirmedAt, 'confirmed_at', status === 'active'),
      unsubscribedAt: stamp(record.unsubscribedAt, 'unsubscribed_at', status === 'unsubscribed'),
      unsubscribeReason: record.unsubscribeReason ? checkReason(record.unsubscribeReason) : status === 'unsubscribed' ? 'request' : '',
      bouncedAt: stamp(record.bouncedAt, 'bounced_at', status === 'bounced'),
      bounceReason: clean(record.bounceReason ?? '', MAX_REASON),
      reactivatedAt: time(record.reactivatedAt, 'reactivated_at') ?? '',
      reactivatedBy: clean(record.reactivatedBy ?? '', 200),
      consentSource: source,
      consentAt,
      consentIp: clean(record.consent?.ip ?? '', 100),
      consentUserAgent: clean(record.consent?.userAgent ?? '', MAX_USER_AGENT),
    }
    const previous = (await this.redis.hget(this.subscriberKey(address.id), 'status')) as SubscriberStatus | null
    const outcome = await runLua(this.redis, IMPORT, this.scriptKeys(address.id), [
      address.id,
      record.tags === undefined ? '0' : '1',
      options.dryRun ? '1' : '0',
      ...Object.entries(fields).flat(),
    ])
    return { id: address.id, email: address.email, outcome, previous }
  }

  private async transition(
    id: string,
    from: readonly SubscriberStatus[],
    to: SubscriberStatus,
    fields: Record<string, string>,
  ): Promise<TransitionResult> {
    if (!isSubscriberId(id)) return { outcome: 'missing', previous: null }
    return runLua(this.redis, TRANSITION, this.scriptKeys(id), [id, from.join(' '), to, ...Object.entries(fields).flat()])
  }

  private timestamp(): string {
    return this.now().toISOString()
  }

  private subscriberKey(id: string): string {
    return this.keys.subscriber(id)
  }

  private statusKey(status: SubscriberStatus): string {
    return this.keys.subscribersInStatus(status)
  }

  private scriptKeys(id: string): string[] {
    return [this.subscriberKey(id), ...SUBSCRIBER_STATUSES.map((status) => this.statusKey(status)), this.keys.announceSequence()]
  }
}

function toSubscriber(id: string, hash: Record<string, string> | null | undefined): Subscriber | null {
  if (!hash?.status || !hash.email) return null
  const orNull = (value: string | undefined) => (value ? value : null)
  let tags: string[] = []
  try {
    const parsed: unknown = JSON.parse(hash.tags ?? '[]')
    if (Array.isArray(parsed)) tags = parsed.filter((tag): tag is string => typeof tag === 'string')
  } catch {
    tags = []
  }
  return {
    id,
    email: hash.email,
    status: hash.status as SubscriberStatus,
    tags,
    cadence: (CADENCES as readonly string[]).includes(hash.cadence ?? '') ? (hash.cadence as Cadence) : 'instant',
    seenSeq: Number(hash.seenSeq ?? 0) || 0,
    sendingIn: orNull(hash.sendingIn),
    createdAt: hash.createdAt ?? '',
    confirmedAt: orNull(hash.confirmedAt),
    unsubscribedAt: orNull(hash.unsubscribedAt),
    unsubscribeReason: (UNSUBSCRIBE_REASONS as readonly string[]).includes(hash.unsubscribeReason ?? '')
      ? (hash.unsubscribeReason as UnsubscribeReason)
      : null,
    bouncedAt: orNull(hash.bouncedAt),
    bounceReason: orNull(hash.bounceReason),
    reactivatedAt: orNull(hash.reactivatedAt),
    reactivatedBy: orNull(hash.reactivatedBy),
    consent: {
      source: (hash.consentSource as ConsentSource) || 'cli',
      at: hash.consentAt || hash.createdAt || '',
      ip: orNull(hash.consentIp),
      userAgent: orNull(hash.consentUserAgent),
    },
  }
}

/** Control characters become spaces (a bounce reply or user agent is shown in tables and CSV), then it is cut to `max`. */
function clean(value: string, max: number): string {
  return value
    .replace(/[\u0000-\u001f\u007f]+/g, ' ')
    .trim()
    .slice(0, max)
}

/** Parses an optional ISO time from a record; blank → null; unreadable → SUBSCRIBER_INVALID naming the column. */
function time(value: string | null | undefined, field: string): string | null {
  if (value === undefined || value === null || value.trim() === '') return null
  const date = new Date(value.trim())
  if (Number.isNaN(date.getTime()))
    throw new HeraldError('SUBSCRIBER_INVALID', `cannot read ${JSON.stringify(value)} as a date; use ISO 8601`, { field })
  return date.toISOString()
}

/** An unsubscribe reason Herald knows, or `SUBSCRIBER_INVALID` naming the field. */
export function checkReason(reason: string): UnsubscribeReason {
  if (!(UNSUBSCRIBE_REASONS as readonly string[]).includes(reason)) {
    throw new HeraldError(
      'SUBSCRIBER_INVALID',
      `unknown unsubscribe reason ${JSON.stringify(reason)} (expected ${UNSUBSCRIBE_REASONS.join(', ')})`,
      { field: 'unsubscribe_reason' },
    )
  }
  return reason as UnsubscribeReason
}

/** A cadence Herald knows, or `SUBSCRIBER_INVALID` naming the field. */
export function checkCadence(cadence: string): Cadence {
  if (!(CADENCES as readonly string[]).includes(cadence)) {
    throw new HeraldError('SUBSCRIBER_INVALID', `unknown cadence ${JSON.stringify(cadence)} (expected ${CADENCES.join(', ')})`, {
      field: 'cadence',
    })
  }
  return cadence as Cadence
}
