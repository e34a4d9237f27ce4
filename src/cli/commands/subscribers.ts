import { createReadStream } from 'node:fs'
import { userInfo } from 'node:os'
import path from 'node:path'
import { type Command, Option } from 'commander'
import { withServices } from '../../app/services.js'
import { siteTags } from '../../app/site-posts.js'
import { ExitCode, HeraldError } from '../../errors.js'
import { atomicWriteStream } from '../../infra/atomic-file.js'
import { exportSubscribers, type ImportChange, importSubscribers } from '../../subscribers/csv.js'
import type { SubscriberEvent } from '../../subscribers/history.js'
import { IMPORT_FORMATS, IMPORT_SOURCES } from '../../subscribers/imports.js'
import {
  CADENCES,
  type Cadence,
  SUBSCRIBER_STATUSES,
  type Subscriber,
  type SubscriberStatus,
  type SubscriberStore,
} from '../../subscribers/store.js'
import { splitTags } from '../../subscribers/tags.js'
import { COMMAND_HELP } from '../help.js'
import { parseChoice, parseNow } from '../options.js'
import { type CommandRegistry, type CommonOptions, openSite, println, type SiteContext, UsageError, withCommonOptions } from '../runtime.js'

/** One row of `herald subscribers list --json`: stable keys for scripts. */
export interface SubscriberListing {
  id: string
  email: string
  status: SubscriberStatus
  tags: string[]
  cadence: string
  created: string
  confirmed: string | null
  unsubscribed: string | null
  unsubscribeReason: string | null
  bounced: string | null
  bounceReason: string | null
  reactivatedAt: string | null
  reactivatedBy: string | null
  consent: { source: string; at: string; ip: string | null; userAgent: string | null }
}

