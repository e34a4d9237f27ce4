import { unescapeFormula } from './formula.js'
import type { SubscriberRecord, SubscriberStatus } from './store.js'

/** The tools whose subscriber exports `herald subscribers import --from` reads. */
export const IMPORT_SOURCES = ['mailchimp', 'substack', 'buttondown', 'listmonk', 'ghost'] as const
/** One of {@link IMPORT_SOURCES}. */
export type ImportSource = (typeof IMPORT_SOURCES)[number]

/** What one row of another tool's export becomes: a subscriber record (with the tool's labels), or a reason to skip it. */
export type ForeignRow =
  | { readonly record: SubscriberRecord; readonly labels: readonly string[]; readonly note?: string }
  | { readonly skip: string }

/** A row by column name, names lower-cased and trimmed, values trimmed. */
export type Row = ReadonlyMap<string, string>

/** How to read one tool's export. Columns are picked by name, never by position. */
export interface ImportFormat {
  readonly source: ImportSource
  /** Each entry: one column that must exist, by any of its names. */
  readonly required: ReadonlyArray<readonly string[]>
  /** The row as a subscriber; `fileName` tells Mailchimp's files apart. */
  toRecord(row: Row, fileName: string): ForeignRow
}

/** The first of these columns that has a value. */
function pick(row: Row, ...names: string[]): string {
  for (const name of names) {
    const value = row.get(name)
    if (value) return value
  }
  return ''
}

/** Mailchimp's `YYYY-MM-DD HH:MM:SS` has no zone; like the public importers, we read it as UTC. */
function mailchimpTime(value: string): string | null {
  const match = /^(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d(?::\d\d)?)$/.exec(value.trim())
  return match ? `${match[1]}T${match[2]}Z` : iso(value)
}

/** listmonk writes Go's `time.Time.String()`: `2024-03-01 09:15:22.123456 +0000 +0000`. */
function goTime(value: string): string | null {
  const match = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(\.\d{1,9})? ([+-])(\d\d)(\d\d)/.exec(value.trim())
  if (!match) return iso(value)
  const fraction = (match[3] ?? '').slice(0, 4)
  return `${match[1]}T${match[2]}${fraction}${match[4]}${match[5]}:${match[6]}`
}

/** ISO 8601 as written (more than millisecond digits are cut, which JavaScript dates cannot hold), or null if blank. */
function iso(value: string): string | null {
  const text = value.trim()
  if (!text) return null
  return text.replace(/(\.\d{3})\d+/, '$1')
}

/** Mailchimp's TAGS cell: `"Early readers","VIP"` (tags may hold commas), or a bare `Editors`. */
function mailchimpTags(cell: string): string[] {
  const quoted = [...cell.matchAll(/"([^"]*)"/g)].map((match) => match[1]!)
  return quoted.length > 0 ? quoted : cell.split(',')
}

/** Consent as another tool recorded it: imported, at the time that tool kept (and the IP, when it kept one). */
const consentOf = (at: string | null, ip: string | null = null) => ({ source: 'import' as const, ...(at ? { at } : {}), ip })

const record = (email: string, status: SubscriberStatus, fields: Omit<SubscriberRecord, 'email' | 'status'>): SubscriberRecord => ({
  email,
  status,
  ...fields,
})

const mailchimp: ImportFormat = {
  source: 'mailchimp',
  required: [['email address', 'email']],
  toRecord(row, fileName) {
    // The export is a ZIP of one file per status: the status is in the file name or in its extra columns.
    if (/nonsubscribed/i.test(fileName)) return { skip: 'a contact who never opted in to email (nonsubscribed file)' }
    const email = pick(row, 'email address', 'email')
    const optin = mailchimpTime(pick(row, 'optin_time'))
    const confirm = mailchimpTime(pick(row, 'confirm_time'))
    const consent = consentOf(confirm ?? optin, pick(row, 'confirm_ip', 'optin_ip') || null)
    const common = { createdAt: optin ?? confirm, confirmedAt: confirm ?? optin, consent }
    const labels = mailchimpTags(pick(row, 'tags'))
    if (row.has('clean_time') || /cleaned/i.test(fileName)) {
      const campaign = pick(row, 'clean_campaign_title')
      const reason = `cleaned by Mailchimp (hard bounce or repeated soft bounces)${campaign ? ` after "${campaign}"` : ''}`
      return {
        record: record(email, 'bounced', { ...common, bouncedAt: mailchimpTime(pick(row, 'clean_time')), bounceReason: reason }),
        labels,
      }
    }
    if (row.has('unsub_time') || /unsubscribed/i.test(fileName)) {
      const reason = [pick(row, 'unsub_reason'), pick(row, 'unsub_reason_other')].filter(Boolean).join(': ')
      const unsubscribed = record(email, 'unsubscribed', { ...common, unsubscribedAt: mailchimpTime(pick(row, 'unsub_time')) })
      return { record: unsubscribed, labels, ...(reason ? { note: `unsubscribed: ${reason}` } : {}) }
    }
    return { record: record(email, 'active', common), labels }
  },
}

