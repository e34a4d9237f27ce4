import { randomUUID } from 'node:crypto'
import { DelayedError, type Job } from 'bullmq'
import type { CompiledDigest, DigestComposer, DigestTemplate } from '../digest/compose.js'
import { coverageOf } from '../editions/coverage.js'
import { type PostSnapshot, postsForSubscriber } from '../editions/snapshot.js'
import { type Edition, type EditionStore, FINAL_SEND_STATES, type FinalRecord } from '../editions/store.js'
import type { Logger } from '../log.js'
import { classifySendError, type SendFailure } from '../mail/errors.js'
import { BufferPool } from '../mail/mime-template.js'
import type { MailTransport, SendResult } from '../mail/transport.js'
import type { SubscriberHistory } from '../subscribers/history.js'
import type { Subscriber, SubscriberStore } from '../subscribers/store.js'
import type { CircuitBreaker } from './breaker.js'
import type { SendJobData } from './queues.js'
import type { SendLocks } from './send-lock.js'

/** What a send job did with its recipients (also the job's return value). */
export interface BatchOutcome {
  readonly sent: number
  readonly skipped: number
  readonly failed: number
  /** Recipients already final before this job (a retried or duplicate job). */
  readonly alreadyDone: number
  /** Nothing more was sent: the edition is (or got) paused. */
  readonly paused: boolean
}

/** Counts kept by whoever runs the processor (e.g. `/metrics`). */
export interface SendObserver {
  outcome(outcome: 'sent' | 'failed' | 'skipped' | 'retried' | 'possible_duplicate'): void
}

/** Pauses the site's open editions after a systemic failure (the wiring passes the one that knows the config). */
export type PauseEditions = (failure: SendFailure, editionId: string) => Promise<void>

/** Everything a send job needs; nothing is created here. */
export interface SendProcessorOptions {
  readonly editions: EditionStore
  readonly subscribers: SubscriberStore
  readonly composer: DigestComposer
  readonly transport: MailTransport
  readonly locks: SendLocks
  readonly breaker: CircuitBreaker
  readonly pause: PauseEditions
  readonly logger: Logger
  /** Where a refusal at RCPT that bounces a subscriber is kept with their returned mail (`subscribers show`). */
  readonly history?: SubscriberHistory
  readonly observer?: SendObserver
  /** Messages in flight at once in this process, across all its jobs (the SMTP pool's size). Default 5. */
  readonly concurrency?: number
  /** First retry delay (`email.backoff_ms`), for the `nextAttemptAt` the ledger shows. Default 30 s. */
  readonly backoffMs?: number
  /** How long to put a job back when another live worker holds some of its recipients. Default 5 s. */
  readonly busyDelayMs?: number
  readonly now?: () => Date
}

/** One message to send: the subscriber, their posts, and how far it covers them in the announcement sequence. */
interface Send {
  readonly subscriber: Subscriber
  readonly posts: PostSnapshot[]
  readonly coveredTo: number | null
}

/**
 * The send job handler: one job per batch of recipients of an edition (`SendJobData`), each recipient with its own
 * send-ledger record, lock and retry. Exactly-once as far as an SMTP client can make it: a recipient already recorded
 * as sent is never mailed again (retries, stalls, duplicate jobs); two executions never overlap (locks); the only
 * window left is the server accepting a message and this process dying before it records that (docs/reliability.md),
 * and a retry after such a crash is counted as a possible duplicate.
 *
 * Per batch: one round trip reads the records, one takes the locks, one reads the subscribers, one records the skips;
 * per message: one marks it `sending`, one records its outcome right after the server's reply. Each message is a copy
 * of the edition's digest built once (`DigestComposer.messageTemplate`), filled in by substitution.
 *
 * Blame goes to the right party (mail/errors.ts): a systemic failure, or the same failure for recipient after
 * recipient (the circuit breaker), pauses the edition and leaves the recipient queued, never failed or bounced.
 */