export function registerSubscribers(program: Command, registry: CommandRegistry): void {
  const runtime = registry.runtime
  const group = program.command('subscribers').description(COMMAND_HELP.subscribers.description)

  withCommonOptions(
    group
      .command('add')
      .description('Add a subscriber; pending (a confirmation email is sent) unless --confirmed.')
      .argument('<email>', 'email address')
      .option('--tags <list>', 'only posts with one of these tags, comma-separated (default: every post)')
      .addOption(
        new Option(
          '--cadence <cadence>',
          'an email per run with new posts, or a daily or weekly digest (default: email.default_cadence)',
        ).choices(CADENCES),
      )
      .option('--confirmed', 'add as active without double opt-in (you vouch for consent)'),
  ).action(async (email: string, options: CommonOptions & { tags?: string; cadence?: Cadence; confirmed?: boolean }) => {
    const context = await openSite(options, runtime)
    const tags = options.tags === undefined ? undefined : splitTags(options.tags, ',')
    await withServices(context, async ({ subscriptions, subscribers: store, transport }) => {
      // A pending subscriber needs its confirmation email: refuse before storing anything when mail cannot leave.
      if (!options.confirmed) transport()
      let result: Awaited<ReturnType<typeof subscriptions.subscribe>>
      try {
        result = await subscriptions.subscribe({
          email,
          ...(tags ? { tags } : {}),
          ...(options.cadence ? { cadence: options.cadence } : {}),
          confirmed: Boolean(options.confirmed),
          consent: { source: 'cli' },
        })
      } catch (error) {
        if (error instanceof HeraldError && error.code === 'SUBSCRIBER_INVALID')
          throw new UsageError(`${JSON.stringify(email)}: ${error.message}`)
        throw error
      }
      let { subscriber } = result
      if (result.outcome === 'active' && (tags || options.cadence)) {
        await store.setPreferences(subscriber.id, { ...(tags ? { tags } : {}), ...(options.cadence ? { cadence: options.cadence } : {}) })
        subscriber = (await store.get(subscriber.id)) ?? subscriber
      }
      const note = {
        created: 'added',
        activated: 'confirmed',
        pending: 'already pending',
        active: 'already active',
        resubscribed: 'subscribed again',
      }[result.outcome]
      if (result.confirmation === 'due') {
        const sent = await subscriptions.sendConfirmation(subscriber)
        println(runtime, `${subscriber.email}: ${note} (pending); confirmation email sent (${sent.response})`)
      } else if (result.confirmation === 'cooling-down') {
        println(runtime, `${subscriber.email}: ${note} (pending); a confirmation email went out less than 10 minutes ago, not sent again`)
      } else {
        println(runtime, `${subscriber.email}: ${note} (${subscriber.status})`)
      }
    })
  })

  withCommonOptions(
    group
      .command('reactivate')
      .description(
        'Undo mistaken bounces (a misconfigured mail server, not dead addresses): bounced → active, consent kept, who and when noted.',
      )
      .argument('[emails...]', 'addresses to reactivate')
      .option('--bounced-since <date>', 'every subscriber bounced at or after this moment (ISO 8601), e.g. since a bad deployment')
      .option('--by <name>', 'who reactivates (noted on each subscriber); default: the user running the command'),
  ).action(async (emails: string[], options: CommonOptions & { bouncedSince?: string; by?: string }) => {
    if (emails.length === 0 && options.bouncedSince === undefined)
      throw new UsageError('give the addresses to reactivate, or --bounced-since DATE')
    const since = options.bouncedSince === undefined ? null : parseNow(options.bouncedSince, '--bounced-since')
    const by = options.by ?? userInfo().username
    const context = await openSite(options, runtime)
    await withServices(context, async ({ subscribers: store }) => {
      const ids = new Set<string>()
      for (const email of emails) ids.add((await findByEmail(store, email)).id)
      if (since !== null) {
        for await (const batch of store.stream('bounced')) {
          for (const subscriber of batch)
            if (subscriber.bouncedAt && Date.parse(subscriber.bouncedAt) >= since.getTime()) ids.add(subscriber.id)
        }
      }
      let reactivated = 0
      for (const id of ids) {
        const subscriber = await store.get(id)
        const result = await store.reactivate(id, by)
        if (result.outcome === 'changed') reactivated++
        const note = result.outcome === 'changed' ? 'active again' : `left as it is (${result.previous ?? 'removed'}, not bounced)`
        println(runtime, `${subscriber?.email ?? id}: ${note}`)
      }
      println(runtime, `${reactivated} subscriber(s) reactivated by ${by}`)
    })
  })

  withCommonOptions(
    group
      .command('show')
      .description('One subscriber: status, consent, and what came back from their mail (bounces, complaints, auto-replies).')
      .argument('<email>', 'email address')
      .option('--json', 'print JSON'),
  ).action(async (email: string, options: CommonOptions & { json?: boolean }) => {
    const context = await openSite(options, runtime)
    await withServices(context, async ({ subscribers: store, history }) => {
      const subscriber = await findByEmail(store, email)
      const events = await history.list(subscriber.id)
      if (options.json) return println(runtime, JSON.stringify({ ...toListing(subscriber), events }, null, 2))
      printSubscriber(context, subscriber, events)
    })
  })

  withCommonOptions(
    group.command('remove').description('Delete a subscriber and everything kept about them.').argument('<email>', 'email address'),
  ).action(async (email: string, options: CommonOptions) => {
    const context = await openSite(options, runtime)
    await withServices(context, async ({ subscribers: store }) => {
      const subscriber = await findByEmail(store, email)
      await store.remove(subscriber.id)
      println(runtime, `${subscriber.email}: removed`)
    })
  })

  withCommonOptions(
    group
      .command('list')
      .description('List subscribers (streamed; every status unless --status).')
      .option('--status <status>', `only this status (${SUBSCRIBER_STATUSES.join(', ')})`)
      .option('--json', 'print a JSON array (stable keys) instead of a table'),
  ).action(async (options: CommonOptions & { status?: string; json?: boolean }) => {
    const statuses = selectStatuses(options.status)
    const context = await openSite(options, runtime)
    await withServices(context, async ({ subscribers: store }) => {
      let count = 0
      if (options.json) runtime.stdout.write('[')
      else println(runtime, ['STATUS', 'EMAIL', 'TAGS', 'CREATED'].join('\t'))
      for (const status of statuses) {
        for await (const batch of store.stream(status)) {
          const rows = batch.map((subscriber, index) =>
            options.json
              ? `${count + index === 0 ? '' : ','}\n  ${JSON.stringify(toListing(subscriber))}`
              : `${[subscriber.status, subscriber.email, subscriber.tags.join(',') || '*', subscriber.createdAt].join('\t')}\n`,
          )
          count += batch.length
          runtime.stdout.write(rows.join(''))
        }
      }
      if (options.json) println(runtime, count === 0 ? ']' : '\n]')
    })
  })

  withCommonOptions(group.command('count').description('Count subscribers by status.').option('--json', 'print a JSON object')).action(
    async (options: CommonOptions & { json?: boolean }) => {
      const context = await openSite(options, runtime)
      await withServices(context, async ({ subscribers: store }) => {
        const counts = await store.counts()
        if (options.json) println(runtime, JSON.stringify(counts))
        else for (const [status, count] of Object.entries(counts)) println(runtime, `${status.padEnd(13)}${count}`)
      })
    },
  )

  withCommonOptions(
    group
      .command('import')
      .description(
        'Import subscribers from CSV: Herald\'s own (header row; email, optional tags separated by ";", status), or another ' +
          "tool's export with --from. Safe to repeat.",
      )
      .argument('<file>', 'CSV file')
      .option('--from <tool>', `another tool's export: ${IMPORT_SOURCES.join(', ')} (its own columns and statuses)`)
      .option('--dry-run', 'print what would change, row by row, and change nothing'),
  ).action(async (file: string, options: CommonOptions & { from?: string; dryRun?: boolean }) => {
    const source = options.from === undefined ? undefined : parseChoice('--from', options.from.toLowerCase(), IMPORT_SOURCES)
    const context = await openSite(options, runtime)
    const absolute = path.resolve(runtime.cwd, file)
    const dryRun = Boolean(options.dryRun)
    // Another tool's labels become tag filters only when they name a tag of the blog (see importSubscribers).
    const knownTags = source ? (await siteTags(context)).all : []
    await withServices(context, async ({ subscribers: store, history }) => {
      const report = await importSubscribers({
        store,
        history,
        input: createReadStream(absolute),
        ...(source ? { format: IMPORT_FORMATS[source] } : {}),
        fileName: path.basename(absolute),
        dryRun,
        knownTags,
      })
      for (const column of report.ignoredColumns) context.logger.warn(`${file}: ignored unknown column ${JSON.stringify(column)}`)
      if (dryRun) for (const change of report.changes) println(runtime, `${file}:${change.line}: ${describeChange(change)}`)
      else for (const problem of report.refused) context.logger.warn(`${file}:${problem.line}: ${problem.message}`)
      for (const problem of report.skipped) println(runtime, `${file}:${problem.line}: skipped: ${problem.message}`)
      if (report.droppedLabels.length > 0) {
        context.logger.warn(
          `${file}: labels that name no tag of the blog's posts were not made tag filters (a filter matching no post would stop ` +
            `those subscribers' email): ${report.droppedLabels.join(', ')}`,
        )
      }
      for (const problem of report.errors) runtime.stderr.write(`${file}:${problem.line}: ${problem.message}\n`)
      const would = dryRun ? 'would be ' : ''
      println(
        runtime,
        `${file}: ${report.created} ${would}added, ${report.updated} ${would}updated, ` +
          `${report.unchanged + report.refused.length} unchanged, ${report.skipped.length ? `${report.skipped.length} skipped, ` : ''}` +
          `${report.errors.length} line${report.errors.length === 1 ? '' : 's'} with errors` +
          (dryRun ? ' (dry run: nothing was changed)' : ''),
      )
      if (report.errors.length > 0) registry.exitCode = ExitCode.failure
    })
  })

  withCommonOptions(
    group
      .command('export')
      .description('Export every subscriber, consent included, as CSV that "import" restores (stdout without FILE).')
      .argument('[file]', 'CSV file to write (replaced atomically)'),
  ).action(async (file: string | undefined, options: CommonOptions) => {
    const context = await openSite(options, runtime)
    await withServices(context, async ({ subscribers: store, history }) => {
      if (!file) {
        await exportSubscribers({ store, history, output: runtime.stdout })
        return
      }
      const output = await atomicWriteStream(path.resolve(runtime.cwd, file), { mode: 0o600 })
      try {
        const count = await exportSubscribers({ store, history, output: output.stream })
        await output.commit()
        context.logger.info(`exported ${count} subscribers to ${file}`)
      } catch (error) {
        await output.abort()
        throw error
      }
    })
  })
}

