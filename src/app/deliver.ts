import type { Edition } from '../editions/store.js'
import { enqueueEdition } from '../queue/queues.js'
import type { SiteServices } from './services.js'
import { waitForEditions } from './wait-editions.js'
import { type SendTally, startSiteWorkers } from './workers.js'

/** Options for {@link deliverEditions}. */
export interface DeliverOptions {
  /** Sends at once in this process. Default 5. */
  readonly concurrency?: number
  readonly tally?: SendTally
  /** Longest to wait (`email.run_wait_s`); retries still pending then are left to the next run or a worker. */
  readonly waitMs: number
  /** Stops waiting early (Ctrl-C): what is in flight finishes, nothing is lost. */
  readonly signal?: AbortSignal
  readonly onProgress?: (finished: number, expected: number) => void
}

/** Recipients left for later: queued, or waiting for a retry, in editions that are not paused. */
export interface Deferred {
  readonly count: number
  /** When the earliest and the latest of their next attempts are due (null when unknown, e.g. not tried yet). */
  readonly first: Date | null
  readonly last: Date | null
}

/** What {@link deliverEditions} saw when it stopped waiting. */
export interface DeliveryReport {
  readonly editions: readonly Edition[]
  readonly paused: readonly Edition[]
  readonly deferred: Deferred
  /** It stopped because `waitMs` passed with sends still pending. */
  readonly timedOut: boolean
}

/**
 * Sends the given editions with this process's workers (what `herald run` and the repair commands do without a
 * separate worker): waits until every one is done or paused, or `waitMs` passes, then stops the workers after the
 * messages in flight and reports what is left for later.
 */
export async function deliverEditions(services: SiteServices, ids: readonly string[], options: DeliverOptions): Promise<DeliveryReport> {
  const workers = await startSiteWorkers(services, {
    ...(options.concurrency ? { concurrency: options.concurrency } : {}),
    ...(options.tally ? { tally: options.tally } : {}),
  })
  const deadline = AbortSignal.timeout(Math.max(1, options.waitMs))
  const stop = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline
  let editions: Edition[]
  try {
    const queues = await services.queues()
    editions = await waitForEditions(services.editions, ids, {
      signal: stop,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      // A job lost to a crash elsewhere, or failed for good, would leave its edition open forever: re-queueing is
      // idempotent and revives such jobs (the fan-out then repairs the recipients it finds unfinished).
      requeue: async () => {
        for (const id of await services.editions.openIds()) {
          if (ids.includes(id) && !(await services.editions.isPaused(id))) await enqueueEdition(queues, id)
        }
      },
    })
  } finally {
    await workers.close()
  }
  // Read again after the workers stopped: the messages that were in flight have their outcomes now.
  editions = (await Promise.all(ids.map((id) => services.editions.get(id)))).filter((edition): edition is Edition => edition !== null)
  const sending = editions.filter((edition) => edition.status === 'open')
  return {
    editions,
    paused: editions.filter((edition) => edition.status === 'paused'),
    deferred: await deferredIn(services, sending),
    timedOut: deadline.aborted && sending.length > 0,
  }
}

async function deferredIn(services: SiteServices, editions: readonly Edition[]): Promise<Deferred> {
  let count = 0
  let first: number | null = null
  let last: number | null = null
  for (const edition of editions) {
    for await (const records of services.editions.sendRecords(edition.id)) {
      for (const [, record] of records) {
        if (record.state === 'sent' || record.state === 'failed' || record.state === 'skipped') continue
        count++
        const due = record.nextAttemptAt ? Date.parse(record.nextAttemptAt) : null
        if (due !== null) {
          first = first === null ? due : Math.min(first, due)
          last = last === null ? due : Math.max(last, due)
        }
      }
    }
    // Recipients the fan-out has not reached yet are deferred too.
    if (edition.fanout !== 'done') count += Math.max(0, (await services.subscribers.counts()).active - edition.expected)
  }
  return { count, first: first === null ? null : new Date(first), last: last === null ? null : new Date(last) }
}
