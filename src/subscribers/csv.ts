import { once } from 'node:events'
import type { Readable } from 'node:stream'
import { finished } from 'node:stream/promises'
import { parse } from 'csv-parse'
import { stringify } from 'csv-stringify'
import { HeraldError } from '../errors.js'
import { unescapeFormula } from './formula.js'
import { parseEvents, type SubscriberEvent, type SubscriberHistory } from './history.js'
import type { ImportFormat } from './imports.js'
import {
  type ConsentSource,
  checkCadence,
  checkReason,
  SUBSCRIBER_STATUSES,
  type Subscriber,
  type SubscriberRecord,
  type SubscriberStatus,
  type SubscriberStore,
} from './store.js'

/** Columns of an export, in order. Import accepts any subset that includes `email`. */
export const CSV_COLUMNS = [
  'email',
  'status',
  'tags',
  'cadence',
  'created_at',
  'confirmed_at',
  'unsubscribed_at',
  'bounced_at',
  'bounce_reason',
  'consent_source',
  'consent_at',
  'consent_ip',
  'consent_user_agent',
  'reactivated_at',
  'reactivated_by',
  'unsubscribe_reason',
  'events',
] as const
type Column = (typeof CSV_COLUMNS)[number]

/** Separates tags inside the `tags` cell (a comma would clash with the CSV delimiter). */
export const CSV_TAG_SEPARATOR = ';'

/** A line of an import file that was not imported, and why. */
export interface ImportProblem {
  /** 1-based line number in the file (the header is line 1). */
  readonly line: number
  readonly message: string
}

/** One row's effect, for `--dry-run` (and anyone who wants to print it). */
export interface ImportChange {
  readonly line: number
  readonly email: string
  readonly outcome: 'created' | 'updated' | 'unchanged' | 'refused'
  /** Status before (null: a new address) and the status the row asks for. */
  readonly from: SubscriberStatus | null
  readonly to: SubscriberStatus
  /** Tags the row sets, when it sets any. */
  readonly tags?: readonly string[]
  readonly consentAt: string | null
  readonly note?: string
}

/** What an import did (or, with `dryRun`, would do). */
export interface ImportReport {
  readonly created: number
  readonly updated: number
  readonly unchanged: number
  /** Rows left out on purpose (another tool's states that are not subscriptions: deletion requests, spam flags). */
  readonly skipped: ImportProblem[]
  /** Labels of another tool that name no tag of the blog's posts, so they were not made tag filters. */
  readonly droppedLabels: string[]
  readonly changes: ImportChange[]
  /** Rows that asked to move a subscriber back (e.g. unsubscribed → active): left as they are. */
  readonly refused: ImportProblem[]
  /** Rows that could not be read; every other row was imported. */
  readonly errors: ImportProblem[]
  /** Header columns Herald does not know (ignored). */
  readonly ignoredColumns: string[]
}

const IN_FLIGHT = 100

/** Options for {@link importSubscribers}. */
export interface ImportOptions {
  readonly store: SubscriberStore
  readonly input: Readable
  /** Another tool's export (`--from`); default Herald's own CSV. */
  readonly format?: ImportFormat
  /** The file's name: Mailchimp tells its statuses apart by file (`cleaned_…`, `unsubscribed_…`). */
  readonly fileName?: string
  /** Decide every row's outcome and change nothing. */
  readonly dryRun?: boolean
  /**
   * The blog's live tags. Another tool's labels become the subscriber's tag filter only when they name one of these: a
   * filter that matches no post would stop the subscriber's email altogether. Default none (no label is kept).
   */
  readonly knownTags?: readonly string[]
  /** Where the `events` column of Herald's own export goes back to (returned-mail history). Default: dropped. */
  readonly history?: SubscriberHistory
}

