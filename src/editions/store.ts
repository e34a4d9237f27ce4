import { createHash } from 'node:crypto'
import type { Redis } from 'ioredis'
import { type SiteKeys, siteKeys } from '../infra/keys.js'
import { loadLuaScript, reply, runLua, runLuaMany } from '../infra/scripts.js'
import type { Cadence } from '../subscribers/store.js'
import type { PostSnapshot } from './snapshot.js'

/** An edition's progress, as kept in Redis. */
export interface Edition {
  readonly id: string
  readonly createdAt: Date
  readonly completedAt: Date | null
  readonly postCount: number
  /**
   * `open` until every queued recipient has a final outcome; then `done`. `paused` after a systemic failure (the mail
   * server refused the sender, the login, TLS …): nothing is sent until it is resumed.
   */
  readonly status: 'open' | 'paused' | 'done'
  /** Why it is paused: the server's reply and what to check. */
  readonly pausedReason: string | null
  readonly pausedAt: Date | null
  /** Fingerprint of the mail configuration it paused under (a run with another one resumes it). */
  readonly pausedConfig: string | null
  /** `pending` until the fan-out has queued every matching subscriber. */
  readonly fanout: 'pending' | 'done'
  /** Recipients queued (subscribers whose tags matched). */
  readonly expected: number
  readonly sent: number
  readonly failed: number
  readonly skipped: number
  /** Sends retried after a crash between the server's acceptance and our record: the recipient may have two copies. */
  readonly possibleDuplicates: number
  /** Temporary failures that were retried. */
  readonly retried: number
  /** Last subscriber id the fan-out queued (its resume point). */
  readonly fanoutCursor: string | null
  /** Who it is for: subscribers of this cadence. */
  readonly cadence: Cadence
  /** For a daily or weekly edition, the local date it fell due; null for instant editions. */
  readonly slot: string | null
  /**
   * The announcement sequence numbers it covers: posts fromSeq+1 … toSeq. Each subscriber gets those after the last
   * one they had (`Subscriber.seenSeq`). Null for editions made before cadences existed: those send their own posts.
   */
  readonly fromSeq: number | null
  readonly toSeq: number | null
}

/** A post with its announcement sequence number. */
export interface AnnouncedPost {
  readonly seq: number
  readonly snapshot: PostSnapshot
}

/** What {@link EditionStore.openCadenceEdition} did: made an edition, found no new post, or found the slot handled. */
export type CadenceEditionOutcome =
  | { readonly outcome: 'created'; readonly editionId: string; readonly postCount: number }
  | { readonly outcome: 'empty' | 'done' }

/** Where one recipient of one edition stands. Final states: `sent`, `failed`, `skipped`. */
export type SendState = 'queued' | 'sending' | 'retrying' | 'sent' | 'failed' | 'skipped'
export const FINAL_SEND_STATES: readonly SendState[] = ['sent', 'failed', 'skipped']

/** A send record with a final state. */
export type FinalRecord = SendRecord & { readonly state: 'sent' | 'failed' | 'skipped' }

/** The send ledger's record for one recipient of one edition. */
export interface SendRecord {
  readonly state: SendState
  /** ISO time of the last change. */
  readonly at: string
  readonly attempt?: number
  /** Worker that is (or was) sending: lets a retry tell a crashed attempt from a live one. */
  readonly worker?: string
  readonly email?: string
  readonly messageId?: string
  /** The server's reply (last one for failures). */
  readonly reply?: string
  readonly code?: number | null
  /** Why a recipient was skipped (no longer active, no matching post). */
  readonly reason?: string
  readonly possibleDuplicate?: boolean
  /** A retry after a failure without any SMTP reply (timeout, reset): the message may have been accepted. */
  readonly uncertain?: boolean
  /** When a `retrying` recipient's next attempt is due (ISO time). */
  readonly nextAttemptAt?: string
  /** Queued again by `herald editions retry-failed` after a failure. */
  readonly retriedFailure?: boolean
  /** Feed ids of the posts the message carried (editions with cadences: they depend on the subscriber). */
  readonly posts?: readonly string[]
}

