import type { Command } from 'commander'
import { openServices } from '../../app/services.js'
import { collectStatus } from '../../app/status.js'
import { COMMAND_HELP } from '../help.js'
import { parseWholeNumber } from '../options.js'
import { type CommandRegistry, type CommonOptions, openSite, println, withCommonOptions } from '../runtime.js'

export type { SiteStatus } from '../../app/status.js'

export function registerStatus(program: Command, registry: CommandRegistry): void {
  withCommonOptions(
    program
      .command('status')
      .description(COMMAND_HELP.status.description)
      .option('--limit <n>', 'how many editions to show', '5')
      .option('--json', 'print JSON'),
  ).action(async (options: CommonOptions & { limit: string; json?: boolean }) => {
    const limit = parseWholeNumber('--limit', options.limit, 1)
    const context = await openSite(options, registry.runtime)
    const services = await openServices(context)
    try {
      const status = await collectStatus(services, { limit, now: new Date() })
      const { runtime } = registry
      if (options.json) return println(runtime, JSON.stringify(status, null, 2))
      println(runtime, 'Editions (newest first):')
      if (status.editions.length === 0) println(runtime, '  none yet')
      for (const edition of status.editions) {
        println(
          runtime,
          `  ${edition.id}  ${edition.createdAt}  ${edition.cadence === 'instant' ? 'instant' : `${edition.cadence} ${edition.slot}`}  ` +
            `${edition.posts} post(s)  ${edition.status.padEnd(6)}  ` +
            `sent ${edition.sent}, failed ${edition.failed}, skipped ${edition.skipped}, pending ${edition.pending}` +
            (edition.retried ? `, retried ${edition.retried}` : '') +
            (edition.possibleDuplicates ? `, possible duplicates ${edition.possibleDuplicates}` : ''),
        )
        if (edition.pausedReason) println(runtime, `    PAUSED: ${edition.pausedReason}`)
      }
      println(runtime, 'Cadences:')
      for (const [cadence, about] of Object.entries(status.cadences)) {
        println(
          runtime,
          `  ${cadence.padEnd(8)} ${about.subscribers} active subscriber(s), ${about.editions} edition(s)` +
            (about.nextAt
              ? `; next due ${about.nextAt}` +
                (about.waitingPosts === null ? '' : ` with ${about.waitingPosts} post(s) announced since the last one`)
              : ''),
        )
      }
      const next = status.nextScheduledPost
      println(runtime, `Next scheduled post: ${next ? `${next.date}  ${next.title}` : 'none'}`)
      const queues = Object.entries(status.queues).map(
        ([name, counts]) =>
          `${name} ${Object.entries(counts)
            .map(([state, count]) => `${state}=${count}`)
            .join(' ')}`,
      )
      println(runtime, `Queues: ${queues.join('; ')}`)
      println(
        runtime,
        `Subscribers: ${Object.entries(status.subscribers)
          .map(([state, count]) => `${state} ${count}`)
          .join(', ')}`,
      )
    } finally {
      await services.close()
    }
  })
}
