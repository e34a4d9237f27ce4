import type { Command } from 'commander'
import { deliverEditions } from '../../app/deliver.js'
import { runPublishCycle } from '../../app/publish-cycle.js'
import { openServices } from '../../app/services.js'
import { SendTally } from '../../app/workers.js'
import type { Edition } from '../../editions/store.js'
import { ExitCode } from '../../errors.js'
import { onStopSignal } from '../../infra/signals.js'
import { COMMAND_HELP } from '../help.js'
import { parseNow, parseWholeNumber } from '../options.js'
import { createProgress } from '../progress.js'
import { type CommandRegistry, type CommonOptions, openSite, println, withCommonOptions } from '../runtime.js'
import { printDeliveryOutcome } from './delivery-output.js'

interface RunOptions extends CommonOptions {
  now?: string
  wait: boolean
  announceLatest?: string
  recordOnly?: boolean
  concurrency?: string
}

export function registerRun(program: Command, registry: CommandRegistry): void {
  withCommonOptions(
    program
      .command('run')
      .description(COMMAND_HELP.run.description)
      .option('--now <iso>', 'act as if it were this moment (a scheduled post is new once its date has passed)')
      .option('--no-wait', 'queue the edition and exit; `herald worker` processes send it')
      .option('--announce-latest <n>', 'on first activation (empty ledger), mail the newest N live posts instead of none')
      .option('--record-only', 'record the new posts as announced without mailing them (after a change of site.url or permalinks)')
      .option('--concurrency <n>', 'messages sent at once by this process (default: the SMTP pool size)', '5'),
  ).action(async (options: RunOptions) => {
    const started = performance.now()
    const now = parseNow(options.now)
    const announceLatest = options.announceLatest === undefined ? undefined : parseWholeNumber('--announce-latest', options.announceLatest)
    const concurrency = parseWholeNumber('--concurrency', options.concurrency ?? '5', 1)
    const context = await openSite(options, registry.runtime)
    const { logger, config } = context
    if (!config.email.postalAddress) {
      logger.warn(
        'email.postal_address is empty: anti-spam laws (CAN-SPAM, GDPR notices) ask for a postal address in every bulk email footer',
      )
    }
    const services = await openServices(context)
    try {
      const postsProgress = createProgress(registry.runtime, 'posts')
      const cycle = await runPublishCycle(services, {
        now,
        ...(announceLatest !== undefined ? { announceLatest } : {}),
        recordOnly: Boolean(options.recordOnly),
        onProgress: postsProgress.update,
      })
      postsProgress.stop()
      const { feeds } = cycle.build
      const editionId = cycle.announce.edition?.editionId ?? null
      if (cycle.announce.edition) {
        logger.info(
          { editionId, posts: cycle.announce.edition.feedIds },
          `new edition ${editionId} with ${cycle.announce.edition.feedIds.length} post(s)`,
        )
      } else logger.info('no new posts to announce')

      let editions: readonly Edition[] = []
      let paused: readonly Edition[] = []
      let deferred = 0
      const tally = new SendTally()
      let interrupted = false
      if (options.wait && cycle.openEditions.length > 0) {
        const stop = new AbortController()
        const removeHandlers = onStopSignal((signal) => {
          logger.warn(`${signal}: finishing the messages in flight, then stopping (run again to continue; nothing is lost)`)
          interrupted = true
          stop.abort()
        })
        const sendProgress = createProgress(registry.runtime, 'emails')
        try {
          const report = await deliverEditions(services, cycle.openEditions, {
            concurrency,
            tally,
            waitMs: config.email.runWaitMs,
            signal: stop.signal,
            onProgress: sendProgress.update,
          })
          editions = report.editions
          paused = report.paused
          deferred = report.deferred.count
          printDeliveryOutcome(registry.runtime, logger, report, await services.editions.failuresOf(report.editions))
        } finally {
          sendProgress.stop()
          removeHandlers()
        }
      }
      const stillPaused = [...new Set([...cycle.paused, ...paused.map((edition) => edition.id)])]
      for (const id of cycle.paused) {
        const edition = await services.editions.get(id)
        println(registry.runtime, `paused: edition ${id}: ${edition?.pausedReason ?? 'unknown reason'}; fix it, then run again`)
      }

      const totals = editions.reduce(
        (sum, edition) => ({ sent: sum.sent + edition.sent, failed: sum.failed + edition.failed, skipped: sum.skipped + edition.skipped }),
        { sent: 0, failed: 0, skipped: 0 },
      )
      const summary = {
        postsLive: cycle.posts.live,
        postsNew: cycle.announce.edition?.feedIds.length ?? 0,
        postsScheduled: cycle.posts.scheduled,
        postsSkipped: cycle.posts.skipped,
        feedsWritten: feeds.written.length,
        feedsUnchanged: feeds.unchanged.length,
        feedsFailed: feeds.failed.length,
        edition: editionId,
        editionsProcessed: editions.length,
        editionsPaused: stillPaused.length,
        sent: totals.sent,
        failed: totals.failed,
        skipped: totals.skipped,
        deferred,
        retried: tally.counts.retried,
        possibleDuplicates: tally.counts.possible_duplicate,
        durationMs: Math.round(performance.now() - started),
      }
      logger.info(
        summary,
        `run: posts ${summary.postsLive} live, ${summary.postsNew} new` +
          `${summary.postsSkipped ? `, ${summary.postsSkipped} skipped` : ''}; ` +
          `feeds ${summary.feedsWritten} written, ${summary.feedsUnchanged} unchanged; edition ${editionId ?? 'none'}; ` +
          `emails ${summary.sent} sent, ${summary.failed} failed, ${summary.retried} retried` +
          `${deferred ? `, ${deferred} deferred` : ''}${stillPaused.length ? `, ${stillPaused.length} edition(s) PAUSED` : ''}` +
          `${options.wait ? '' : ' (queued: --no-wait)'}; ${summary.durationMs} ms`,
      )
      registry.exitCode =
        interrupted || feeds.failed.length > 0 || cycle.announce.refused
          ? ExitCode.failure
          : stillPaused.length > 0
            ? ExitCode.editionPaused
            : totals.failed > 0
              ? ExitCode.recipientsFailed
              : deferred > 0
                ? ExitCode.sendsDeferred
                : cycle.posts.skipped > 0
                  ? ExitCode.postErrors
                  : ExitCode.ok
    } finally {
      await services.close()
    }
  })
}