const QUEUE_RECIPIENTS = loadLuaScript(new URL('./lua/queue-recipients.lua', import.meta.url), reply.integer)
const SET_PROGRESS = loadLuaScript(new URL('./lua/set-send-progress.lua', import.meta.url), (value) => {
  const [kind, record] = reply.strings(value)
  return { kind: reply.oneOf('final', 'set')(kind), record: record ?? '' }
})
const SET_FINAL = loadLuaScript(new URL('./lua/set-send-final.lua', import.meta.url), reply.integer)
const FINISH_FANOUT = loadLuaScript(new URL('./lua/finish-fanout.lua', import.meta.url), reply.integer)
const PAUSE = loadLuaScript(new URL('./lua/pause-edition.lua', import.meta.url), reply.integer)
const RESUME = loadLuaScript(new URL('./lua/resume-edition.lua', import.meta.url), reply.integer)
const OPEN_CADENCE = loadLuaScript(new URL('./lua/open-cadence-edition.lua', import.meta.url), (value): CadenceEditionOutcome => {
  const [outcome, editionId, count] = reply.strings(value)
  if (outcome === 'created' && editionId) return { outcome, editionId, postCount: Number(count) }
  return { outcome: reply.oneOf('empty', 'done')(outcome) }
})
const RETRY_FAILED = loadLuaScript(new URL('./lua/retry-failed.lua', import.meta.url), reply.integer)

/** Options for {@link EditionStore}. */
export interface EditionStoreOptions {
  readonly redis: Redis
  readonly prefix: string
  readonly now?: () => Date
}

/**
 * Editions and their send ledger in Redis: `edition:<id>` (progress counters), `edition:<id>:posts`
 * (post snapshots), `edition:<id>:sends` (one record per recipient), `editions` and `editions:open`
 * (sorted by creation). Editions are created by `AnnouncementLedger.claimEdition` (announcements.ts).
 */
export class EditionStore {
  private readonly redis: Redis
  private readonly keys: SiteKeys
  private readonly now: () => Date

  constructor(options: EditionStoreOptions) {
    if (!options?.redis) throw new TypeError('EditionStore needs a Redis connection (options.redis)')
    this.redis = options.redis
    this.keys = siteKeys(options.prefix)
    this.now = options.now ?? (() => new Date())
  }

  async get(id: string): Promise<Edition | null> {
    const fields = await this.redis.hgetall(this.editionKey(id))
    if (!fields.id) return null
    const number = (name: string) => Number(fields[name] ?? 0)
    return {
      id: fields.id,
      createdAt: new Date(number('createdAt')),
      completedAt: fields.completedAt ? new Date(fields.completedAt) : null,
      postCount: number('postCount'),
      status: fields.status === 'done' ? 'done' : fields.status === 'paused' ? 'paused' : 'open',
      pausedReason: fields.pausedReason || null,
      pausedAt: fields.pausedAt ? new Date(fields.pausedAt) : null,
      pausedConfig: fields.pausedConfig || null,
      fanout: fields.fanout === 'done' ? 'done' : 'pending',
      expected: number('expected'),
      sent: number('sent'),
      failed: number('failed'),
      skipped: number('skipped'),
      possibleDuplicates: number('possibleDuplicates'),
      retried: number('retried'),
      fanoutCursor: fields.fanoutCursor || null,
      cadence: fields.cadence === 'daily' || fields.cadence === 'weekly' ? fields.cadence : 'instant',
      slot: fields.slot || null,
      fromSeq: fields.toSeq ? number('fromSeq') : null,
      toSeq: fields.toSeq ? number('toSeq') : null,
    }
  }

  /** The post snapshots of an edition (unordered; see `digestOrder`). */
  async posts(id: string): Promise<PostSnapshot[]> {
    const fields = await this.redis.hmget(this.editionKey(id), 'fromSeq', 'toSeq')
    if (fields[1]) return (await this.announcedBetween(Number(fields[0] ?? 0), Number(fields[1]))).map((post) => post.snapshot)
    const values = await this.redis.hvals(this.keys.editionPosts(id))
    return values.map((value) => JSON.parse(value) as PostSnapshot)
  }

  /** Announced posts with sequence numbers after `afterSeq` up to `upToSeq`, in sequence order. */
  async announcedBetween(afterSeq: number, upToSeq: number): Promise<AnnouncedPost[]> {
    if (upToSeq <= afterSeq) return []
    const flat = await this.redis.zrangebyscore(this.keys.announcedBySequence(), `(${afterSeq}`, upToSeq, 'WITHSCORES')
    if (flat.length === 0) return []
    const ids = flat.filter((_, index) => index % 2 === 0)
    const snapshots = await this.redis.hmget(this.keys.announcedSnapshots(), ...ids)
    const posts: AnnouncedPost[] = []
    ids.forEach((_, index) => {
      const snapshot = snapshots[index]
      if (snapshot) posts.push({ seq: Number(flat[index * 2 + 1]), snapshot: JSON.parse(snapshot) as PostSnapshot })
    })
    return posts
  }

