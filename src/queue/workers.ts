import { type ConnectionOptions, type Job, type Processor, Worker } from 'bullmq'
import type { EditionStore } from '../editions/store.js'
import { siteKeys } from '../infra/keys.js'
import type { Logger } from '../log.js'
import { type EditionJobData, QUEUE_NAMES, SEND_BATCH_SIZE, type SendJobData } from './queues.js'
import type { SendObserver } from './send-job.js'

/** How workers behave; every field has a default suited to production. */
export interface WorkerTuning {
  /** Messages per second across all workers of the site (BullMQ's limiter lives in Redis); 0 = no limit. */
  readonly rateLimit?: number
  /**
   * How long a job may go without its worker renewing the lock before it counts as stalled and is handed
   * to another worker. Default 30 s. Tests use a short value to recover quickly from a killed worker.
   */
  readonly stallMs?: number
}

/** What `startWorkers` needs. */
export interface StartWorkersOptions extends WorkerTuning {
  readonly connection: ConnectionOptions
  readonly prefix: string
  readonly editions: EditionStore
  readonly fanout: Processor<EditionJobData>
  readonly send: Processor<SendJobData>
  /** Processor for scheduled runs; no runs worker when absent. */
  readonly run?: Processor
  readonly logger: Logger
  /** Told about failures recorded here (sends that failed for a reason the handler could not record). */
  readonly observer?: SendObserver
}

/**
 * How recipients are batched into send jobs for a rate limit in messages per second (0: none), and BullMQ's limiter
 * (which counts jobs): batches of `rate` recipients (at most {@link SEND_BATCH_SIZE}), one batch per
 * `batch / rate` seconds; below 1/s, one recipient per 1/rate seconds.
 */
export function sendPlan(perSecond: number): { batchSize: number; limiter: { max: number; duration: number } | null } {
  if (!perSecond) return { batchSize: SEND_BATCH_SIZE, limiter: null }
  if (perSecond < 1) return { batchSize: 1, limiter: { max: 1, duration: Math.round(1000 / perSecond) } }
  const batchSize = Math.min(SEND_BATCH_SIZE, Math.floor(perSecond))
  return { batchSize, limiter: { max: 1, duration: Math.round((1000 * batchSize) / perSecond) } }
}

/** Running workers; `close` stops taking jobs and waits for the ones in flight. */
export interface RunningWorkers {
  readonly workers: readonly Worker[]
  close(): Promise<void>
}

/** Starts BullMQ workers for the site's queues. */
export function startWorkers(options: StartWorkersOptions): RunningWorkers {
  const { connection, logger } = options
  const stallMs = options.stallMs ?? 30_000
  const common = {
    connection,
    prefix: siteKeys(options.prefix).root,
    lockDuration: stallMs,
    stalledInterval: stallMs,
    // A killed worker leaves its jobs stalled; they must go back to the queue, not fail, however often that happens.
    maxStalledCount: 1000,
  }
  const workers: Worker[] = []

  const fanout = new Worker<EditionJobData>(QUEUE_NAMES.editions, options.fanout, { ...common, concurrency: 1 })
  const { limiter } = sendPlan(options.rateLimit ?? 0)
  // Two batches at a time: while one finishes its last messages the other fills the connections (the send processor
  // itself keeps at most `concurrency` messages in flight).
  const sends = new Worker<SendJobData>(QUEUE_NAMES.sends, options.send, { ...common, concurrency: 2, ...(limiter ? { limiter } : {}) })
  workers.push(fanout, sends)
  if (options.run) workers.push(new Worker(QUEUE_NAMES.runs, options.run, { ...common, concurrency: 1 }))

  // A send job that fails for a reason the handler did not record (Redis gone mid-job, a bug) and has no attempts
  // left still gets a final outcome in the ledger, so its edition can complete and `herald run` can report it.
  sends.on('failed', (job: Job<SendJobData> | undefined, error: Error) => {
    if (!job || job.attemptsMade < (job.opts.attempts ?? 1)) return
    const { editionId, subscriberIds } = job.data
    const record = { state: 'failed' as const, at: new Date().toISOString(), attempt: job.attemptsMade, reply: error.message }
    void (async () => {
      // A paused edition keeps its recipients queued for the resume: nothing is failed for the system's fault.
      if (await options.editions.isPaused(editionId)) return
      const recorded = await options.editions.setFinalMany(
        editionId,
        subscriberIds.map((subscriberId) => ({ subscriberId, record })),
      )
      for (const done of recorded) if (done) options.observer?.outcome('failed')
    })().catch((cause: Error) => logger.error({ err: cause }, 'could not record a failed send; the next run repairs it'))
  })
  for (const worker of workers) worker.on('error', (error) => logger.error({ err: error, queue: worker.name }, 'queue worker error'))

  return {
    workers,
    async close() {
      await Promise.all(workers.map((worker) => worker.close()))
    },
  }
}