export function createSendProcessor(options: SendProcessorOptions): (job: Job<SendJobData>, token?: string) => Promise<BatchOutcome> {
  const { editions, subscribers, transport, locks, logger, breaker } = options
  const now = options.now ?? (() => new Date())
  const cache = new DigestCache(editions, options.composer)
  const limit = semaphore(options.concurrency ?? 5)
  const buffers = new BufferPool(options.concurrency ?? 5)
  /** Whether another edition's message to a subscriber may be out without its outcome recorded yet. */
  const inDoubt = async (otherEdition: string, subscriberId: string): Promise<boolean> => {
    const record = await editions.sendRecord(otherEdition, subscriberId)
    if (!record || FINAL_SEND_STATES.includes(record.state)) return false
    return record.state === 'sending' || record.uncertain === true
  }

  return async (job, token) => {
    const { editionId, subscriberIds } = job.data
    const attempt = job.attemptsMade + 1
    const lastAttempt = attempt >= (job.opts.attempts ?? 1)
    const counts = { sent: 0, skipped: 0, failed: 0, alreadyDone: 0 }
    const batch = await editions.readBatch(editionId, subscriberIds)
    // A paused edition sends nothing; its recipients stay queued and get new jobs when it resumes.
    if (batch.paused) return { ...counts, paused: true }
    const open = subscriberIds.filter((_, index) => {
      const record = batch.records[index]
      return !(record && FINAL_SEND_STATES.includes(record.state))
    })
    counts.alreadyDone = subscriberIds.length - open.length
    if (open.length === 0) return { ...counts, paused: false }

    const { holder, taken } = await locks.acquireMany(open)
    const mine = new Set(open.filter((id) => taken.has(id)))
    // Held by another live execution: that one sends them; this job looks again later, without using up an attempt.
    let busy = open.length - mine.size
    let paused = false
    let retrying = 0
    try {
      const edition = await cache.edition(editionId)
      const found = new Map((await subscribers.getMany([...mine])).map((subscriber) => [subscriber.id, subscriber]))
      const skips: Array<{ subscriberId: string; record: FinalRecord; coveredTo: number | null }> = []
      const sends: Send[] = []
      const waiting: string[] = []
      for (const id of mine) {
        const subscriber = found.get(id)
        const skip = (reason: string, coveredTo: number | null = null) =>
          skips.push({ subscriberId: id, record: { state: 'skipped', at: now().toISOString(), reason }, coveredTo })
        if (!subscriber) skip('subscriber was removed')
        else if (subscriber.status !== 'active') skip(`subscriber is ${subscriber.status}`)
        else {
          let coverage = coverageOf(edition, subscriber)
          if (coverage.kind === 'wait' && !(await inDoubt(coverage.otherEdition, id))) {
            coverage = coverageOf(edition, { ...subscriber, sendingIn: null })
          }
          if (coverage.kind === 'wait') waiting.push(id)
          else if (coverage.kind === 'skip') skip(coverage.reason)
          else {
            const candidates =
              coverage.kind === 'range' ? await cache.range(coverage.afterSeq, coverage.upToSeq) : await cache.posts(editionId)
            const matching = postsForSubscriber(candidates, subscriber.tags)
            const coveredTo = coverage.kind === 'range' ? coverage.upToSeq : null
            if (matching.length === 0) skip("no new post matches the subscriber's tags", coveredTo)
            else sends.push({ subscriber, posts: matching, coveredTo })
          }
        }
      }
      // Another edition's message to them is not settled: let that one finish first (its lock is theirs to take).
      if (waiting.length > 0) {
        await locks.releaseMany(waiting, holder)
        for (const id of waiting) mine.delete(id)
        busy += waiting.length
      }
      for (const recorded of await editions.setFinalMany(editionId, skips)) {
        if (recorded) {
          counts.skipped++
          options.observer?.outcome('skipped')
        }
      }

      const sendOne = async ({ subscriber, posts: matching, coveredTo }: Send) => {
        // Another recipient's systemic failure paused the edition: the rest stay queued for the resume.
        if (paused) return
        const template = await cache.template(edition, matching)
        const message = template.render({ subscriberId: subscriber.id, email: subscriber.email }, buffers)
        const progress = await editions.setProgress(editionId, subscriber.id, {
          state: 'sending',
          at: now().toISOString(),
          attempt,
          worker: locks.workerId,
          email: subscriber.email,
        })
        if (progress.final) return
        // A record left in `sending` means an earlier attempt died while talking to the server, and an `uncertain`
        // retry means the connection broke without a reply after the whole message went out: either may have been
        // delivered. We send again (a lost digest is worse than a duplicate), with the same Message-ID, and say so.
        const possibleDuplicate = progress.previous?.state === 'sending' || progress.previous?.uncertain === true
        if (possibleDuplicate) {
          logger.warn(
            { editionId, subscriberId: subscriber.id, previousWorker: progress.previous?.worker },
            'resending after an interrupted attempt: the recipient may get this digest twice',
          )
          options.observer?.outcome('possible_duplicate')
        }
        let result: SendResult
        try {
          result = await transport.sendRaw(message)
        } catch (error) {
          const outcome = await failed(editionId, subscriber, classifySendError(error), { attempt, lastAttempt, possibleDuplicate })
          if (outcome === 'paused') paused = true
          if (outcome === 'retrying') retrying++
          if (outcome === 'failed') counts.failed++
          return
        }
        // The record is the very next thing after the server's reply (docs/reliability.md, "the one window").
        await editions.setFinal(
          editionId,
          subscriber.id,
          {
            state: 'sent',
            at: now().toISOString(),
            attempt,
            email: subscriber.email,
            messageId: result.messageId,
            reply: result.response,
            ...(possibleDuplicate ? { possibleDuplicate } : {}),
            posts: matching.map((post) => post.feedId),
          },
          coveredTo,
        )
        // Accepted: the server has read every byte, so the buffer can carry the next copy.
        buffers.give(message.raw)
        counts.sent++
        options.observer?.outcome('sent')
      }
      await Promise.all(sends.map((send) => limit(() => sendOne(send))))
    } finally {
      await locks.releaseMany([...mine], holder)
    }
    if (busy > 0 && !paused) {
      await job.moveToDelayed(now().getTime() + (options.busyDelayMs ?? 5000), token)
      throw new DelayedError()
    }
    // Temporary failures: BullMQ retries the job with backoff; the recipients already final are skipped then.
    if (retrying > 0) throw new Error(`${retrying} recipient(s) of this batch will be retried`)
    return { ...counts, paused }
  }

  /** Records a failed send; what happens next: retried with the job, failed for good, or the edition paused. */
  async function failed(
    editionId: string,
    subscriber: Subscriber,
    failure: SendFailure,
    context: { attempt: number; lastAttempt: boolean; possibleDuplicate: boolean },
  ): Promise<'paused' | 'retrying' | 'failed'> {
    const { attempt } = context
    const base = { at: now().toISOString(), attempt, email: subscriber.email, reply: failure.reply, code: failure.code }
    const uncertain = failure.outcomeUnknown || context.possibleDuplicate ? { uncertain: true } : {}
    const recipientFault = failure.scope === 'recipient' && failure.kind === 'permanent'
    // Bounces are judged one by one; everything else also counts towards the breaker (the same reply, again and again).
    const tripped = !recipientFault && (failure.scope === 'systemic' || (await breaker.failure(failure.reply, subscriber.id)))
    if (failure.scope === 'systemic' || tripped) {
      // Not this recipient's fault: back to queued (resent on resume), the edition pauses.
      await editions.setProgress(editionId, subscriber.id, { state: 'queued', ...base, ...uncertain })
      await options.pause(tripped && failure.scope !== 'systemic' ? { ...failure, scope: 'systemic' } : failure, editionId)
      return 'paused'
    }
    if (failure.kind === 'transient' && !context.lastAttempt) {
      const delay = (options.backoffMs ?? 30_000) * 2 ** (attempt - 1)
      await editions.setProgress(editionId, subscriber.id, {
        state: 'retrying',
        ...base,
        nextAttemptAt: new Date(now().getTime() + delay).toISOString(),
        ...uncertain,
      })
      options.observer?.outcome('retried')
      logger.info({ editionId, subscriberId: subscriber.id, attempt, reply: failure.reply }, 'temporary failure; will retry')
      return 'retrying'
    }
    // Bounce first: once the outcome is final no later attempt would come back to record it.
    if (failure.bounce) {
      const event = {
        id: randomUUID(),
        at: now().toISOString(),
        kind: 'hard' as const,
        source: 'send' as const,
        editionId,
        status: failure.enhanced,
        diagnostic: failure.reply.slice(0, 300),
      }
      const bounced = await subscribers.markBounced(subscriber.id, failure.reply, event.id)
      await options.history?.record(subscriber.id, { ...event, outcome: bounced.outcome === 'changed' ? 'bounced' : 'recorded' })
    }
    await editions.setFinal(editionId, subscriber.id, { state: 'failed', ...base })
    options.observer?.outcome('failed')
    logger.warn({ editionId, subscriberId: subscriber.id, reply: failure.reply, bounced: failure.bounce }, 'send failed permanently')
    return 'failed'
  }
}

