import type { EventKind } from '../../subscribers/history.js'
import { classifyStatus } from '../classify.js'
import { type BounceReport, dateFrom, objectField, stringField } from '../report.js'

/**
 * Amazon SES bounce and complaint notifications (the `Message` of an SNS notification; both the notification format,
 * `notificationType`, and the event-publishing one, `eventType`). One report per recipient named.
 *
 * Mapping (SES's notification contents page): `Permanent` bounces are judged by the DSN status and words SES copied,
 * defaulting to hard (SES: "remove the recipient's address"); `Suppressed` and `OnAccountSuppressionList` are hard (SES
 * will not deliver there); `Transient` ones are soft unless their words say otherwise, except `General` without a
 * status: SES delivers out-of-office replies as exactly that, so it is `unknown` (no change). `MessageTooLarge`,
 * `ContentRejected`, `AttachmentRejected` are the message's fault (`policy`). A complaint is a complaint unless its
 * feedback type is `not-spam`.
 */
export function sesReports(notification: unknown): BounceReport[] {
  const type = stringField(notification, 'notificationType') ?? stringField(notification, 'eventType')
  const mail = objectField(notification, 'mail')
  const references = {
    // `source` is the envelope sender Herald gave (its VERP address); `returnPath` too in event publishing.
    addresses: [stringField(mail, 'source'), stringField(mail, 'returnPath')].filter((value): value is string => value !== null),
    messageIds: [stringField(objectField(mail, 'commonHeaders'), 'messageId'), headerValue(mail, 'message-id')].filter(
      (value): value is string => value !== null,
    ),
    texts: [],
  }
  const base = { source: 'ses' as const, references, vouched: true }
  if (type === 'Bounce') {
    const bounce = objectField(notification, 'bounce')
    const bounceType = stringField(bounce, 'bounceType') ?? 'Undetermined'
    const subType = stringField(bounce, 'bounceSubType') ?? 'Undetermined'
    const at = dateFrom(stringField(bounce, 'timestamp'))
    return recipients(bounce, 'bouncedRecipients').map((recipient) => {
      const status = stringField(recipient, 'status')
      const diagnostic = stringField(recipient, 'diagnosticCode')?.replace(/^[a-z-]+;\s*/i, '') ?? ''
      return {
        ...base,
        kind: bounceKind(bounceType, subType, status, diagnostic),
        status,
        diagnostic: diagnostic || `SES ${bounceType} bounce (${subType})`,
        recipient: stringField(recipient, 'emailAddress')?.toLowerCase() ?? null,
        at,
        eventId: `${stringField(bounce, 'feedbackId') ?? stringField(mail, 'messageId') ?? ''}:${stringField(recipient, 'emailAddress')}`,
      }
    })
  }
  if (type === 'Complaint') {
    const complaint = objectField(notification, 'complaint')
    const feedbackType = stringField(complaint, 'complaintFeedbackType')
    const agent = stringField(complaint, 'userAgent')
    return recipients(complaint, 'complainedRecipients').map((recipient) => ({
      ...base,
      kind: (feedbackType === 'not-spam' ? 'unknown' : 'complaint') as EventKind,
      status: null,
      diagnostic: `SES complaint${feedbackType ? `: ${feedbackType}` : ''}${agent ? ` (${agent})` : ''}`,
      recipient: stringField(recipient, 'emailAddress')?.toLowerCase() ?? null,
      at: dateFrom(stringField(complaint, 'timestamp')),
      eventId: `${stringField(complaint, 'feedbackId') ?? stringField(mail, 'messageId') ?? ''}:${stringField(recipient, 'emailAddress')}`,
    }))
  }
  // Delivery, Send, Open…: nothing to learn.
  return []
}

function bounceKind(bounceType: string, subType: string, status: string | null, diagnostic: string): EventKind {
  if (subType === 'Suppressed' || subType === 'OnAccountSuppressionList' || subType === 'NoEmail') return 'hard'
  if (subType === 'MessageTooLarge' || subType === 'ContentRejected' || subType === 'AttachmentRejected') return 'policy'
  if (subType === 'MailboxFull') return 'soft'
  if (bounceType === 'Permanent') return classifyStatus({ status, diagnostic, permanent: true })
  if (bounceType === 'Transient') {
    if (!status && !diagnostic) return 'unknown'
    const kind = classifyStatus({ status, diagnostic, permanent: false })
    return kind === 'hard' ? 'soft' : kind
  }
  return 'unknown'
}

function recipients(record: Record<string, unknown>, name: string): Record<string, unknown>[] {
  const list = record[name]
  return Array.isArray(list) ? list.filter((entry): entry is Record<string, unknown> => Boolean(entry) && typeof entry === 'object') : []
}

function headerValue(mail: Record<string, unknown>, name: string): string | null {
  const headers = mail.headers
  if (!Array.isArray(headers)) return null
  for (const header of headers) {
    if (stringField(header, 'name')?.toLowerCase() === name) return stringField(header, 'value')
  }
  return null
}
