import { DelayedError, type Job, type JobsOptions } from 'bullmq'
import { coverageOf } from '../editions/coverage.js'
import { type PostSnapshot, postsForSubscriber } from '../editions/snapshot.js'
import type { EditionStore } from '../editions/store.js'
import type { Logger } from '../log.js'
import type { Subscriber, SubscriberStore } from '../subscribers/store.js'
import { type EditionJobData, ensureJobs, type HeraldQueues, SEND_BATCH_SIZE, type SendJobData, sendJobId } from './queues.js'

/** What the fan-out needs. */
export interface FanoutOptions {
  readonly editions: EditionStore
  readonly subscribers: SubscriberStore
  readonly queues: HeraldQueues
  readonly sendOptions: JobsOptions
  readonly logger: Logger
  /** Subscribers read per page. Default 1000. */
  readonly batchSize?: number
  /** Recipients per send job. Default {@link SEND_BATCH_SIZE}. */
  readonly sendBatchSize?: number
  /** Pause adding while this many recipients wait in send jobs, so Redis memory stays flat however large the list. Default 20,000. */
  readonly highWater?: number
  readonly sleep?: (ms: number) => Promise<void>
  /** Aborted when the worker shuts down: the fan-out stops at a batch boundary and resumes later from its cursor. */
  readonly signal?: AbortSignal
}

/** Summary returned by the fan-out job. */
export interface FanoutResult {
  readonly queued: number
  readonly repaired: number
}

/**
 * The edition job: streams active subscribers by cursor (never all in memory), skips those of another cadence and
 * those for whom no new post matches their tags (editions/coverage.ts), records the rest as queued in the send ledger and adds one send job
 * each, in bulk, with ids fixed by edition and subscriber. The cursor is saved after every batch, so a
 * restarted fan-out resumes where it stopped; whatever it adds twice is ignored by id.
 */
export function createFanoutProcessor(options: FanoutOptions): (job: Job<EditionJobData>, token?: string) => Promise<FanoutResult> {
  const { editions, subscribers, queues, logger } = options
  const batchSize = options.batchSize ?? 1000
  const sendBatchSize = options.sendBatchSize ?? SEND_BATCH_SIZE
  // Waiting jobs are batches: the high-water mark is counted in recipients.
  const highWaterJobs = Math.max(1, Math.ceil((options.highWater ?? 20_000) / sendBatchSize))
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)))

  return async (job, token) => {
    const { editionId } = job.data
    const edition = await editions.get(editionId)
    if (!edition) {
      logger.warn({ editionId }, 'fan-out for an unknown edition: nothing to do')
      return { queued: 0, repaired: 0 }
    }
    // Any earlier attempt (failed, stalled, killed) may have queued recipients whose jobs never made it.
    const resumed = !(await editions.startFanout(editionId))
    // Only an edition without a range of announced posts (see coverageOf) is made of its own posts.
    const posts = edition.toSeq === null ? await editions.posts(editionId) : []
    // Announced posts after each distinct starting point (most subscribers of a cadence share one).
    const ranges = new Map<number, Promise<PostSnapshot[]>>()
    const wanted = async (subscriber: Subscriber): Promise<boolean> => {
      const coverage = coverageOf(edition, { ...subscriber, sendingIn: null })
      if (coverage.kind === 'skip') return false
      if (coverage.kind !== 'range') return postsForSubscriber(posts, subscriber.tags).length > 0
      let range = ranges.get(coverage.afterSeq)
      if (!range) {
        range = editions.announcedBetween(coverage.afterSeq, coverage.upToSeq).then((found) => found.map((post) => post.snapshot))
        ranges.set(coverage.afterSeq, range)
      }
      return postsForSubscriber(await range, subscriber.tags).length > 0
    }
    let queued = 0
    const pauseForShutdown = async () => {
      // Stop at a batch boundary (the cursor is saved) and come back later, without using up an attempt.
      await job.moveToDelayed(Date.now() + 1000, token)
      throw new DelayedError()
    }
    if (edition.status === 'paused') {
      // Resuming queues the edition again; the fan-out goes on from its cursor then.
      logger.info({ editionId }, 'edition is paused: fan-out waits for it to resume')
      return { queued: 0, repaired: 0 }
    }
    if (edition.fanout !== 'done') {
      for await (const batch of subscribers.streamActive({ batchSize, after: edition.fanoutCursor })) {
        if (await editions.isPaused(editionId)) return { queued, repaired: 0 }
        const recipients: string[] = []
        for (const subscriber of batch) if (await wanted(subscriber)) recipients.push(subscriber.id)
        while ((await queues.sends.getWaitingCount()) > highWaterJobs) {
          if (options.signal?.aborted) await pauseForShutdown()
          await sleep(200)
        }
        if (options.signal?.aborted) await pauseForShutdown()
        // Ledger first: a send that finishes at once must find its recipient counted.
        queued += await editions.queueRecipients(editionId, recipients)
        await addSends(recipients)
        await editions.setFanoutCursor(editionId, batch.at(-1)!.id)
        await job.updateProgress({ queued })
      }
    }
    // After a crash or a lost job, every recipient without a final outcome gets its send job back (no-op when it exists).
    let repaired = 0
    if (resumed) {
      for await (const records of editions.sendRecords(editionId)) {
        const open = records
          .filter(([, record]) => record.state === 'queued' || record.state === 'sending' || record.state === 'retrying')
          .map(([id]) => id)
        await addSends(open, true)
        repaired += open.length
      }
    }
    await editions.finishFanout(editionId)
    logger.info({ editionId, queued, repaired }, 'edition fanned out')
    return { queued, repaired }

    async function addSends(subscriberIds: readonly string[], repair = false): Promise<void> {
      if (subscriberIds.length === 0) return
      const jobs: Array<{ name: string; data: SendJobData; opts: JobsOptions & { jobId: string } }> = []
      for (let start = 0; start < subscriberIds.length; start += sendBatchSize) {
        const batch = subscriberIds.slice(start, start + sendBatchSize)
        jobs.push({
          name: 'send',
          data: { editionId, subscriberIds: batch },
          opts: { ...options.sendOptions, jobId: sendJobId(editionId, batch) },
        })
      }
      // First pass: plain bulk add (fast). Repair: also revive jobs that failed without a final outcome.
      if (repair) await ensureJobs(queues.sends, jobs)
      else await queues.sends.addBulk(jobs)
    }
  }
}