/** A process-wide limit on messages in flight: the per-message deadline must not run while a send waits for a slot. */
function semaphore(size: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0
  const waiting: Array<() => void> = []
  return async (task) => {
    if (active >= size) await new Promise<void>((resolve) => waiting.push(resolve))
    active++
    try {
      return await task()
    } finally {
      active--
      waiting.shift()?.()
    }
  }
}

/**
 * Edition posts, compiled digests and message templates, per process. Compiling (MJML) and building the message
 * are the expensive parts: once per distinct post list of an edition (subscribers with tag filters may get a subset),
 * never per recipient.
 */
class DigestCache {
  private readonly editionsById = new Map<string, Promise<Edition>>()
  private readonly postsByEdition = new Map<string, Promise<PostSnapshot[]>>()
  private readonly postsByRange = new Map<string, Promise<PostSnapshot[]>>()
  private readonly compiledByList = new Map<string, Promise<CompiledDigest>>()
  private readonly templatesByList = new Map<string, Promise<DigestTemplate>>()

  constructor(
    private readonly editions: EditionStore,
    private readonly composer: DigestComposer,
  ) {}

  /** What a send needs of an edition never changes once it exists (cadence, slot, sequence range). */
  edition(editionId: string): Promise<Edition> {
    return remember(
      this.editionsById,
      editionId,
      async () => {
        const edition = await this.editions.get(editionId)
        if (!edition) throw new Error(`edition ${editionId} does not exist`)
        return edition
      },
      16,
    )
  }

