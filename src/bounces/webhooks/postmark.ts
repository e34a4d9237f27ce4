import { timingSafeEqual } from 'node:crypto'
import type { EventKind } from '../../subscribers/history.js'
import { classifyStatus } from '../classify.js'
import { type BounceReport, dateFrom, objectField, stringField } from '../report.js'

/**
 * Postmark bounce and spam-complaint webhooks. Postmark signs nothing: its guide says to put HTTP Basic credentials in
 * the webhook URL (`https://user:password@host/webhooks/postmark`), so that is what is checked
 * (`HERALD_POSTMARK_WEBHOOK_AUTH`), in constant time.
 *
 * Mapping on the `Type` string (never `TypeCode`: the spam-complaint example's 512 is SpamNotification in Postmark's own
 * table): HardBounce, BadEmailAddress → judged by `Details`, hard by default; SoftBounce, Transient, DnsError → soft;
 * SpamComplaint → complaint; AutoResponder → auto-reply; Blocked, DMARCPolicy, SpamNotification, VirusNotification,
 * ChallengeVerification → policy; anything else (Subscribe, ManuallyDeactivated, Unknown…) → unknown.
 */

/** Whether an `Authorization` header carries the configured `user:password`. */
export function postmarkAuthorized(authorization: string | undefined, credentials: string): boolean {
  if (!authorization?.startsWith('Basic ')) return false
  const given = Buffer.from(authorization.slice(6).trim(), 'base64')
  const expected = Buffer.from(credentials, 'utf8')
  return given.length === expected.length && timingSafeEqual(given, expected)
}

const KINDS: Readonly<Record<string, EventKind>> = {
  HardBounce: 'hard',
  BadEmailAddress: 'hard',
  SoftBounce: 'soft',
  Transient: 'soft',
  DnsError: 'soft',
  SpamComplaint: 'complaint',
  AutoResponder: 'auto_reply',
  Blocked: 'policy',
  DMARCPolicy: 'policy',
  SpamNotification: 'policy',
  VirusNotification: 'policy',
  ChallengeVerification: 'policy',
}

/** The report in one Postmark webhook body (raw, so the 64-bit `ID` keeps its digits). */
export function postmarkReports(rawBody: string): BounceReport[] {
  const payload: unknown = JSON.parse(rawBody)
  const recordType = stringField(payload, 'RecordType')
  // The older webhook shape has no RecordType; both carry Type.
  if (recordType !== null && recordType !== 'Bounce' && recordType !== 'SpamComplaint') return []
  const type = stringField(payload, 'Type') ?? recordType ?? ''
  const details = stringField(payload, 'Details') ?? ''
  let kind: EventKind = KINDS[type] ?? 'unknown'
  if (kind === 'hard') kind = classifyStatus({ diagnostic: details, permanent: true })
  const content = stringField(payload, 'Content')
  const metadata = objectField(payload, 'Metadata')
  const id = /"ID"\s*:\s*"?(\d+)/.exec(rawBody)?.[1] ?? stringField(payload, 'ID') ?? ''
  return [
    {
      source: 'postmark',
      kind,
      status: null,
      diagnostic: [stringField(payload, 'Name') ?? type, details].filter(Boolean).join(': '),
      recipient: stringField(payload, 'Email')?.toLowerCase() ?? null,
      at: dateFrom(stringField(payload, 'BouncedAt')),
      references: {
        addresses: [],
        messageIds: [],
        // The bounce as Postmark received it (when the webhook includes content) names Herald's message.
        texts: [content ?? '', ...Object.values(metadata).filter((value): value is string => typeof value === 'string')],
      },
      vouched: true,
      eventId: `${recordType ?? 'Bounce'}:${id}`,
    },
  ]
}