/**
 * Imports subscribers from CSV: Herald's own (header row; `email` required; `tags` separated by `;`; `status` default
 * `active`, since an imported list is one whose consent the operator vouches for), or another tool's export with its
 * own columns and statuses (`format`). A bad line is reported with its line number and the rest are imported;
 * importing the same file twice changes nothing. With `history`, the `events` column of a subscriber the import
 * creates becomes their history (an existing subscriber's history is never rewritten).
 */
export async function importSubscribers(options: ImportOptions): Promise<ImportReport> {
  const report = {
    created: 0,
    updated: 0,
    unchanged: 0,
    skipped: [] as ImportProblem[],
    droppedLabels: [] as string[],
    changes: [] as ImportChange[],
    refused: [] as ImportProblem[],
    errors: [] as ImportProblem[],
    ignoredColumns: [] as string[],
  }
  const knownTags = new Map((options.knownTags ?? []).map((tag) => [tag.toLowerCase(), tag]))
  const dropped = new Set<string>()
  // csv-parse counts a CRLF inside quotes as two lines; count from the raw text the way editors do. The
  // callbacks run in file order (unlike the 'skip' event, which overtakes records still buffered).
  let consumedLines = 0
  const startLine = (raw: string) => {
    const line = consumedLines + leadingBlankLines(raw) + 1
    consumedLines += lineBreaks(raw)
    return line
  }
  const parser = parse({
    bom: true,
    raw: true,
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    trim: true,
    // With `raw`, csv-parse hands {record, raw} to on_record; its typings do not model that.
    on_record: ((value: { record: string[]; raw: string }) => ({ record: value.record, line: startLine(value.raw) })) as never,
    on_skip: (error, raw) => {
      report.errors.push({
        line: startLine(raw ?? ''),
        message: `not valid CSV: ${(error?.message ?? 'unreadable line').replace(/ at line \d+.*$/, '')}`,
      })
      return undefined
    },
  })
  options.input.on('error', (error) => parser.destroy(error))
  options.input.pipe(parser)

  let header: (Column | null)[] | null = null
  let names: string[] | null = null
  let batch: Promise<void>[] = []
  for await (const { record, line } of parser as AsyncIterable<{ record: string[]; line: number }>) {
    if (header === null && names === null) {
      if (options.format) names = readForeignHeader(record, options.format)
      else header = readHeader(record, report.ignoredColumns)
      continue
    }
    let subscriberRecord: SubscriberRecord & { events: SubscriberEvent[] }
    let note: string | undefined
    try {
      if (names && options.format) {
        const row = new Map(names.map((name, index) => [name, (record[index] ?? '').trim()]))
        const foreign = options.format.toRecord(row, options.fileName ?? '')
        if ('skip' in foreign) {
          report.skipped.push({
            line,
            message: `${row.get('email') || row.get('email address') || row.get('email_address') || '?'}: ${foreign.skip}`,
          })
          continue
        }
        const labels = foreign.labels.map((label) => label.trim()).filter(Boolean)
        const tags = labels.map((label) => knownTags.get(label.toLowerCase())).filter((tag): tag is string => tag !== undefined)
        for (const label of labels) if (!knownTags.has(label.toLowerCase())) dropped.add(label)
        subscriberRecord = { ...foreign.record, ...(tags.length > 0 ? { tags } : {}), events: [] }
        note = foreign.note
        if (!subscriberRecord.email) throw new HeraldError('SUBSCRIBER_INVALID', 'no email address in this row', { field: 'email' })
      } else {
        subscriberRecord = toRecord(header!, record)
      }
    } catch (error) {
      report.errors.push({ line, message: messageOf(error) })
      continue
    }
    batch.push(
      options.store.importRecord(subscriberRecord, { dryRun: options.dryRun ?? false }).then(
        async ({ id, email, outcome, previous }) => {
          report.changes.push({
            line,
            email,
            outcome,
            from: previous,
            to: subscriberRecord.status ?? 'active',
            ...(subscriberRecord.tags ? { tags: subscriberRecord.tags } : {}),
            consentAt: subscriberRecord.consent?.at ?? subscriberRecord.createdAt ?? null,
            ...(note ? { note } : {}),
          })
          if (outcome === 'refused')
            report.refused.push({ line, message: `${email}: kept as it is; an import never re-subscribes someone who left or bounced` })
          else report[outcome]++
          if (outcome === 'created' && !options.dryRun && options.history && subscriberRecord.events.length > 0)
            await options.history.restore(id, subscriberRecord.events)
        },
        (error: unknown) => void report.errors.push({ line, message: messageOf(error) }),
      ),
    )
    if (batch.length >= IN_FLIGHT) {
      await Promise.all(batch)
      batch = []
    }
  }
  await Promise.all(batch)
  if (header === null && names === null)
    throw new HeraldError('CSV_INVALID', 'the file is empty; expected a header row such as "email,tags,status"', { line: 1 })
  for (const list of [report.errors, report.refused, report.skipped, report.changes]) list.sort((a, b) => a.line - b.line)
  report.droppedLabels.push(...[...dropped].sort())
  return report
}

