import type { Processor } from 'bullmq'
import type { Logger } from '../log.js'
import { createFanoutProcessor } from '../queue/fanout-job.js'
import { sendJobOptions } from '../queue/queues.js'
import { createSendProcessor, type SendObserver } from '../queue/send-job.js'
import { startWorkers, type RunningWorkers } from '../queue/workers.js'
import type { SiteContext } from '../cli/runtime.js'
import type { DigestServices } from './services.js'

/** Counts of send outcomes seen by this process (summary line, /metrics). */
export class SendTally implements SendObserver {
  readonly counts = { sent: 0, failed: 0, skipped: 0, retried: 0, possible_duplicate: 0 }
  outcome(outcome: keyof SendTally['counts']): void {
    this.counts[outcome]++
  }
}

/** Starts this process's workers for the site's queues; `run` adds the scheduled-run worker. */
export async function startSiteWorkers(
  context: SiteContext,
  services: DigestServices,
  options: { concurrency?: number; run?: Processor; tally?: SendTally; logger?: Logger },
): Promise<RunningWorkers> {
  const { config } = context
  const logger = options.logger ?? context.logger
  const locks = services.locks()
  await locks.start()
  const composer = await services.composer()
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
    fanout: createFanoutProcessor({ editions: services.editions, subscribers: services.subscribers, queues: services.queues, sendOptions: sendJobOptions(config), logger, signal: stopping.signal }),
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