  /**
   * Makes the daily or weekly edition of `slot` (see open-cadence-edition.lua) unless it exists; `startSeq` is the
   * announcement sequence number when the calling run started, where the first edition of a cadence begins.
   * `withoutEdition`: only record the slot as handled (nobody has the cadence).
   */
  async openCadenceEdition(
    cadence: Exclude<Cadence, 'instant'>,
    slot: string,
    startSeq: number,
    options: { withoutEdition?: boolean } = {},
  ): Promise<CadenceEditionOutcome> {
    const editionId = createHash('sha1').update(`${cadence}\n${slot}`).digest('hex').slice(0, 20)
    return runLua(
      this.redis,
      OPEN_CADENCE,
      [
        this.keys.cadenceState(cadence),
        this.keys.announceSequence(),
        this.keys.announcedBySequence(),
        this.keys.editionKeyPrefix(),
        this.keys.editions(),
        this.keys.openEditions(),
        this.keys.editionTotals(),
      ],
      [cadence, slot, this.now().getTime(), editionId, startSeq, options.withoutEdition ? '1' : '0'],
    )
  }

  /** The last daily or weekly edition's slot and how far it covered, or null before the first. */
  async cadenceState(cadence: Exclude<Cadence, 'instant'>): Promise<{ slot: string; toSeq: number } | null> {
    const [slot, toSeq] = await this.redis.hmget(this.keys.cadenceState(cadence), 'slot', 'toSeq')
    return slot ? { slot, toSeq: Number(toSeq ?? 0) } : null
  }

  /** Ids of editions that are not done yet, oldest first. */
  openIds(): Promise<string[]> {
    return this.redis.zrange(this.keys.openEditions(), '0', '-1')
  }

  /** The newest editions, newest first. */
  async recent(limit: number): Promise<Edition[]> {
    const ids = await this.redis.zrevrange(this.keys.editions(), 0, limit - 1)
    const editions = await Promise.all(ids.map((id) => this.get(id)))
    return editions.filter((edition): edition is Edition => edition !== null)
  }

  /** Every edition's id, creation time, cadence and slot, oldest first. */
  async list(): Promise<Array<{ id: string; createdAt: Date; cadence: Cadence; slot: string | null }>> {
    const flat = await this.redis.zrange(this.keys.editions(), '0', '-1', 'WITHSCORES')
    const pipeline = this.redis.pipeline()
    for (let index = 0; index < flat.length; index += 2) pipeline.hmget(this.editionKey(flat[index]!), 'cadence', 'slot')
    const fields = ((await pipeline.exec()) ?? []).map(([error, value]) => {
      if (error) throw error
      return value as Array<string | null>
    })
    const editions: Array<{ id: string; createdAt: Date; cadence: Cadence; slot: string | null }> = []
    for (let index = 0; index < flat.length; index += 2) {
      const [cadence, slot] = fields[index / 2] ?? []
      editions.push({
        id: flat[index]!,
        createdAt: new Date(Number(flat[index + 1])),
        cadence: cadence === 'daily' || cadence === 'weekly' ? cadence : 'instant',
        slot: slot || null,
      })
    }
    return editions
  }

  /** Ids of the newest editions, newest first. */
  recentIds(limit: number): Promise<string[]> {
    return this.redis.zrevrange(this.keys.editions(), 0, limit - 1)
  }

  /** Ids of the editions starting with `prefix` (a VERP tag carries the first 10 hex digits of its edition's id). */
  async idsWithPrefix(prefix: string): Promise<string[]> {
    if (!/^[0-9a-f]+$/.test(prefix)) return []
    return (await this.redis.zrange(this.keys.editions(), '0', '-1')).filter((id) => id.startsWith(prefix))
  }

  /** How many editions exist. */
  count(): Promise<number> {
    return this.redis.zcard(this.keys.editions())
  }

  /** How many editions exist per cadence. */
  async countByCadence(): Promise<Record<Cadence, number>> {
    const [all, periodic] = await Promise.all([this.count(), this.redis.hgetall(this.keys.editionTotals())])
    const daily = Number(periodic.daily ?? 0)
    const weekly = Number(periodic.weekly ?? 0)
    return { instant: Math.max(0, all - daily - weekly), daily, weekly }
  }

