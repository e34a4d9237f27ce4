import type { DeliveryReport } from '../../app/deliver.js'
import type { Logger } from '../../log.js'
import { type CliRuntime, println } from '../runtime.js'

/** What `run` and the repair commands print after sending: failures, paused editions, what is left for later. */
export function printDeliveryOutcome(
  runtime: CliRuntime,
  logger: Logger,
  report: DeliveryReport,
  failures: ReadonlyArray<{ subscriberId: string; email: string | null; reply: string | null }>,
): void {
  for (const failure of failures) println(runtime, `failed: ${failure.email ?? failure.subscriberId}: ${failure.reply ?? 'unknown error'}`)
  for (const edition of report.paused) {
    println(runtime, `paused: edition ${edition.id}: ${edition.pausedReason ?? 'unknown reason'}`)
    println(runtime, `  nothing more is sent to it and no subscriber was changed; fix the cause, then "herald run" again`)
  }
  const { deferred } = report
  if (deferred.count > 0) {
    const when = deferred.first
      ? deferred.last && deferred.last.getTime() !== deferred.first.getTime()
        ? ` between ${deferred.first.toISOString()} and ${deferred.last.toISOString()}`
        : ` from ${deferred.first.toISOString()}`
      : ''
    logger.warn(
      `${deferred.count} recipient(s) not sent yet (temporary failures being retried${when}): ` +
        'the next "herald run" or a running "herald worker" sends them; nothing is lost',
    )
  }
}