  posts(editionId: string): Promise<PostSnapshot[]> {
    return remember(this.postsByEdition, editionId, () => this.editions.posts(editionId), 16)
  }

  /** Announced posts after `afterSeq` up to `upToSeq`. */
  range(afterSeq: number, upToSeq: number): Promise<PostSnapshot[]> {
    return remember(
      this.postsByRange,
      `${afterSeq}-${upToSeq}`,
      async () => (await this.editions.announcedBetween(afterSeq, upToSeq)).map((post) => post.snapshot),
      64,
    )
  }

  compiled(edition: Edition, posts: readonly PostSnapshot[]): Promise<CompiledDigest> {
    return remember(this.compiledByList, listKey(edition.id, posts), () => this.composer.compile(posts, edition), 64)
  }

  template(edition: Edition, posts: readonly PostSnapshot[]): Promise<DigestTemplate> {
    return remember(
      this.templatesByList,
      listKey(edition.id, posts),
      async () => this.composer.messageTemplate(await this.compiled(edition, posts), edition.id),
      64,
    )
  }
}

const listKey = (editionId: string, posts: readonly PostSnapshot[]) =>
  `${editionId}\n${posts
    .map((post) => post.feedId)
    .sort()
    .join('\n')}`

/** Memoises a promise in a bounded map (oldest entry dropped); a rejected promise is forgotten so it can be retried. */
function remember<T>(map: Map<string, Promise<T>>, key: string, make: () => Promise<T>, limit: number): Promise<T> {
  const hit = map.get(key)
  if (hit) return hit
  const promise = make()
  promise.catch(() => map.delete(key))
  map.set(key, promise)
  if (map.size > limit) map.delete(map.keys().next().value!)
  return promise
}
