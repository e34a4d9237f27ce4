import { HeraldError } from '../errors.js'
import { CircuitBreaker } from '../queue/breaker.js'
import { enqueueEdition } from '../queue/queues.js'
import { verifyMailTransport } from './preflight.js'
import type { SiteServices } from './services.js'

/** What a repair did before sending. */
export interface RepairResult {
  /** The edition was paused and is open again. */
  readonly resumed: boolean
  /** Recipients whose failed sends were queued again (`retry-failed`). */
  readonly requeued: number
}

/**
 * `herald editions resume ID`: checks that mail can leave, opens the paused edition again and queues it; the fan-out's
 * repair gives every recipient without a final outcome its send job back, so nobody gets a second copy (the send ledger
 * says who has one) and nobody is skipped.
 */
export async function resumeEdition(services: SiteServices, editionId: string): Promise<RepairResult> {
  await requireEdition(services, editionId)
  await verifyMailTransport(services)
  const resumed = await services.editions.resume(editionId)
  if (resumed) await new CircuitBreaker({ redis: services.redis.redis, prefix: services.context.config.env.prefix }).reset()
  await enqueueEdition(await services.queues(), editionId)
  return { resumed, requeued: 0 }
}

/**
 * `herald editions retry-failed ID`: the recipients whose sends failed are queued again (never those already sent or
 * skipped), and the edition is resumed if it was paused.
 */
export async function retryFailedSends(services: SiteServices, editionId: string): Promise<RepairResult> {
  await requireEdition(services, editionId)
  await verifyMailTransport(services)
  const requeued = await services.editions.retryFailed(editionId)
  const resumed = await services.editions.resume(editionId)
  await enqueueEdition(await services.queues(), editionId)
  return { resumed, requeued }
}

async function requireEdition(services: SiteServices, editionId: string): Promise<void> {
  if (!(await services.editions.get(editionId))) {
    throw new HeraldError('EDITION_NOT_FOUND', `no edition ${editionId} (herald editions list shows them)`)
  }
}