  /** Editions still sending, per cadence. */
  async openByCadence(): Promise<Record<Cadence, number>> {
    const counts: Record<Cadence, number> = { instant: 0, daily: 0, weekly: 0 }
    const ids = await this.openIds()
    if (ids.length === 0) return counts
    const pipeline = this.redis.pipeline()
    for (const id of ids) pipeline.hget(this.editionKey(id), 'cadence')
    for (const [error, value] of (await pipeline.exec()) ?? []) {
      if (error) throw error
      counts[value === 'daily' || value === 'weekly' ? value : 'instant']++
    }
    return counts
  }

  /** Records recipients as queued (idempotent); returns how many were not queued before. */
  async queueRecipients(id: string, subscriberIds: readonly string[]): Promise<number> {
    if (subscriberIds.length === 0) return 0
    const record = JSON.stringify({ state: 'queued', at: this.now().toISOString() } satisfies SendRecord)
    return runLua(
      this.redis,
      QUEUE_RECIPIENTS,
      [this.editionKey(id), this.sendsKey(id)],
      [this.now().toISOString(), record, ...subscriberIds],
    )
  }

  /** Marks the fan-out as started; false when an earlier attempt had already started it (so it must repair). */
  async startFanout(id: string): Promise<boolean> {
    return (await this.redis.hsetnx(this.editionKey(id), 'fanoutStarted', this.now().toISOString())) === 1
  }

  /** Saves the fan-out's resume point. */
  async setFanoutCursor(id: string, cursor: string): Promise<void> {
    await this.redis.hset(this.editionKey(id), { fanoutCursor: cursor })
  }

  /** Marks the fan-out complete; the edition is done at once when nobody matched or everybody was already handled. */
  async finishFanout(id: string): Promise<void> {
    await runLua(this.redis, FINISH_FANOUT, [this.editionKey(id), this.openKey()], [id, this.now().toISOString()])
  }

  async sendRecord(id: string, subscriberId: string): Promise<SendRecord | null> {
    const value = await this.redis.hget(this.sendsKey(id), subscriberId)
    return value ? (JSON.parse(value) as SendRecord) : null
  }

  /**
   * Sets a non-final state (`sending`, `retrying`). Returns `{ final: true }` without changing anything
   * when the recipient already has a final outcome, else the record it replaced.
   */
  async setProgress(
    id: string,
    subscriberId: string,
    record: SendRecord,
  ): Promise<{ final: true; record: SendRecord } | { final: false; previous: SendRecord | null }> {
    const result = await runLua(
      this.redis,
      SET_PROGRESS,
      [...this.sendKeys(id), this.keys.subscriber(subscriberId)],
      [id, this.now().toISOString(), subscriberId, JSON.stringify(record), record.state],
    )
    if (result.kind === 'final') return { final: true, record: JSON.parse(result.record) as SendRecord }
    return { final: false, previous: result.record ? (JSON.parse(result.record) as SendRecord) : null }
  }

  /**
   * What a batch of recipients' sends needs to know, in one round trip: whether the edition is paused, and each
   * recipient's send record (null when there is none).
   */
  async readBatch(id: string, subscriberIds: readonly string[]): Promise<{ paused: boolean; records: Array<SendRecord | null> }> {
    const pipeline = this.redis.pipeline()
    pipeline.hget(this.editionKey(id), 'status')
    pipeline.hmget(this.sendsKey(id), ...subscriberIds)
    const [statusReply, recordsReply] = ((await pipeline.exec()) ?? []) as Array<[Error | null, unknown]>
    const [statusError, status] = statusReply ?? [new Error('no reply'), null]
    const [recordsError, values] = recordsReply ?? [new Error('no reply'), []]
    if (statusError || recordsError) throw statusError ?? recordsError
    return {
      paused: status === 'paused',
      records: (values as Array<string | null>).map((value) => (value ? (JSON.parse(value) as SendRecord) : null)),
    }
  }

  /** {@link setFinal} for several recipients in one round trip (the skips of a batch). */
  async setFinalMany(
    id: string,
    entries: ReadonlyArray<{ subscriberId: string; record: FinalRecord; coveredTo?: number | null }>,
  ): Promise<boolean[]> {
    const now = this.now().toISOString()
    const calls = entries.map(({ subscriberId, record, coveredTo }) => ({
      keys: this.finalKeys(id, subscriberId),
      args: this.finalArgs(id, now, subscriberId, record, coveredTo ?? null),
    }))
    return (await runLuaMany(this.redis, SET_FINAL, calls)).map((result) => result === 1)
  }

