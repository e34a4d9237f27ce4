import { Counter, Gauge, Registry } from 'prom-client'
import type { BounceStore } from '../bounces/store.js'
import type { EditionStore } from '../editions/store.js'
import type { Logger } from '../log.js'
import type { CycleStatsStore } from '../publishing/cycle-stats.js'
import type { HeraldQueues } from '../queue/queues.js'
import { SUBSCRIBER_STATUSES, type SubscriberStore } from '../subscribers/store.js'

const JOB_STATES = ['waiting', 'active', 'delayed', 'failed', 'prioritized'] as const
/** A scrape must answer even when Redis does not: each metric gets this long to read its figures. */
const COLLECT_DEADLINE_MS = 1500

type Labels = Record<string, string>
type Sample = { readonly labels?: Labels; readonly value: number }

/**
 * A metric read from Redis when `/metrics` is scraped, so every web process reports the site-wide figures. A read
 * that fails or takes too long leaves the metric without samples (and is logged) instead of failing the scrape.
 */
function readAtScrape(
  registry: Registry,
  logger: Logger,
  kind: 'gauge' | 'counter',
  definition: { name: string; help: string; labelNames?: readonly string[] },
  read: () => Promise<readonly Sample[]>,
): void {
  const collect = async function (this: Gauge | Counter): Promise<void> {
    this.reset()
    let samples: readonly Sample[]
    try {
      samples = await withDeadline(read(), COLLECT_DEADLINE_MS)
    } catch (error) {
      logger.warn(`metrics: ${definition.name} not collected: ${(error as Error).message}`)
      return
    }
    for (const sample of samples) {
      if (this instanceof Gauge) this.set(sample.labels ?? {}, sample.value)
      else this.inc(sample.labels ?? {}, sample.value)
    }
  }
  const options = { ...definition, labelNames: [...(definition.labelNames ?? [])], registers: [registry], collect }
  if (kind === 'gauge') new Gauge(options)
  else new Counter(options)
}

function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)
    timer.unref()
  })
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer))
}

/** The registry `/metrics` renders (Prometheus text format 0.0.4). */
export function createMetricsRegistry(): Registry {
  return new Registry()
}

/** `herald_subscribers{status}`: subscribers by status. */
export function registerSubscriberMetrics(registry: Registry, store: SubscriberStore, logger: Logger): void {
  readAtScrape(
    registry,
    logger,
    'gauge',
    { name: 'herald_subscribers', help: 'Subscribers by status.', labelNames: ['status'] },
    async () => {
      const counts = await store.counts()
      return SUBSCRIBER_STATUSES.map((status) => ({ labels: { status }, value: counts[status] }))
    },
  )
}

