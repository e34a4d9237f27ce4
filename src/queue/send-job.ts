import { DelayedError, type Job, UnrecoverableError } from 'bullmq'
import type { CompiledDigest, DigestComposer } from '../digest/compose.js'
import { type PostSnapshot, postsForSubscriber } from '../editions/snapshot.js'
import { type EditionStore, FINAL_SEND_STATES } from '../editions/store.js'
import type { Logger } from '../log.js'
import { classifySendError, type SendFailure } from '../mail/errors.js'
import type { MailTransport, SendResult } from '../mail/transport.js'
import type { SubscriberStore } from '../subscribers/store.js'
import type { CircuitBreaker } from './breaker.js'
import type { SendJobData } from './queues.js'
import type { SendLocks } from './send-lock.js'

/** What a send job ended with (also the job's return value). `paused`: nothing sent, the edition is paused. */
export type SendOutcome = 'sent' | 'skipped' | 'already-done' | 'paused'

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
  readonly observer?: SendObserver
  /** First retry delay (`email.backoff_ms`), for the `nextAttemptAt` the ledger shows. Default 30 s. */
  readonly backoffMs?: number
  /** How long to put a job back when another live worker holds its lock. Default 5 s. */
  readonly busyDelayMs?: number
  readonly now?: () => Date
}

/**
 * The send job handler. Exactly-once as far as an SMTP client can make it: a recipient already recorded as
 * sent is never mailed again (retries, stalls, duplicate jobs); two executions never overlap (lock); the
 * only window left is the server accepting the message and this process dying before it records that
 * (docs/reliability.md), and a retry after such a crash is counted as a possible duplicate.
 *
 * Blame goes to the right party (mail/errors.ts): a systemic failure, or the same failure for recipient after
 * recipient (the circuit breaker), pauses the edition and leaves the recipient queued, never failed or bounced.
 */
