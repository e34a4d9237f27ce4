import { createHmac, timingSafeEqual } from 'node:crypto'
import type { EventKind } from '../../subscribers/history.js'
import { classifyStatus } from '../classify.js'
import { type BounceReport, dateFrom, objectField, stringField } from '../report.js'

/**
 * Mailgun webhooks (the JSON format: `signature` and `event-data`). Mailgun signs `timestamp + token` with HMAC-SHA256
 * and the webhook signing key (`HERALD_MAILGUN_SIGNING_KEY`), not the body: so the token must never be accepted twice
 * (the caller keeps the tokens it has seen for longer than {@link MAILGUN_MAX_AGE_S}) and the timestamp must be recent.
 * For a subaccount, `parent-signature` is made with the primary account's key: either may match.
 *
 * Mapping: `failed` with `severity: permanent` → judged by the delivery status, hard by default (`suppress-bounce`:
 * Mailgun refused an address that bounced before); `failed` temporary → soft (or policy by its words); `complained` →
 * complaint. Other events say nothing about the address.
 */

/** How far a signature's timestamp may be from now, in seconds. */
export const MAILGUN_MAX_AGE_S = 600

/** The outcome of checking a Mailgun signature: the token (the replay key) when it is good, otherwise why not. */
export type MailgunCheck = { readonly ok: true; readonly token: string } | { readonly ok: false; readonly reason: string }

/** Checks the `signature` block of a parsed Mailgun webhook body. */
export function verifyMailgun(body: unknown, signingKey: string, now: Date): MailgunCheck {
  const block = objectField(body, 'signature')
  const timestamp = stringField(block, 'timestamp')
  const token = stringField(block, 'token')
  const signatures = [stringField(block, 'signature'), stringField(block, 'parent-signature')].filter((value) => value !== null)
  if (!timestamp || !token || signatures.length === 0) return { ok: false, reason: 'no signature' }
  const expected = Buffer.from(
    createHmac('sha256', signingKey)
      .update(timestamp + token)
      .digest('hex'),
  )
  const matches = signatures.some((signature) => {
    const given = Buffer.from(signature.toLowerCase())
    return given.length === expected.length && timingSafeEqual(given, expected)
  })
  if (!matches) return { ok: false, reason: 'bad signature' }
  if (Math.abs(now.getTime() / 1000 - Number(timestamp)) > MAILGUN_MAX_AGE_S) return { ok: false, reason: 'stale signature' }
  return { ok: true, token }
}

/** The report in a Mailgun webhook body, or none for events that say nothing about an address. */
export function mailgunReports(body: unknown): BounceReport[] {
  const data = objectField(body, 'event-data')
  const event = stringField(data, 'event')
  const status = objectField(data, 'delivery-status')
  const message = objectField(objectField(data, 'message'), 'headers')
  const words = [stringField(status, 'message'), stringField(status, 'description')].filter(Boolean).join(' ').trim()
  const code = stringField(status, 'code')
  let kind: EventKind
  if (event === 'complained') kind = 'complaint'
  else if (event === 'failed' && stringField(data, 'severity') === 'permanent') {
    kind = stringField(data, 'reason') === 'suppress-bounce' ? 'hard' : classifyStatus({ diagnostic: words, permanent: true })
  } else if (event === 'failed') {
    const judged = classifyStatus({ diagnostic: words, permanent: false })
    kind = judged === 'hard' ? 'soft' : judged
  } else return []
  const messageId = stringField(message, 'message-id')
  return [
    {
      source: 'mailgun',
      kind,
      status: /([245])\.\d{1,3}\.\d{1,3}/.exec(words)?.[0] ?? null,
      diagnostic: [code, words].filter(Boolean).join(' ') || `Mailgun ${event}`,
      recipient: stringField(data, 'recipient')?.toLowerCase() ?? null,
      at: dateFrom(data.timestamp),
      references: {
        addresses: [stringField(objectField(data, 'envelope'), 'sender')].filter((value): value is string => value !== null),
        messageIds: messageId ? [messageId.startsWith('<') ? messageId : `<${messageId}>`] : [],
        texts: [],
      },
      vouched: true,
      eventId: stringField(data, 'id'),
    },
  ]
}
