import { DelayedError, type Job, UnrecoverableError } from 'bullmq'
import type { CompiledDigest, DigestComposer } from '../digest/compose.js'
import { type PostSnapshot, postsForSubscriber } from '../editions/snapshot.js'
import { type EditionStore, FINAL_SEND_STATES } from '../editions/store.js'
import type { Logger } from '../log.js'
import { classifySendError } from '../mail/errors.js'
import type { MailTransport, SendResult } from '../mail/transport.js'
import type { SubscriberStore } from '../subscribers/store.js'
import type { SendJobData } from './queues.js'
import type { SendLocks } from './send-lock.js'

/** What a send job ended with (also the job's return value). */
export type SendOutcome = 'sent' | 'skipped' | 'already-done'

/** Counts kept by whoever runs the processor (e.g. `/metrics`). */
export interface SendObserver {
  outcome(outcome: 'sent' | 'failed' | 'skipped' | 'retried' | 'possible_duplicate'): void
}

/** Everything a send job needs; nothing is created here. */
export interface SendProcessorOptions {
  readonly editions: EditionStore
  readonly subscribers: SubscriberStore
  readonly composer: DigestComposer
  readonly transport: MailTransport
  readonly locks: SendLocks
  readonly logger: Logger
  readonly observer?: SendObserver
  /** How long to put a job back when another live worker holds its lock. Default 5 s. */
  readonly busyDelayMs?: number
  readonly now?: () => Date
}

/**
 * The send job handler. Exactly-once as far as an SMTP client can make it: a recipient already recorded as
 * sent is never mailed again (retries, stalls, duplicate jobs); two executions never overlap (lock); the
 * only window left is the server accepting the message and this process dying before it records that
 * (docs/reliability.md), and a retry after such a crash is counted as a possible duplicate.
 */
export function createSendProcessor(options: SendProcessorOptions): (job: Job<SendJobData>, token?: string) => Promise<SendOutcome> {
  const { editions, subscribers, composer, transport, locks, logger } = options
  const now = options.now ?? (() => new Date())
  const cache = new DigestCache(editions, composer)

  return async (job, token) => {
    const { editionId, subscriberId } = job.data
    const existing = await editions.sendRecord(editionId, subscriberId)
    if (existing && FINAL_SEND_STATES.includes(existing.state)) return 'already-done'

    const lock = await locks.acquire(editionId, subscriberId)
    if (!lock.acquired) {
      // Another live worker is in the middle of this very send: look again later without using up an attempt.
      await job.moveToDelayed(now().getTime() + (options.busyDelayMs ?? 5000), token)
      throw new DelayedError()
    }
    try {
      const attempt = job.attemptsMade + 1
      const subscriber = await subscribers.get(subscriberId)
      if (subscriber?.status !== 'active') {
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
      // retry means the connection broke without a reply: either may have been delivered. We send again (a lost
      // digest is worse than a duplicate) and say so.
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
        const uncertain = failure.outcomeUnknown
        if (failure.kind === 'transient' && !lastAttempt) {
          await editions.setProgress(editionId, subscriberId, {
            state: 'retrying',
            at: now().toISOString(),
            attempt,
            email: subscriber.email,
            reply: failure.reply,
            code: failure.code,
            ...(uncertain || possibleDuplicate ? { uncertain: true } : {}),
          })
          options.observer?.outcome('retried')
          logger.info({ editionId, email: subscriber.email, attempt, reply: failure.reply }, 'temporary failure; will retry')
          throw error
        }
        // Bounce first: once the outcome is final no later attempt would come back to record it.
        if (failure.bounce) await subscribers.markBounced(subscriberId, failure.reply)
        await editions.setFinal(editionId, subscriberId, {
          state: 'failed',
          at: now().toISOString(),
          attempt,
          email: subscriber.email,
          reply: failure.reply,
          code: failure.code,
        })
        options.observer?.outcome('failed')
        logger.warn({ editionId, email: subscriber.email, reply: failure.reply, bounced: failure.bounce }, 'send failed permanently')
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
    return remember(this.compiledByList, key, () => this.composer.compile(posts), 64)
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