export function createSendProcessor(options: SendProcessorOptions): (job: Job<SendJobData>, token?: string) => Promise<SendOutcome> {
  const { editions, subscribers, composer, transport, locks, logger, breaker } = options
  const now = options.now ?? (() => new Date())
  const cache = new DigestCache(editions, composer)

  return async (job, token) => {
    const { editionId, subscriberId } = job.data
    const existing = await editions.sendRecord(editionId, subscriberId)
    if (existing && FINAL_SEND_STATES.includes(existing.state)) return 'already-done'
    // A paused edition sends nothing; its recipients stay queued and get new jobs when it resumes.
    if (await editions.isPaused(editionId)) return 'paused'

    const lock = await locks.acquire(editionId, subscriberId)
    if (!lock.acquired) {
      // Another live worker is in the middle of this very send: look again later without using up an attempt.
      await job.moveToDelayed(now().getTime() + (options.busyDelayMs ?? 5000), token)
      throw new DelayedError()
    }
    try {
      const attempt = job.attemptsMade + 1
      const subscriber = await subscribers.get(subscriberId)
      if (!subscriber || subscriber.status !== 'active') {
        return await skip(editionId, subscriberId, subscriber ? `subscriber is ${subscriber.status}` : 'subscriber was removed')
      }
      const posts = postsForSubscriber(await cache.posts(editionId), subscriber.tags)
      if (posts.length === 0) return await skip(editionId, subscriberId, "no post matches the subscriber's tags")
      const message = composer.personalise(await cache.compiled(editionId, posts), { subscriberId, email: subscriber.email }, editionId)

      const progress = await editions.setProgress(editionId, subscriberId, {
        state: 'sending',
        at: now().toISOString(),
        attempt,
        worker: locks.workerId,
        email: subscriber.email,
      })
      if (progress.final) return 'already-done'
      // A record left in `sending` means an earlier attempt died while talking to the server, and an `uncertain`
      // retry means the connection broke without a reply after the whole message went out: either may have been
      // delivered. We send again (a lost digest is worse than a duplicate), with the same Message-ID, and say so.
      const possibleDuplicate = progress.previous?.state === 'sending' || progress.previous?.uncertain === true
      if (possibleDuplicate) {
        logger.warn(
          { editionId, subscriberId, previousWorker: progress.previous?.worker },
          'resending after an interrupted attempt: the recipient may get this digest twice',
        )
        options.observer?.outcome('possible_duplicate')
      }

      let result: SendResult
      try {
        result = await transport.send(message)
      } catch (error) {
        const failure = classifySendError(error)
        const lastAttempt = attempt >= (job.opts.attempts ?? 1)
        const base = { at: now().toISOString(), attempt, email: subscriber.email, reply: failure.reply, code: failure.code }
        const recipientFault = failure.scope === 'recipient' && failure.kind === 'permanent'
        // Bounces are judged one by one; everything else also counts towards the breaker (the same reply, again and again).
        const tripped = !recipientFault && (failure.scope === 'systemic' || (await breaker.failure(failure.reply, subscriberId)))
        if (failure.scope === 'systemic' || tripped) {
          // Not this recipient's fault: back to queued (resent on resume), the edition pauses.
          await editions.setProgress(editionId, subscriberId, {
            state: 'queued',
            ...base,
            ...(possibleDuplicate || failure.outcomeUnknown ? { uncertain: true } : {}),
          })
          await options.pause(tripped && failure.scope !== 'systemic' ? { ...failure, scope: 'systemic' } : failure, editionId)
          return 'paused'
        }
        if (failure.kind === 'transient' && !lastAttempt) {
          const delay = (options.backoffMs ?? 30_000) * 2 ** (attempt - 1)
          await editions.setProgress(editionId, subscriberId, {
            state: 'retrying',
            ...base,
            nextAttemptAt: new Date(now().getTime() + delay).toISOString(),
            ...(failure.outcomeUnknown || possibleDuplicate ? { uncertain: true } : {}),
          })
          options.observer?.outcome('retried')
          logger.info({ editionId, subscriberId, attempt, reply: failure.reply }, 'temporary failure; will retry')
          throw error
        }
        // Bounce first: once the outcome is final no later attempt would come back to record it.
        if (failure.bounce) await subscribers.markBounced(subscriberId, failure.reply)
        await editions.setFinal(editionId, subscriberId, { state: 'failed', ...base })
        options.observer?.outcome('failed')
        logger.warn({ editionId, subscriberId, reply: failure.reply, bounced: failure.bounce }, 'send failed permanently')
        throw new UnrecoverableError(`${subscriber.email}: ${failure.reply}`)
      }
      await editions.setFinal(editionId, subscriberId, {
        state: 'sent',
        at: now().toISOString(),
        attempt,
        email: subscriber.email,
        messageId: result.messageId,
        reply: result.response,
        ...(possibleDuplicate ? { possibleDuplicate } : {}),
      })
      options.observer?.outcome('sent')
      return 'sent'
    } finally {
      await locks.release(editionId, subscriberId, lock.holder)
    }
  }

  async function skip(editionId: string, subscriberId: string, reason: string): Promise<SendOutcome> {
    await editions.setFinal(editionId, subscriberId, { state: 'skipped', at: now().toISOString(), reason })
    options.observer?.outcome('skipped')
    return 'skipped'
  }
}

/**
 * Edition posts and compiled digests, per process. Compiling is the expensive part (MJML): once per
 * distinct post list (subscribers with tag filters may get a subset), never per recipient.
 */
class DigestCache {
  private readonly postsByEdition = new Map<string, Promise<PostSnapshot[]>>()
  private readonly compiledByList = new Map<string, Promise<CompiledDigest>>()

  constructor(
    private readonly editions: EditionStore,
    private readonly composer: DigestComposer,
  ) {}

  posts(editionId: string): Promise<PostSnapshot[]> {
    return remember(this.postsByEdition, editionId, () => this.editions.posts(editionId), 16)
  }

  compiled(editionId: string, posts: readonly PostSnapshot[]): Promise<CompiledDigest> {
    const key = `${editionId}\n${posts
      .map((post) => post.feedId)
      .sort()
      .join('\n')}`
    return remember(this.compiledByList, key, () => this.composer.compile(posts, { id: editionId }), 64)
  }
}

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
