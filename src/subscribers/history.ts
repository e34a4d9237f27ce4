import { randomBytes } from 'node:crypto'
import type { Redis } from 'ioredis'
import { type SiteKeys, siteKeys } from '../infra/keys.js'
import { loadLuaScript, reply, runLua } from '../infra/scripts.js'
import { isSubscriberId } from '../mail/address.js'

/**
 * What came back about a message to a subscriber: `hard` (the address is dead), `soft` (temporary, or a full mailbox),
 * `complaint` (marked as spam), `policy` (the receiver refused the sender or the message, not the address: never the
 * subscriber's fault), `delayed` (still being retried), `auto_reply` (out of office), `unknown` (nothing usable).
 */
export const EVENT_KINDS = ['hard', 'soft', 'complaint', 'policy', 'delayed', 'auto_reply', 'unknown'] as const
export type EventKind = (typeof EVENT_KINDS)[number]

/** Where it came in: the SMTP listener, `herald bounces ingest`, or a sending service's webhook. */
export const EVENT_SOURCES = ['send', 'smtp', 'ingest', 'ses', 'postmark', 'mailgun', 'sendgrid'] as const
export type EventSource = (typeof EVENT_SOURCES)[number]

/**
 * What it did: `bounced` / `unsubscribed` (changed the status), `counted` (a soft bounce towards the limit), `held`
 * (part of a domain flood, waiting for `herald bounces review`), `discarded` (held, then dropped by an operator),
 * `recorded` (nothing to change).
 */
export const EVENT_OUTCOMES = ['bounced', 'unsubscribed', 'counted', 'held', 'discarded', 'recorded'] as const
export type EventOutcome = (typeof EVENT_OUTCOMES)[number]

/** One entry of a subscriber's history. Times are ISO 8601. */
export interface SubscriberEvent {
  /** Random, unique per event (held bounces and undone ones are found by it). */
  readonly id: string
  /** When Herald learned of it. */
  readonly at: string
  readonly kind: EventKind
  readonly source: EventSource
  /** The edition the returned message was, when known. */
  readonly editionId: string | null
  /** RFC 3463 status such as `5.1.1`, when the report gave one. */
  readonly status: string | null
  /** The receiving server's or the provider's words (at most 300 characters). */
  readonly diagnostic: string
  readonly outcome: EventOutcome
}

/** Options for {@link SubscriberHistory}. */
export interface SubscriberHistoryOptions {
  readonly redis: Redis
  readonly prefix: string
  /** Events kept per subscriber, newest first. Default 100. */
  readonly limit?: number
}

const SET_OUTCOME = loadLuaScript(new URL('./lua/set-event-outcome.lua', import.meta.url), reply.integer)
const MAX_DIAGNOSTIC = 300

/**
 * Each subscriber's returned-mail history: a capped Redis list of JSON events, newest first, under `events:<id>`. It is
 * kept with the subscriber (shown by `herald subscribers show`, exported) and deleted with them.
 */
export class SubscriberHistory {
  private readonly redis: Redis
  private readonly keys: SiteKeys
  private readonly limit: number

  constructor(options: SubscriberHistoryOptions) {
    if (!options?.redis) throw new TypeError('SubscriberHistory needs a Redis connection (options.redis)')
    if (!options.prefix) throw new TypeError('SubscriberHistory needs a key prefix (options.prefix)')
    this.redis = options.redis
    this.keys = siteKeys(options.prefix)
    this.limit = options.limit ?? 100
  }

  /** A new event (with a fresh id), not yet stored. */
  static event(fields: Omit<SubscriberEvent, 'id'>): SubscriberEvent {
    return { ...fields, id: randomBytes(6).toString('hex'), diagnostic: cleanDiagnostic(fields.diagnostic) }
  }

  /** Adds an event at the front, dropping the oldest beyond the limit. */
  async record(subscriberId: string, event: SubscriberEvent): Promise<void> {
    const key = this.keys.subscriberEvents(subscriberId)
    await this.redis
      .multi()
      .lpush(key, JSON.stringify(event))
      .ltrim(key, 0, this.limit - 1)
      .exec()
  }

  /** A subscriber's events, newest first. */
  async list(subscriberId: string): Promise<SubscriberEvent[]> {
    if (!isSubscriberId(subscriberId)) return []
    return parseEvents(await this.redis.lrange(this.keys.subscriberEvents(subscriberId), 0, -1))
  }

  /** The events of several subscribers in one round trip (exports), in the order of `ids`. */
  async listMany(ids: readonly string[]): Promise<SubscriberEvent[][]> {
    if (ids.length === 0) return []
    const pipeline = this.redis.pipeline()
    for (const id of ids) pipeline.lrange(this.keys.subscriberEvents(id), 0, -1)
    const replies = (await pipeline.exec()) ?? []
    return replies.map(([error, values]) => {
      if (error) throw error
      return parseEvents(values as string[])
    })
  }

  /** Changes what an event did (held → bounced on review, bounced → held when its domain floods). False when not found. */
  async setOutcome(subscriberId: string, eventId: string, outcome: EventOutcome): Promise<boolean> {
    return (await runLua(this.redis, SET_OUTCOME, [this.keys.subscriberEvents(subscriberId)], [eventId, outcome])) === 1
  }

  /** Puts back a subscriber's history from an export (newest first), replacing whatever is there. */
  async restore(subscriberId: string, events: readonly SubscriberEvent[]): Promise<void> {
    const key = this.keys.subscriberEvents(subscriberId)
    const transaction = this.redis.multi().del(key)
    const kept = events.slice(0, this.limit)
    if (kept.length > 0) transaction.rpush(key, ...kept.map((event) => JSON.stringify(event)))
    await transaction.exec()
  }
}

/** Reads events from JSON (a Redis list or an export cell); entries that are not events are left out. */
export function parseEvents(values: readonly unknown[]): SubscriberEvent[] {
  const events: SubscriberEvent[] = []
  for (const value of values) {
    let parsed: unknown
    try {
      parsed = typeof value === 'string' ? JSON.parse(value) : value
    } catch {
      continue
    }
    const event = toEvent(parsed)
    if (event) events.push(event)
  }
  return events
}

function toEvent(value: unknown): SubscriberEvent | null {
  if (!value || typeof value !== 'object') return null
  const record = value as Record<string, unknown>
  const text = (name: string) => (typeof record[name] === 'string' ? (record[name] as string) : null)
  const id = text('id')
  const at = text('at')
  const kind = text('kind') as EventKind | null
  const source = text('source') as EventSource | null
  const outcome = text('outcome') as EventOutcome | null
  if (!id || !at || Number.isNaN(Date.parse(at))) return null
  if (!kind || !EVENT_KINDS.includes(kind) || !source || !EVENT_SOURCES.includes(source)) return null
  if (!outcome || !EVENT_OUTCOMES.includes(outcome)) return null
  return {
    id: id.slice(0, 40),
    at: new Date(at).toISOString(),
    kind,
    source,
    editionId: text('editionId'),
    status: text('status'),
    diagnostic: cleanDiagnostic(text('diagnostic') ?? ''),
    outcome,
  }
}

/** Control characters and runs of white space become one space (diagnostics are shown in tables and CSV). */
function cleanDiagnostic(value: string): string {
  return value
    .replace(/[\u0000-\u001f\u007f\s]+/g, ' ')
    .trim()
    .slice(0, MAX_DIAGNOSTIC)
}
