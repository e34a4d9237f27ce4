import type { Processor } from 'bullmq'
import type { Logger } from '../log.js'
import { adviceFor, type SendFailure } from '../mail/errors.js'
import { transportFingerprint } from '../mail/transport.js'
import { CircuitBreaker } from '../queue/breaker.js'
import { createFanoutProcessor } from '../queue/fanout-job.js'
import { sendJobOptions } from '../queue/queues.js'
import { createSendProcessor, type SendObserver } from '../queue/send-job.js'
import { type RunningWorkers, sendPlan, startWorkers } from '../queue/workers.js'
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
    ...(options.tally ? { observer: options.tally } : {}),
    fanout: createFanoutProcessor({
      editions: services.editions,
      subscribers: services.subscribers,
      queues,
      sendOptions: sendJobOptions(config),
      sendBatchSize: sendPlan(config.email.rateLimit).batchSize,
      logger,
      signal: stopping.signal,
    }),
    send: createSendProcessor({
      editions: services.editions,
      subscribers: services.subscribers,
      history: services.history,
      composer,
      transport: services.transport(),
      locks,
      breaker: new CircuitBreaker({ redis: services.redis.redis, prefix: config.env.prefix, threshold: config.email.breakerFailures }),
      pause: (failure) => pauseOpenEditions(services, failure, logger),
      backoffMs: config.email.backoffMs,
      concurrency: options.concurrency ?? 5,
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

/** Why an edition paused, as `herald status` and the log show it: the server's reply and what to check. */
export function pauseReason(failure: SendFailure): string {
  const command = failure.command && failure.command !== 'CONN' ? ` at ${failure.command}` : ''
  return `the mail server answered${command}: "${failure.reply.replace(/\s+/g, ' ').slice(0, 300)}" (${adviceFor(failure)})`
}

/**
 * A systemic failure is the site's, not one edition's: every open edition pauses, and each process says so once for
 * each edition it paused (one clear line with the reply and what to check, never one per recipient).
 */
export async function pauseOpenEditions(services: SiteServices, failure: SendFailure, logger: Logger): Promise<void> {
  const reason = pauseReason(failure)
  const fingerprint = transportFingerprint(services.context.config)
  for (const editionId of await services.editions.openIds()) {
    if ((await services.editions.pause(editionId, reason, fingerprint)) !== 'paused') continue
    logger.error(
      { editionId, reply: failure.reply, code: failure.code },
      `edition ${editionId} paused: ${reason}. Nothing more is sent and no subscriber was changed; once fixed, ` +
        `"herald run" continues it (after a configuration change) or "herald editions resume ${editionId}" does.`,
    )
  }
}
