import type { Command } from 'commander'
import { verifyMailTransport } from '../../app/preflight.js'
import { runPublishCycle } from '../../app/publish-cycle.js'
import { openServices } from '../../app/services.js'
import { SendTally, startSiteWorkers } from '../../app/workers.js'
import { ExitCode } from '../../errors.js'
import { waitForStopSignal } from '../../infra/signals.js'
import { enqueueEdition } from '../../queue/queues.js'
import { COMMAND_HELP } from '../help.js'
import { parseWholeNumber } from '../options.js'
import { type CommandRegistry, type CommonOptions, openSite, println, withCommonOptions } from '../runtime.js'

/** Id of the BullMQ job scheduler that runs `herald run` on the `schedule:` pattern. */
export const RUN_SCHEDULER_ID = 'herald-run'

export function registerWorker(program: Command, registry: CommandRegistry): void {
  withCommonOptions(
    program
      .command('worker')
      .description(COMMAND_HELP.worker.description)
      .option('--concurrency <n>', 'messages sent at once by this process (default: the SMTP pool size)', '5'),
  ).action(async (options: CommonOptions & { concurrency: string }) => {
    const concurrency = parseWholeNumber('--concurrency', options.concurrency, 1)
    const context = await openSite(options, registry.runtime)
    const { config, logger } = context
    const services = await openServices(context)
    try {
      // A worker that cannot send would only fail or pause what it takes: refuse to start instead (exit 2).
      await verifyMailTransport(services)
      const tally = new SendTally()
      const workers = await startSiteWorkers(services, {
        concurrency,
        tally,
        run: async () => {
          const cycle = await runPublishCycle(services, { now: new Date() })
          const edition = cycle.announce.edition
          logger.info(
            { edition: edition?.editionId ?? null, postsNew: edition?.feedIds.length ?? 0, feedsWritten: cycle.build.feeds.written.length },
            edition ? `scheduled run: edition ${edition.editionId} queued` : 'scheduled run: nothing new',
          )
          return { edition: edition?.editionId ?? null }
        },
      })
      const queues = await services.queues()
      if (config.schedule) {
        await queues.runs.upsertJobScheduler(
          RUN_SCHEDULER_ID,
          { pattern: config.schedule, tz: config.site.timezone },
          { name: 'run', data: {} },
        )
        logger.info(`scheduled runs: "${config.schedule}" (${config.site.timezone})`)
      } else {
        await queues.runs.removeJobScheduler(RUN_SCHEDULER_ID)
      }
      // Editions left open by a crashed run or worker are picked up again (queueing is idempotent).
      for (const editionId of await services.editions.openIds()) await enqueueEdition(queues, editionId)
      const workerId = (await services.locks()).workerId
      println(
        registry.runtime,
        `herald: worker ${workerId} started ` +
          `(concurrency ${concurrency}${config.email.rateLimit ? `, ${config.email.rateLimit} msg/s` : ''})`,
      )

      const signal = await waitForStopSignal()
      logger.info(`${signal}: no new jobs; finishing the ones in flight`)
      await workers.close()
      logger.info(
        { ...tally.counts },
        `worker stopped: ${tally.counts.sent} sent, ${tally.counts.failed} failed, ${tally.counts.retried} retried`,
      )
      registry.exitCode = ExitCode.ok
    } finally {
      await services.close()
    }
  })
}