/** The pipeline's metrics: sends by outcome, editions, queue depth, the last publish cycle. */
export function registerPipelineMetrics(
  registry: Registry,
  sources: { editions: EditionStore; queues: HeraldQueues; cycles: CycleStatsStore },
  logger: Logger,
): void {
  const collect = (
    kind: 'gauge' | 'counter',
    name: string,
    help: string,
    labelNames: readonly string[],
    read: () => Promise<readonly Sample[]>,
  ) => readAtScrape(registry, logger, kind, { name, help, labelNames }, read)
  // Sends by outcome are counted by the send ledger's scripts, not by whichever process sent.
  collect(
    'counter',
    'herald_sends_total',
    'Digest sends by outcome: sent, failed, skipped, retried (temporary failures), ' +
      'possible_duplicate (resent after a crash in the accept/record window).',
    ['outcome'],
    async () => Object.entries(await sources.editions.sendTotals()).map(([outcome, value]) => ({ labels: { outcome }, value })),
  )
  collect('counter', 'herald_editions_total', 'Editions created, by cadence (instant, daily, weekly).', ['cadence'], async () =>
    Object.entries(await sources.editions.countByCadence()).map(([cadence, value]) => ({ labels: { cadence }, value })),
  )
  collect('gauge', 'herald_editions_open', 'Editions not finished sending, by cadence.', ['cadence'], async () =>
    Object.entries(await sources.editions.openByCadence()).map(([cadence, value]) => ({ labels: { cadence }, value })),
  )
  collect('gauge', 'herald_queue_jobs', 'Jobs in the queues by state (queue depth).', ['queue', 'state'], async () => {
    const samples: Sample[] = []
    for (const [name, queue] of [
      ['editions', sources.queues.editions],
      ['sends', sources.queues.sends],
      ['runs', sources.queues.runs],
    ] as const) {
      const counts = await queue.getJobCounts(...JOB_STATES)
      for (const state of JOB_STATES) samples.push({ labels: { queue: name, state }, value: counts[state] ?? 0 })
    }
    return samples
  })
  const lastCycle = async <T>(pick: (last: NonNullable<Awaited<ReturnType<CycleStatsStore['last']>>>) => T[]): Promise<T[]> => {
    const last = await sources.cycles.last()
    return last ? pick(last) : []
  }
  collect('gauge', 'herald_last_run_duration_seconds', 'Duration of the last publish cycle (posts, feeds, edition).', [], () =>
    lastCycle((last) => [{ value: last.durationMs / 1000 }]),
  )
  collect('gauge', 'herald_last_run_timestamp_seconds', 'When the last publish cycle ran (Unix time).', [], () =>
    lastCycle((last) => [{ value: Math.floor(last.at.getTime() / 1000) }]),
  )
  collect('gauge', 'herald_posts', 'Posts by state at the last publish cycle.', ['state'], () =>
    lastCycle((last) => [
      { labels: { state: 'live' }, value: last.postsLive },
      { labels: { state: 'scheduled' }, value: last.postsScheduled },
      { labels: { state: 'skipped' }, value: last.postsSkipped },
    ]),
  )
  collect('gauge', 'herald_feeds_last_run', 'Feed files written, unchanged and failed at the last publish cycle.', ['result'], () =>
    lastCycle((last) => [
      { labels: { result: 'written' }, value: last.feedsWritten },
      { labels: { result: 'unchanged' }, value: last.feedsUnchanged },
      { labels: { result: 'failed' }, value: last.feedsFailed },
    ]),
  )
}

/**
 * Returned mail, counted site-wide in Redis by whichever process took it in (the SMTP listener, `herald bounces ingest`,
 * a webhook): `herald_bounces_total{kind,source}` (hard, soft, policy, delayed, auto_reply, unknown),
 * `herald_complaints_total{source}`, and `herald_bounce_outcomes_total{outcome}` (what they did, or why nothing).
 */
export function registerBounceMetrics(registry: Registry, store: BounceStore, logger: Logger): void {
  const totals = async (kind: 'bounces' | 'complaints' | 'outcomes'): Promise<Sample[]> => {
    const samples: Sample[] = []
    for (const [field, value] of Object.entries(await store.totals())) {
      const [group, first, second] = field.split(':')
      if (kind === 'outcomes' && group === 'outcome' && first) samples.push({ labels: { outcome: first }, value })
      if (group !== 'kind' || !first || !second) continue
      if (kind === 'complaints' && first === 'complaint') samples.push({ labels: { source: second }, value })
      if (kind === 'bounces' && first !== 'complaint') samples.push({ labels: { kind: first, source: second }, value })
    }
    return samples
  }
  readAtScrape(
    registry,
    logger,
    'counter',
    {
      name: 'herald_bounces_total',
      help: 'Returned mail other than complaints, by kind (hard, soft, policy, delayed, auto_reply, unknown) and source.',
      labelNames: ['kind', 'source'],
    },
    () => totals('bounces'),
  )
  readAtScrape(
    registry,
    logger,
    'counter',
    { name: 'herald_complaints_total', help: 'Complaints (ARF abuse reports, webhook spam reports) by source.', labelNames: ['source'] },
    () => totals('complaints'),
  )
  readAtScrape(
    registry,
    logger,
    'counter',
    {
      name: 'herald_bounce_outcomes_total',
      help:
        'What returned mail did: bounced, unsubscribed, counted, held, discarded, recorded; or why it changed nothing: ' +
        'unattributed, not_sent, no_subscriber, duplicate.',
      labelNames: ['outcome'],
    },
    () => totals('outcomes'),
  )
}
