import type { EditionStore } from '../editions/store.js'
import type { MetricsRegistry } from '../http/metrics.js'
import type { CycleStatsStore } from '../publishing/cycle-stats.js'
import type { HeraldQueues } from '../queue/queues.js'

const JOB_STATES = ['waiting', 'active', 'delayed', 'failed', 'prioritized'] as const

/**
 * The pipeline's metrics, read from Redis at scrape time so that every web process reports the site-wide
 * figures (sends by outcome are counted by the send ledger's scripts, not by whichever process sent).
 */
export function registerPipelineMetrics(registry: MetricsRegistry, sources: { editions: EditionStore; queues: HeraldQueues; cycles: CycleStatsStore }): void {
  registry.register({
    name: 'herald_sends_total',
    help: 'Digest sends by outcome: sent, failed, skipped, retried (temporary failures), possible_duplicate (resent after a crash in the accept/record window).',
    type: 'counter',
    collect: async () => Object.entries(await sources.editions.sendTotals()).map(([outcome, value]) => ({ labels: { outcome }, value })),
  })
  registry.register({
    name: 'herald_editions_total',
    help: 'Editions created.',
    type: 'counter',
    collect: async () => [{ value: await sources.editions.count() }],
  })
  registry.gauge('herald_editions_open', 'Editions not finished sending.', async () => [{ value: (await sources.editions.openIds()).length }])
  registry.gauge('herald_queue_jobs', 'Jobs in the queues by state (queue depth).', async () => {
    const samples = []
    for (const [name, queue] of [['editions', sources.queues.editions], ['sends', sources.queues.sends], ['runs', sources.queues.runs]] as const) {
      const counts = await queue.getJobCounts(...JOB_STATES)
      for (const state of JOB_STATES) samples.push({ labels: { queue: name, state }, value: counts[state] ?? 0 })
    }
    return samples
  })
  registry.gauge('herald_last_run_duration_seconds', 'Duration of the last publish cycle (posts, feeds, edition).', async () => {
    const last = await sources.cycles.last()
    return last ? [{ value: last.durationMs / 1000 }] : []
  })
  registry.gauge('herald_last_run_timestamp_seconds', 'When the last publish cycle ran (Unix time).', async () => {
    const last = await sources.cycles.last()
    return last ? [{ value: Math.floor(last.at.getTime() / 1000) }] : []
  })
  registry.gauge('herald_posts', 'Posts by state at the last publish cycle.', async () => {
    const last = await sources.cycles.last()
    return last
      ? [
          { labels: { state: 'live' }, value: last.postsLive },
          { labels: { state: 'scheduled' }, value: last.postsScheduled },
          { labels: { state: 'skipped' }, value: last.postsSkipped },
        ]
      : []
  })
  registry.gauge('herald_feeds_last_run', 'Feed files written, unchanged and failed at the last publish cycle.', async () => {
    const last = await sources.cycles.last()
    return last
      ? [
          { labels: { result: 'written' }, value: last.feedsWritten },
          { labels: { result: 'unchanged' }, value: last.feedsUnchanged },
          { labels: { result: 'failed' }, value: last.feedsFailed },
        ]
      : []
  })
}