const substack: ImportFormat = {
  source: 'substack',
  required: [['email']],
  toRecord(row) {
    const email = pick(row, 'email')
    if (/@deletion-request\.substack\.com$/i.test(email)) return { skip: 'a reader who asked Substack to delete their data' }
    const created = iso(pick(row, 'created_at', 'subscription date'))
    // email_disabled=true: the reader gets no email. The export does not say why, so opting out is the safe reading.
    const disabled = pick(row, 'email_disabled').toLowerCase() === 'true'
    const status: SubscriberStatus = disabled ? 'unsubscribed' : 'active'
    return { record: record(email, status, { createdAt: created, confirmedAt: created, consent: consentOf(created) }), labels: [] }
  },
}

/** Buttondown's subscriber types (its `SubscriberType` enum) → Herald statuses; null = skip. */
const BUTTONDOWN_TYPES: Record<string, SubscriberStatus | null> = {
  regular: 'active',
  premium: 'active',
  trialed: 'active',
  gifted: 'active',
  churning: 'active',
  paused: 'active',
  past_due: 'active',
  unpaid: 'active',
  unactivated: 'pending',
  unsubscribed: 'unsubscribed',
  removed: 'unsubscribed',
  complained: 'unsubscribed',
  undeliverable: 'bounced',
  spammy: null,
  blocked: null,
}

// The column names are Buttondown's documented subscriber fields (its API); a real CSV export's header was not seen.
const buttondown: ImportFormat = {
  source: 'buttondown',
  required: [
    ['email', 'email_address'],
    ['subscriber_type', 'type'],
  ],
  toRecord(row) {
    const email = pick(row, 'email', 'email_address')
    const type = pick(row, 'subscriber_type', 'type').toLowerCase()
    if (!(type in BUTTONDOWN_TYPES)) return { skip: `unknown Buttondown subscriber type ${JSON.stringify(type)}` }
    const status = BUTTONDOWN_TYPES[type]
    if (!status) return { skip: `flagged by Buttondown's spam firewall (${type})` }
    const created = iso(pick(row, 'creation_date', 'created_date', 'subscription_date'))
    const labels = pick(row, 'tags')
      .replace(/^\[|\]$/g, '')
      .split(',')
      .map((tag) => tag.trim().replace(/^["']|["']$/g, ''))
    return {
      record: record(email, status, {
        createdAt: created,
        confirmedAt: status === 'active' ? created : null,
        unsubscribedAt: iso(pick(row, 'unsubscription_date')),
        bouncedAt: iso(pick(row, 'undeliverability_date')),
        bounceReason: status === 'bounced' ? 'undeliverable according to Buttondown' : null,
        consent: consentOf(created),
      }),
      labels,
      ...(type === 'complained' ? { note: 'marked a newsletter as spam' } : {}),
    }
  },
}

const listmonk: ImportFormat = {
  source: 'listmonk',
  required: [['email'], ['status']],
  toRecord(row) {
    const email = pick(row, 'email')
    const status = pick(row, 'status').toLowerCase()
    const created = goTime(pick(row, 'created_at'))
    // Per-list subscription states are not in the file: enabled and disabled subscribers both get campaigns.
    if (status === 'blocklisted') {
      return {
        record: record(email, 'unsubscribed', {
          createdAt: created,
          unsubscribedAt: goTime(pick(row, 'updated_at')),
          consent: consentOf(created),
        }),
        labels: [],
      }
    }
    if (status !== 'enabled' && status !== 'disabled') return { skip: `unknown listmonk status ${JSON.stringify(status)}` }
    return { record: record(email, 'active', { createdAt: created, confirmedAt: created, consent: consentOf(created) }), labels: [] }
  },
}

const ghost: ImportFormat = {
  source: 'ghost',
  required: [['email'], ['subscribed_to_emails']],
  toRecord(row) {
    const email = unescapeFormula(pick(row, 'email'))
    const created = iso(pick(row, 'created_at'))
    // Subscribed to at least one newsletter; false also covers members who never chose one: no consent to email.
    const subscribed = pick(row, 'subscribed_to_emails').toLowerCase() === 'true'
    const labels = unescapeFormula(pick(row, 'labels')).split(',')
    const status: SubscriberStatus = subscribed ? 'active' : 'unsubscribed'
    return {
      record: record(email, status, { createdAt: created, confirmedAt: subscribed ? created : null, consent: consentOf(created) }),
      labels,
    }
  },
}

/** The reader of each tool's export. */
export const IMPORT_FORMATS: Readonly<Record<ImportSource, ImportFormat>> = { mailchimp, substack, buttondown, listmonk, ghost }
