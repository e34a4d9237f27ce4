import { createHash } from 'node:crypto'
import { type ConnectionOptions, type JobsOptions, Queue } from 'bullmq'
import type { Config } from '../config.js'
import { siteKeys } from '../infra/keys.js'

/** Queue names (under BullMQ's `prefix`, which is the site's hash-tagged prefix, e.g. `{herald}:sends:…`). */
export const QUEUE_NAMES = {
  /** One job per edition: fans out to send jobs. */
  editions: 'editions',
  /** One job per recipient of an edition. */
  sends: 'sends',
  /** Scheduled `run`s (`schedule:` in herald.yml). */
  runs: 'runs',
} as const

/** Data of an edition (fan-out) job: ids only; the handler reloads the rest. */
export interface EditionJobData {
  readonly editionId: string
}

/**
 * Data of a send job: a batch of recipients of one edition, ids only; the handler reloads the subscribers and the
 * edition. Each recipient keeps its own send-ledger record, lock and retry.
 */
export interface SendJobData {
  readonly editionId: string
  readonly subscriberIds: readonly string[]
}

/** Recipients per send job: enough to spread BullMQ's and Redis's work per job thinly, few enough to retry cheaply. */
export const SEND_BATCH_SIZE = 50

/** The three queues of one site. */
export interface HeraldQueues {
  readonly editions: Queue<EditionJobData>
  readonly sends: Queue<SendJobData>
  readonly runs: Queue
  close(): Promise<void>
}

/** BullMQ job ids may not contain ':'; ours are made of hex ids and '-'. */
export const editionJobId = (editionId: string) => `edition-${editionId}`
/** A batch's id comes from its recipients: the same batch added twice (a repaired fan-out) is one job. */
export const sendJobId = (editionId: string, subscriberIds: readonly string[]) =>
  `${editionId}-${createHash('sha1').update(subscriberIds.join(',')).digest('hex').slice(0, 20)}`

/** Send job options: retries with exponential backoff for transient failures; the send ledger keeps the history. */
export function sendJobOptions(config: Config): JobsOptions {
  return {
    attempts: config.email.attempts,
    backoff: { type: 'exponential', delay: config.email.backoffMs },
    removeOnComplete: true,
    removeOnFail: { age: 14 * 86_400 },
  }
}

/**
 * Opens the site's queues on a shared connection (BullMQ duplicates it where it needs blocking commands). `onError`
 * hears about connection problems (Redis away); without a listener BullMQ would print each one to the console.
 */
export function openQueues(connection: ConnectionOptions, prefix: string, onError: (error: Error) => void = () => {}): HeraldQueues {
  const root = siteKeys(prefix).root
  const options = { connection, prefix: root }
  const editions = new Queue<EditionJobData>(QUEUE_NAMES.editions, {
    ...options,
    defaultJobOptions: {
      attempts: 10,
      backoff: { type: 'exponential', delay: 2000 },
      removeOnComplete: true,
      removeOnFail: { age: 30 * 86_400 },
    },
  })
  const sends = new Queue<SendJobData>(QUEUE_NAMES.sends, options)
  const runs = new Queue(QUEUE_NAMES.runs, { ...options, defaultJobOptions: { removeOnComplete: 100, removeOnFail: 100 } })
  for (const queue of [editions, sends, runs]) queue.on('error', onError)
  return {
    editions,
    sends,
    runs,
    async close() {
      await Promise.all([editions.close(), sends.close(), runs.close()])
    },
  }
}

/** A job to make sure of: added when missing, retried when it failed for good, left alone otherwise. */
export interface WantedJob<T> {
  readonly name: string
  readonly data: T
  readonly opts: JobsOptions & { jobId: string }
}

/**
 * Makes sure each job is in the queue: BullMQ's `add` with an existing id returns the old job whatever its
 * state, so a job that already failed for good would never run again. Those are retried (with fresh attempts);
 * waiting, active and delayed jobs are left alone. Used when re-queueing open editions and repairing fan-outs.
 */
export async function ensureJobs<T>(queue: Queue<T>, wanted: readonly WantedJob<T>[]): Promise<void> {
  if (wanted.length === 0) return
  const existing = await Promise.all(wanted.map((job) => queue.getJob(job.opts.jobId)))
  const missing = wanted.filter((_, index) => !existing[index])
  if (missing.length > 0) await queue.addBulk(missing.map((job) => ({ name: job.name, data: job.data, opts: job.opts })) as never)
  for (const job of existing) {
    // Another process may retry the same job at the same moment; losing that race is fine.
    if (job && (await job.isFailed())) await job.retry('failed', { resetAttemptsMade: true }).catch(() => {})
  }
}

/** Queues the fan-out of an edition. Idempotent: an edition already queued (or running) is not queued twice. */
export async function enqueueEdition(queues: HeraldQueues, editionId: string): Promise<void> {
  await ensureJobs(queues.editions, [{ name: 'fanout', data: { editionId }, opts: { jobId: editionJobId(editionId) } }])
}