async function findByEmail(store: SubscriberStore, email: string): Promise<Subscriber> {
  let subscriber: Subscriber | null
  try {
    subscriber = await store.getByEmail(email)
  } catch (error) {
    if (error instanceof HeraldError && error.code === 'SUBSCRIBER_INVALID')
      throw new UsageError(`${JSON.stringify(email)}: ${error.message}`)
    throw error
  }
  if (!subscriber) throw new HeraldError('SUBSCRIBER_NOT_FOUND', `no subscriber with the address ${email}`)
  return subscriber
}

/** One row of a dry run: `ada@example.org: would add (active; consent 2023-03-14T09:14:02Z; tags: VIP)`. */
function describeChange(change: ImportChange): string {
  const details = [
    change.to,
    ...(change.consentAt ? [`consent ${change.consentAt}`] : []),
    ...(change.tags?.length ? [`tags: ${change.tags.join(', ')}`] : []),
    ...(change.note ? [change.note] : []),
  ].join('; ')
  switch (change.outcome) {
    case 'created':
      return `${change.email}: would add (${details})`
    case 'updated':
      return `${change.email}: would update (${change.from === change.to ? change.to : `${change.from} → ${change.to}`})`
    case 'unchanged':
      return `${change.email}: unchanged (${change.from})`
    case 'refused':
      return `${change.email}: kept ${change.from} (an import never re-subscribes someone who left or bounced)`
  }
}