/**
 * Writes every subscriber (all statuses, consent included) as CSV that {@link importSubscribers} restores
 * exactly. Streams: one page of subscribers in memory at a time. Cells that a spreadsheet would run as a
 * formula get a leading `'`, which import removes again. With `history`, each subscriber's returned-mail events go
 * in the `events` column as a JSON array (newest first).
 */
export async function exportSubscribers(options: {
  store: SubscriberStore
  output: NodeJS.WritableStream
  statuses?: readonly SubscriberStatus[]
  history?: SubscriberHistory
}): Promise<number> {
  const stringifier = stringify({ header: true, columns: [...CSV_COLUMNS], escape_formulas: true, record_delimiter: 'unix' })
  // The caller owns the output (it may be stdout): write into it without ending it.
  stringifier.pipe(options.output, { end: false })
  let count = 0
  for (const status of options.statuses ?? SUBSCRIBER_STATUSES) {
    for await (const batch of options.store.stream(status)) {
      const events = options.history ? await options.history.listMany(batch.map((subscriber) => subscriber.id)) : []
      for (const [index, subscriber] of batch.entries()) {
        count++
        if (!stringifier.write(toRow(subscriber, events[index] ?? []))) await once(stringifier, 'drain')
      }
    }
  }
  stringifier.end()
  await finished(stringifier)
  return count
}

function toRow(subscriber: Subscriber, events: readonly SubscriberEvent[]): Record<Column, string> {
  return {
    email: subscriber.email,
    status: subscriber.status,
    tags: subscriber.tags.join(CSV_TAG_SEPARATOR),
    cadence: subscriber.cadence,
    created_at: subscriber.createdAt,
    confirmed_at: subscriber.confirmedAt ?? '',
    unsubscribed_at: subscriber.unsubscribedAt ?? '',
    bounced_at: subscriber.bouncedAt ?? '',
    bounce_reason: subscriber.bounceReason ?? '',
    consent_source: subscriber.consent.source,
    consent_at: subscriber.consent.at,
    consent_ip: subscriber.consent.ip ?? '',
    consent_user_agent: subscriber.consent.userAgent ?? '',
    reactivated_at: subscriber.reactivatedAt ?? '',
    reactivated_by: subscriber.reactivatedBy ?? '',
    unsubscribe_reason: subscriber.unsubscribeReason ?? '',
    events: events.length > 0 ? JSON.stringify(events) : '',
  }
}

function readHeader(cells: string[], ignored: string[]): (Column | null)[] {
  const columns = cells.map((cell) => {
    const name = cell
      .trim()
      .toLowerCase()
      .replace(/[\s-]+/g, '_')
    if ((CSV_COLUMNS as readonly string[]).includes(name)) return name as Column
    ignored.push(cell)
    return null
  })
  if (!columns.includes('email')) {
    throw new HeraldError('CSV_INVALID', `the header row has no "email" column (columns Herald reads: ${CSV_COLUMNS.join(', ')})`, {
      line: 1,
    })
  }
  return columns
}

