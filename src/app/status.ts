import { editionSchedule, nextSlot } from '../editions/schedule.js'
import { nextScheduled } from '../publishing/live.js'
import type { Cadence } from '../subscribers/store.js'
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
    cadence: Cadence
    /** Local date a daily or weekly edition fell due. */
    slot: string | null
  }>
  /** Per cadence: active subscribers, editions made, and for daily and weekly when the next one is due. */
  cadences: Record<
    Cadence,
    {
      subscribers: number
      editions: number
      /** Posts announced since the last edition of this cadence (what the next one will hold, before tag filters). */
      waitingPosts: number | null
      nextAt: string | null
      lastSlot: string | null
    }
  >
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
  const [editions, editionsQueue, sendsQueue, counts, byCadence, editionCounts, sequence] = await Promise.all([
    services.editions.recent(options.limit),
    queues.editions.getJobCounts(...JOB_STATES),
    queues.sends.getJobCounts(...JOB_STATES),
    services.subscribers.counts(),
    services.subscribers.activeByCadence(),
    services.editions.countByCadence(),
    services.announcements.sequence(),
  ])
  const { config } = services.context
  const schedule = editionSchedule(config)
  const periodic = async (cadence: 'daily' | 'weekly') => {
    const state = await services.editions.cadenceState(cadence)
    return {
      subscribers: byCadence[cadence],
      editions: editionCounts[cadence],
      waitingPosts: state ? Math.max(0, sequence - state.toSeq) : null,
      nextAt: nextSlot(cadence, options.now, schedule).at.toISOString(),
      lastSlot: state?.slot ?? null,
    }
  }
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
      cadence: edition.cadence,
      slot: edition.slot,
    })),
    cadences: {
      instant: { subscribers: byCadence.instant, editions: editionCounts.instant, waitingPosts: null, nextAt: null, lastSlot: null },
      daily: await periodic('daily'),
      weekly: await periodic('weekly'),
    },
    nextScheduledPost: next ? { title: next.title, date: next.date.iso, file: next.file } : null,
    queues: { editions: editionsQueue, sends: sendsQueue },
    subscribers: { ...counts },
  }
}