function printSubscriber(context: SiteContext, subscriber: Subscriber, events: readonly SubscriberEvent[]): void {
  const { runtime } = context
  const line = (label: string, value: string | null) => {
    if (value) println(runtime, `${label.padEnd(14)}${value}`)
  }
  line('email', subscriber.email)
  line('status', subscriber.status)
  line('tags', subscriber.tags.join(', ') || '* (every post)')
  line('cadence', subscriber.cadence)
  line('created', subscriber.createdAt)
  line('confirmed', subscriber.confirmedAt)
  line('unsubscribed', subscriber.unsubscribedAt && `${subscriber.unsubscribedAt} (${subscriber.unsubscribeReason ?? 'request'})`)
  line('bounced', subscriber.bouncedAt && `${subscriber.bouncedAt}: ${subscriber.bounceReason ?? ''}`)
  line('reactivated', subscriber.reactivatedAt && `${subscriber.reactivatedAt} by ${subscriber.reactivatedBy ?? '?'}`)
  const { consent } = subscriber
  line('consent', [consent.source, consent.at, consent.ip, consent.userAgent].filter(Boolean).join(', '))
  println(runtime)
  if (events.length === 0) {
    println(runtime, 'No returned mail.')
    return
  }
  println(runtime, 'Returned mail (newest first):')
  println(runtime, ['TIME', 'KIND', 'STATUS', 'SOURCE', 'EDITION', 'OUTCOME', 'DIAGNOSTIC'].join('\t'))
  for (const event of events) {
    const cells = [event.at, event.kind, event.status ?? '-', event.source, event.editionId ?? '-', event.outcome, event.diagnostic]
    println(runtime, cells.join('\t'))
  }
}

function selectStatuses(status: string | undefined): readonly SubscriberStatus[] {
  return status === undefined ? SUBSCRIBER_STATUSES : [parseChoice('--status', status, SUBSCRIBER_STATUSES)]
}

function toListing(subscriber: Subscriber): SubscriberListing {
  return {
    id: subscriber.id,
    email: subscriber.email,
    status: subscriber.status,
    tags: [...subscriber.tags],
    cadence: subscriber.cadence,
    created: subscriber.createdAt,
    confirmed: subscriber.confirmedAt,
    unsubscribed: subscriber.unsubscribedAt,
    unsubscribeReason: subscriber.unsubscribeReason,
    bounced: subscriber.bouncedAt,
    bounceReason: subscriber.bounceReason,
    reactivatedAt: subscriber.reactivatedAt,
    reactivatedBy: subscriber.reactivatedBy,
    consent: { ...subscriber.consent },
  }
}