/** Another tool's header, lower-cased; every column the tool's reader needs must be there (by one of its names). */
function readForeignHeader(cells: string[], format: ImportFormat): string[] {
  const names = cells.map((cell) => cell.trim().toLowerCase())
  for (const alternatives of format.required) {
    if (!alternatives.some((name) => names.includes(name))) {
      throw new HeraldError(
        'CSV_INVALID',
        `not a ${format.source} export: the header row has no ${alternatives.map((name) => JSON.stringify(name)).join(' or ')} column`,
        { line: 1 },
      )
    }
  }
  return names
}

function toRecord(header: readonly (Column | null)[], cells: readonly string[]): SubscriberRecord & { events: SubscriberEvent[] } {
  const values = new Map<Column, string>()
  header.forEach((column, index) => {
    if (column) values.set(column, unescapeFormula(cells[index] ?? ''))
  })
  const email = values.get('email') ?? ''
  if (email === '') throw new HeraldError('SUBSCRIBER_INVALID', 'no email address in this row', { field: 'email' })
  const status = values.get('status') || undefined
  if (status !== undefined && !(SUBSCRIBER_STATUSES as readonly string[]).includes(status.toLowerCase())) {
    throw new HeraldError('SUBSCRIBER_INVALID', `unknown status ${JSON.stringify(status)} (expected ${SUBSCRIBER_STATUSES.join(', ')})`, {
      field: 'status',
    })
  }
  const cadenceCell = values.get('cadence')?.toLowerCase() || undefined
  const cadence = cadenceCell === undefined ? undefined : checkCadence(cadenceCell)
  const consentSource = values.get('consent_source') || undefined
  const reasonCell = values.get('unsubscribe_reason')?.toLowerCase() || undefined
  const reason = reasonCell === undefined ? undefined : checkReason(reasonCell)
  return {
    events: readEvents(values.get('events') ?? ''),
    ...(reason !== undefined ? { unsubscribeReason: reason } : {}),
    email,
    ...(status !== undefined ? { status: status.toLowerCase() as SubscriberStatus } : {}),
    ...(cadence !== undefined ? { cadence } : {}),
    ...(values.has('tags') ? { tags: values.get('tags')!.split(CSV_TAG_SEPARATOR) } : {}),
    createdAt: values.get('created_at') ?? null,
    confirmedAt: values.get('confirmed_at') ?? null,
    unsubscribedAt: values.get('unsubscribed_at') ?? null,
    bouncedAt: values.get('bounced_at') ?? null,
    bounceReason: values.get('bounce_reason') ?? null,
    reactivatedAt: values.get('reactivated_at') || null,
    reactivatedBy: values.get('reactivated_by') || null,
    consent: {
      ...(consentSource ? { source: consentSource as ConsentSource } : {}),
      ...(values.get('consent_at') ? { at: values.get('consent_at')! } : {}),
      ip: values.get('consent_ip') || null,
      userAgent: values.get('consent_user_agent') || null,
    },
  }
}

/** The `events` cell: a JSON array of events, or empty. */
function readEvents(cell: string): SubscriberEvent[] {
  if (cell.trim() === '') return []
  let parsed: unknown
  try {
    parsed = JSON.parse(cell)
  } catch {
    throw new HeraldError('SUBSCRIBER_INVALID', 'the events cell is not a JSON array', { field: 'events' })
  }
  if (!Array.isArray(parsed)) throw new HeraldError('SUBSCRIBER_INVALID', 'the events cell is not a JSON array', { field: 'events' })
  return parseEvents(parsed)
}

/** A record's raw text starts with the blank lines skipped before it. */
function leadingBlankLines(text: string): number {
  return lineBreaks(/^(?:\r\n|\r|\n)*/.exec(text)?.[0] ?? '')
}

function lineBreaks(text: string): number {
  return text.match(/\r\n|\r|\n/g)?.length ?? 0
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
