import type { Redis } from 'ioredis'
import { type SiteKeys, siteKeys } from '../infra/keys.js'
import { loadLuaScript, reply, runLua } from '../infra/scripts.js'
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
}

/** Where one recipient of one edition stands. Final states: `sent`, `failed`, `skipped`. */
export type SendState = 'queued' | 'sending' | 'retrying' | 'sent' | 'failed' | 'skipped'
export const FINAL_SEND_STATES: readonly SendState[] = ['sent', 'failed', 'skipped']

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
    }
  }

  /** The post snapshots of an edition (unordered; see `digestOrder`). */
  async posts(id: string): Promise<PostSnapshot[]> {
    const values = await this.redis.hvals(this.keys.editionPosts(id))
    return values.map((value) => JSON.parse(value) as PostSnapshot)
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
    const result = await runLua(this.redis, SET_PROGRESS, this.sendKeys(id), [
      id,
      this.now().toISOString(),
      subscriberId,
      JSON.stringify(record),
      record.state,
    ])
    if (result.kind === 'final') return { final: true, record: JSON.parse(result.record) as SendRecord }
    return { final: false, previous: result.record ? (JSON.parse(result.record) as SendRecord) : null }
  }

  /** Records a final outcome, once: false when the recipient already had one (nothing is counted twice). */
  async setFinal(id: string, subscriberId: string, record: SendRecord & { state: 'sent' | 'failed' | 'skipped' }): Promise<boolean> {
    const result = await runLua(
      this.redis,
      SET_FINAL,
      [...this.sendKeys(id), this.keys.breaker()],
      [id, this.now().toISOString(), subscriberId, JSON.stringify(record), record.state, record.possibleDuplicate ? '1' : '0'],
    )
    return result === 1
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
