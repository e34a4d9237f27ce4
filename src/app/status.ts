import { nextScheduled } from '../publishing/live.js'
import type { SiteServices } from './services.js'
import { loadAndReport } from './site-posts.js'

/** Everything `herald status` reports, as `--json` prints it. */
export interface SiteStatus {
  editions: Array<{
    id: string
    createdAt: string
    posts: number
    status: string
    expected: number
    sent: number
    failed: number
    skipped: number
    pending: number
    retried: number
    possibleDuplicates: number
    /** Why a paused edition paused: the server's reply and what to check. */
    pausedReason: string | null
  }>
  nextScheduledPost: { title: string; date: string; file: string } | null
  queues: Record<string, Record<string, number>>
  subscribers: Record<string, number>
}

const JOB_STATES = ['waiting', 'active', 'delayed', 'failed', 'completed', 'prioritized'] as const

/** The last editions, the next scheduled post, queue counts and subscriber counts. */
export async function collectStatus(services: SiteServices, options: { limit: number; now: Date }): Promise<SiteStatus> {
  const { collection } = await loadAndReport(services.context, options.now)
  const next = nextScheduled(collection.posts, options.now)
  const queues = await services.queues()
  const [editions, editionsQueue, sendsQueue, counts] = await Promise.all([
    services.editions.recent(options.limit),
    queues.editions.getJobCounts(...JOB_STATES),
    queues.sends.getJobCounts(...JOB_STATES),
    services.subscribers.counts(),
  ])
  return {
    editions: editions.map((edition) => ({
      id: edition.id,
      createdAt: edition.createdAt.toISOString(),
      posts: edition.postCount,
      status: edition.status,
      expected: edition.expected,
      sent: edition.sent,
      failed: edition.failed,
      skipped: edition.skipped,
      pending: Math.max(0, edition.expected - edition.sent - edition.failed - edition.skipped),
      retried: edition.retried,
      possibleDuplicates: edition.possibleDuplicates,
      pausedReason: edition.pausedReason,
    })),
    nextScheduledPost: next ? { title: next.title, date: next.date.iso, file: next.file } : null,
    queues: { editions: editionsQueue, sends: sendsQueue },
    subscribers: { ...counts },
  }
}