  /**
   * Records a final outcome, once: false when the recipient already had one (nothing is counted twice). `coveredTo`:
   * the subscriber has now had every post meant for them up to this announcement sequence number (same step).
   */
  async setFinal(id: string, subscriberId: string, record: FinalRecord, coveredTo: number | null = null): Promise<boolean> {
    const result = await runLua(
      this.redis,
      SET_FINAL,
      this.finalKeys(id, subscriberId),
      this.finalArgs(id, this.now().toISOString(), subscriberId, record, coveredTo),
    )
    return result === 1
  }

  private finalKeys(id: string, subscriberId: string): string[] {
    return [...this.sendKeys(id), this.keys.breaker(), this.keys.subscriber(subscriberId)]
  }

  private finalArgs(id: string, now: string, subscriberId: string, record: FinalRecord, coveredTo: number | null): Array<string | number> {
    return [id, now, subscriberId, JSON.stringify(record), record.state, record.possibleDuplicate ? '1' : '0', coveredTo ?? '']
  }

  /** Streams the send ledger of an edition in batches (HSCAN), for repairs and reports. */
  async *sendRecords(id: string, batchSize = 500): AsyncGenerator<Array<[string, SendRecord]>> {
    let cursor = '0'
    do {
      const [next, flat] = await this.redis.hscan(this.sendsKey(id), cursor, 'COUNT', batchSize)
      cursor = next
      const batch: Array<[string, SendRecord]> = []
      for (let index = 0; index < flat.length; index += 2) batch.push([flat[index]!, JSON.parse(flat[index + 1]!) as SendRecord])
      if (batch.length > 0) yield batch
    } while (cursor !== '0')
  }

  /** The failures of several editions (those that have any). */
  async failuresOf(
    editions: ReadonlyArray<Pick<Edition, 'id' | 'failed'>>,
  ): Promise<Array<{ subscriberId: string; email: string | null; reply: string | null }>> {
    const lists = await Promise.all(editions.filter((edition) => edition.failed > 0).map((edition) => this.failures(edition.id)))
    return lists.flat()
  }

  /** Recipients whose send failed for good, with the server's reply. */
  async failures(id: string): Promise<Array<{ subscriberId: string; email: string | null; reply: string | null }>> {
    const failed: Array<{ subscriberId: string; email: string | null; reply: string | null }> = []
    for await (const batch of this.sendRecords(id)) {
      for (const [subscriberId, record] of batch) {
        if (record.state === 'failed') failed.push({ subscriberId, email: record.email ?? null, reply: record.reply ?? null })
      }
    }
    return failed
  }

  private editionKey(id: string): string {
    return this.keys.edition(id)
  }

  private sendsKey(id: string): string {
    return this.keys.editionSends(id)
  }

  private openKey(): string {
    return this.keys.openEditions()
  }

  private sendKeys(id: string): string[] {
    return [this.editionKey(id), this.openKey(), this.sendsKey(id), this.keys.sendTotals()]
  }

  /** Whether an edition is paused (checked before every send). */
  async isPaused(id: string): Promise<boolean> {
    return (await this.redis.hget(this.editionKey(id), 'status')) === 'paused'
  }

  /** Pauses an edition still sending. `paused`: this call paused it; `already`: it was; `done`: nothing left to pause. */
  async pause(id: string, reason: string, configFingerprint: string): Promise<'paused' | 'already' | 'done'> {
    const result = await runLua(this.redis, PAUSE, [this.editionKey(id)], [reason, this.now().toISOString(), configFingerprint])
    return result === 1 ? 'paused' : result === 0 ? 'already' : 'done'
  }

  /** Resumes a paused edition; false when it was not paused. Queue it again (`enqueueEdition`) to send the rest. */
  async resume(id: string): Promise<boolean> {
    return (await runLua(this.redis, RESUME, [this.editionKey(id)], [this.now().toISOString()])) === 1
  }

  /** Queues again every recipient whose send failed (never one already sent); returns how many. */
  async retryFailed(id: string): Promise<number> {
    const now = this.now()
    return runLua(
      this.redis,
      RETRY_FAILED,
      [this.editionKey(id), this.openKey(), this.sendsKey(id)],
      [id, now.toISOString(), now.getTime()],
    )
  }

  /** Send outcomes over all editions (sent, failed, skipped, retried, possible_duplicate): the `/metrics` counters. */
  async sendTotals(): Promise<Record<'sent' | 'failed' | 'skipped' | 'retried' | 'possible_duplicate', number>> {
    const fields = await this.redis.hgetall(this.keys.sendTotals())
    const value = (name: string) => Number(fields[name] ?? 0)
    return {
      sent: value('sent'),
      failed: value('failed'),
      skipped: value('skipped'),
      retried: value('retried'),
      possible_duplicate: value('possible_duplicate'),
    }
  }
}
