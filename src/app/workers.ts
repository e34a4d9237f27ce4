import type { Processor } from 'bullmq'
import type { Logger } from '../log.js'
import { createFanoutProcessor } from '../queue/fanout-job.js'
import { sendJobOptions } from '../queue/queues.js'
import { createSendProcessor, type SendObserver } from '../queue/send-job.js'
import { type RunningWorkers, startWorkers } from '../queue/workers.js'
import type { SiteServices } from './services.js'

/** Counts of send outcomes seen by this process (summary line, /metrics). */
export class SendTally implements SendObserver {
  readonly counts = { sent: 0, failed: 0, skipped: 0, retried: 0, possible_duplicate: 0 }
  outcome(outcome: keyof SendTally['counts']): void {
    this.counts[outcome]++
  }
}

/** Options for {@link startSiteWorkers}. */
export interface SiteWorkerOptions {
  /** Send jobs at once in this process. Default 5. */
  readonly concurrency?: number
  /** Processor of scheduled runs (`herald worker` with `schedule:`); none when absent. */
  readonly run?: Processor
  readonly tally?: SendTally
  readonly logger?: Logger
}

/** Starts this process's workers for the site's queues (fan-out, sends, and scheduled runs when given). */
export async function startSiteWorkers(services: SiteServices, options: SiteWorkerOptions = {}): Promise<RunningWorkers> {
  const { config } = services.context
  const logger = options.logger ?? services.context.logger
  const locks = await services.locks()
  await locks.start()
  const [composer, queues] = await Promise.all([services.composer(), services.queues()])
  const stopping = new AbortController()
  const workers = startWorkers({
    connection: services.redis.redis,
    prefix: config.env.prefix,
    editions: services.editions,
    logger,
    stallMs: config.env.stallMs,
    rateLimit: config.email.rateLimit,
    ...(options.concurrency ? { concurrency: options.concurrency } : {}),
    ...(options.tally ? { observer: options.tally } : {}),
    fanout: createFanoutProcessor({
      editions: services.editions,
      subscribers: services.subscribers,
      queues,
      sendOptions: sendJobOptions(config),
      logger,
      signal: stopping.signal,
    }),
    send: createSendProcessor({
      editions: services.editions,
      subscribers: services.subscribers,
      composer,
      transport: services.transport(),
      locks,
      logger,
      ...(options.tally ? { observer: options.tally } : {}),
    }),
    ...(options.run ? { run: options.run } : {}),
  })
  return {
    workers: workers.workers,
    async close() {
      stopping.abort()
      await workers.close()
      await locks.stop()
    },
  }
}
