import type { Command } from 'commander'
import { type DeliveryReport, deliverEditions } from '../../app/deliver.js'
import { type RepairResult, resumeEdition, retryFailedSends } from '../../app/repair.js'
import { type SiteServices, withServices } from '../../app/services.js'
import { SendTally } from '../../app/workers.js'
import type { Edition } from '../../editions/store.js'
import { ExitCode } from '../../errors.js'
import { onStopSignal } from '../../infra/signals.js'
import { COMMAND_HELP } from '../help.js'
import { parseWholeNumber } from '../options.js'
import { type CommandRegistry, type CommonOptions, openSite, println, type SiteContext, withCommonOptions } from '../runtime.js'
import { printDeliveryOutcome } from './delivery-output.js'

/** One edition as `herald editions list --json` and `show --json` print it. */
export interface EditionListing {
  id: string
  createdAt: string
  completedAt: string | null
  status: Edition['status']
  posts: number
  expected: number
  sent: number
  failed: number
  skipped: number
  pending: number
  retried: number
  possibleDuplicates: number
  pausedReason: string | null
  pausedAt: string | null
}

interface SendingOptions extends CommonOptions {
  wait: boolean
  concurrency: string
}

export function registerEditions(program: Command, registry: CommandRegistry): void {
  const { runtime } = registry
  const group = program.command('editions').description(COMMAND_HELP.editions.description)

  withCommonOptions(
    group
      .command('list')
      .description('The newest editions with their counts.')
      .option('--limit <n>', 'how many', '20')
      .option('--json', 'print JSON'),
  ).action(async (options: CommonOptions & { limit: string; json?: boolean }) => {
    const limit = parseWholeNumber('--limit', options.limit, 1)
    await withServices(await openSite(options, runtime), async (services) => {
      const editions = (await services.editions.recent(limit)).map(toListing)
      if (options.json) return println(runtime, JSON.stringify(editions, null, 2))
      if (editions.length === 0) println(runtime, 'no editions yet')
      for (const edition of editions) println(runtime, formatLine(edition))
    })
  })

  withCommonOptions(
    group
      .command('show')
      .description('One edition: counts, why it is paused, failed recipients.')
      .argument('<id>', 'edition id')
      .option('--json', 'print JSON'),
  ).action(async (id: string, options: CommonOptions & { json?: boolean }) => {
    await withServices(await openSite(options, runtime), async (services) => {
      const edition = await services.editions.get(id)
      if (!edition) {
        runtime.stderr.write(`herald: no edition ${id} (herald editions list shows them)\n`)
        registry.exitCode = ExitCode.failure
        return
      }
      const failures = await services.editions.failures(id)
      const posts = (await services.editions.posts(id)).map((post) => ({ title: post.title, url: post.permalink }))
      if (options.json) return println(runtime, JSON.stringify({ ...toListing(edition), posts, failures }, null, 2))
      println(runtime, formatLine(toListing(edition)))
      if (edition.pausedReason) println(runtime, `  paused since ${edition.pausedAt?.toISOString()}: ${edition.pausedReason}`)
      for (const post of posts) println(runtime, `  post: ${post.title}  ${post.url}`)
      for (const failure of failures)
        println(runtime, `  failed: ${failure.email ?? failure.subscriberId}: ${failure.reply ?? 'unknown error'}`)
    })
  })

  const sending = (command: Command) =>
    withCommonOptions(
      command
        .option('--no-wait', 'queue the sends and exit; a running `herald worker` sends them')
        .option('--concurrency <n>', 'messages sent at once by this process', '5'),
    )

  sending(
    group
      .command('resume')
      .description(
        'Continue a paused edition where it stopped (checks the mail server first): nobody gets a second copy, nobody is skipped.',
      )
      .argument('<id>', 'edition id'),
  ).action(async (id: string, options: SendingOptions) => {
    await repairAndSend(await openSite(options, runtime), registry, id, options, resumeEdition)
  })

  sending(
    group
      .command('retry-failed')
      .description('Send again to the recipients whose sends failed (never to those already sent), e.g. after a server outage.')
      .argument('<id>', 'edition id'),
  ).action(async (id: string, options: SendingOptions) => {
    await repairAndSend(await openSite(options, runtime), registry, id, options, retryFailedSends)
  })
}

async function repairAndSend(
  context: SiteContext,
  registry: CommandRegistry,
  id: string,
  options: SendingOptions,
  repair: (services: SiteServices, id: string) => Promise<RepairResult>,
): Promise<void> {
  const concurrency = parseWholeNumber('--concurrency', options.concurrency, 1)
  await withServices(context, async (services) => {
    const result = await repair(services, id)
    const what = [result.resumed ? 'resumed' : null, result.requeued ? `${result.requeued} failed send(s) queued again` : null].filter(
      Boolean,
    )
    println(registry.runtime, `edition ${id}: ${what.length ? what.join(', ') : 'queued (it was not paused)'}`)
    if (!options.wait) return
    const stop = new AbortController()
    const removeHandlers = onStopSignal(() => stop.abort())
    let report: DeliveryReport
    try {
      report = await deliverEditions(services, [id], {
        concurrency,
        tally: new SendTally(),
        waitMs: context.config.email.runWaitMs,
        signal: stop.signal,
      })
    } finally {
      removeHandlers()
    }
    printDeliveryOutcome(registry.runtime, context.logger, report, await services.editions.failuresOf(report.editions))
    const edition = report.editions[0]
    if (edition) println(registry.runtime, formatLine(toListing(edition)))
    registry.exitCode = report.paused.length
      ? ExitCode.editionPaused
      : (edition?.failed ?? 0) > 0
        ? ExitCode.recipientsFailed
        : report.deferred.count > 0
          ? ExitCode.sendsDeferred
          : ExitCode.ok
  })
}

function toListing(edition: Edition): EditionListing {
  return {
    id: edition.id,
    createdAt: edition.createdAt.toISOString(),
    completedAt: edition.completedAt?.toISOString() ?? null,
    status: edition.status,
    posts: edition.postCount,
    expected: edition.expected,
    sent: edition.sent,
    failed: edition.failed,
    skipped: edition.skipped,
    pending: Math.max(0, edition.expected - edition.sent - edition.failed - edition.skipped),
    retried: edition.retried,
    possibleDuplicates: edition.possibleDuplicates,
    pausedReason: edition.pausedReason,
    pausedAt: edition.pausedAt?.toISOString() ?? null,
  }
}

function formatLine(edition: EditionListing): string {
  return (
    `${edition.id}  ${edition.createdAt}  ${edition.posts} post(s)  ${edition.status.padEnd(6)}  ` +
    `sent ${edition.sent}, failed ${edition.failed}, skipped ${edition.skipped}, pending ${edition.pending}` +
    (edition.retried ? `, retried ${edition.retried}` : '') +
    (edition.possibleDuplicates ? `, possible duplicates ${edition.possibleDuplicates}` : '')
  )
}
