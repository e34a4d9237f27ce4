import { Queue, type ConnectionOptions, type JobsOptions } from 'bullmq'
import type { Config } from '../config.js'
import { keySpace } from '../keys.js'

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

/** Data of a send job: ids only; the handler reloads the subscriber and the edition. */
export interface SendJobData {
  readonly editionId: string
  readonly subscriberId: string
}

/** The three queues of one site. */
export interface HeraldQueues {
  readonly editions: Queue<EditionJobData>
  readonly sends: Queue<SendJobData>
  readonly runs: Queue
  close(): Promise<void>
}

/** BullMQ job ids may not contain ':'; ours are made of hex ids and '-'. */
export const editionJobId = (editionId: string) => `edition-${editionId}`
export const sendJobId = (editionId: string, subscriberId: string) => `${editionId}-${subscriberId}`

/** Send job options: retries with exponential backoff for transient failures; the send ledger keeps the history. */
export function sendJobOptions(config: Config): JobsOptions {
  return {
    attempts: config.email.attempts,
    backoff: { type: 'exponential', delay: config.email.backoffMs },
    removeOnComplete: true,
    removeOnFail: { age: 14 * 86_400 },
  }
}

/** Opens the site's queues on a shared connection (BullMQ duplicates it where it needs blocking commands). */
export function openQueues(connection: ConnectionOptions, prefix: string): HeraldQueues {
  const root = keySpace(prefix).root
  const options = { connection, prefix: root }
  const editions = new Queue<EditionJobData>(QUEUE_NAMES.editions, {
    ...options,
    defaultJobOptions: { attempts: 10, backoff: { type: 'exponential', delay: 2000 }, removeOnComplete: true, removeOnFail: { age: 30 * 86_400 } },
  })
  const sends = new Queue<SendJobData>(QUEUE_NAMES.sends, options)
  const runs = new Queue(QUEUE_NAMES.runs, { ...options, defaultJobOptions: { removeOnComplete: 100, removeOnFail: 100 } })
  return {
    editions,
    sends,
    runs,
    async close() {
      await Promise.all([editions.close(), sends.close(), runs.close()])
    },
  }
}

/** Queues the fan-out of an edition. Idempotent: an edition already queued (or running) is not queued twice. */
export async function enqueueEdition(queues: HeraldQueues, editionId: string): Promise<void> {
  await queues.editions.add('fanout', { editionId }, { jobId: editionJobId(editionId) })
}
