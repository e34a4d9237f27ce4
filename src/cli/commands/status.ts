import type { Command } from 'commander'
import { nextScheduled } from '../../publishing/live.js'
import type { CommandRegistry } from '../main.js'
import { loadAndReport } from '../../app/site-posts.js'
import { openSite, println, withCommonOptions, type CommonOptions } from '../runtime.js'
import { openDigestServices, type DigestServices } from '../../app/services.js'

/** Everything `herald status` reports, as `--json` prints it. */
export interface SiteStatus {
  editions: Array<{ id: string; createdAt: string; posts: number; status: string; expected: number; sent: number; failed: number; skipped: number; pending: number; retried: number; possibleDuplicates: number }>
  nextScheduledPost: { title: string; date: string; file: string } | null
  queues: Record<string, Record<string, number>>
  subscribers: Record<string, number>
}

export function registerStatus(program: Command, registry: CommandRegistry): void {
  withCommonOptions(
    program
      .command('status')
      .description('Show the last editions (posts, sent, failed, pending), the next scheduled post, queue counts and subscribers by status.')
      .option('--limit <n>', 'how many editions to show', '5')
      .option('--json', 'print JSON'),
  ).action(async (options: CommonOptions & { limit: string; json?: boolean }) => {
    const context = openSite(options, registry.runtime)
    const services = await openDigestServices(context)
    try {
      const { collection } = await loadAndReport(context, new Date())
      const next = nextScheduled(collection.posts, new Date())
      const status = await collectStatus(services, Math.max(1, Number(options.limit) || 5))
      status.nextScheduledPost = next ? { title: next.title, date: next.date.iso, file: next.file } : null
      const { runtime } = registry
      if (options.json) return println(runtime, JSON.stringify(status, null, 2))
      println(runtime, 'Editions (newest first):')
      if (status.editions.length === 0) println(runtime, '  none yet')
      for (const edition of status.editions) {
        println(
          runtime,
          `  ${edition.id}  ${edition.createdAt}  ${edition.posts} post(s)  ${edition.status.padEnd(4)}  sent ${edition.sent}, failed ${edition.failed}, skipped ${edition.skipped}, pending ${edition.pending}` +
            (edition.retried ? `, retried ${edition.retried}` : '') +
            (edition.possibleDuplicates ? `, possible duplicates ${edition.possibleDuplicates}` : ''),
        )
      }
      println(runtime, `Next scheduled post: ${status.nextScheduledPost ? `${status.nextScheduledPost.date}  ${status.nextScheduledPost.title}` : 'none'}`)
      println(runtime, `Queues: ${Object.entries(status.queues).map(([name, counts]) => `${name} ${Object.entries(counts).map(([state, count]) => `${state}=${count}`).join(' ')}`).join('; ')}`)
      println(runtime, `Subscribers: ${Object.entries(status.subscribers).map(([state, count]) => `${state} ${count}`).join(', ')}`)
    } finally {
      await services.close()
    }
  })
}

/** Editions, queue counts and subscriber counts from Redis (also used by `/metrics`). */
export async function collectStatus(services: Pick<DigestServices, 'editions' | 'queues' | 'subscribers'>, limit: number): Promise<SiteStatus> {
  const editions = await services.editions.recent(limit)
  const states = ['waiting', 'active', 'delayed', 'failed', 'completed', 'prioritized'] as const
  const [editionsQueue, sendsQueue] = await Promise.all([services.queues.editions.getJobCounts(...states), services.queues.sends.getJobCounts(...states)])
  const counts = await services.subscribers.counts()
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
    })),
    nextScheduledPost: null,
    queues: { editions: editionsQueue, sends: sendsQueue },
    subscribers: { ...counts },
  }
}
