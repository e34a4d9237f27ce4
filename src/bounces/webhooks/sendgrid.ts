import { createPublicKey, createVerify, type KeyObject } from 'node:crypto'
import type { EventKind } from '../../subscribers/history.js'
import { classifyStatus } from '../classify.js'
import { type BounceReport, dateFrom, stringField } from '../report.js'

/**
 * SendGrid's Signed Event Webhook: ECDSA P-256 with SHA-256 over the `X-Twilio-Email-Event-Webhook-Timestamp` header
 * followed by the raw body (exact bytes: a re-serialised body does not verify), checked with the verification key
 * SendGrid shows (base64 of a DER SubjectPublicKeyInfo, `HERALD_SENDGRID_VERIFICATION_KEY`). SendGrid documents no
 * replay window; the timestamp is signed, so Herald bounds it.
 *
 * Mapping (one report per event of the batch): `bounce` (type `bounce`) → judged by status and reason, hard by
 * default; `bounce` with type `blocked` → soft or policy (SendGrid: "temporarily"); `dropped` because of a "Bounced
 * Address" → hard, a "Spam Reporting Address" → complaint; `spamreport` → complaint; `deferred` → delayed.
 */

/** How far the signed timestamp may be from now, in seconds. */
export const SENDGRID_MAX_AGE_S = 600

/** Reads the verification key; throws a readable error when it is not a P-256 public key. */
export function sendgridKey(base64: string): KeyObject {
  const text = base64.trim()
  const key = text.startsWith('-----BEGIN')
    ? createPublicKey(text)
    : createPublicKey({ key: Buffer.from(text, 'base64'), format: 'der', type: 'spki' })
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new TypeError('expected the ECDSA P-256 public key SendGrid shows as the verification key')
  }
  return key
}

/** Checks a request's signature headers against its raw body. */
export function verifySendgrid(
  rawBody: Buffer,
  headers: { signature: string | undefined; timestamp: string | undefined },
  key: KeyObject,
  now: Date,
): { ok: true } | { ok: false; reason: string } {
  const { signature, timestamp } = headers
  if (!signature || !timestamp) return { ok: false, reason: 'no signature' }
  const verifier = createVerify('sha256')
  verifier.update(Buffer.from(timestamp, 'utf8'))
  verifier.update(rawBody)
  let good = false
  try {
    good = verifier.verify({ key, dsaEncoding: 'der' }, Buffer.from(signature, 'base64'))
  } catch {
    good = false
  }
  if (!good) return { ok: false, reason: 'bad signature' }
  if (!/^\d+$/.test(timestamp) || Math.abs(now.getTime() / 1000 - Number(timestamp)) > SENDGRID_MAX_AGE_S) {
    return { ok: false, reason: 'stale signature' }
  }
  return { ok: true }
}

/** The reports in a SendGrid event batch (a JSON array). */
export function sendgridReports(events: unknown): BounceReport[] {
  if (!Array.isArray(events)) return []
  const reports: BounceReport[] = []
  for (const event of events) {
    const kind = eventKind(event)
    if (!kind) continue
    const status = stringField(event, 'status')
    const reason = stringField(event, 'reason') ?? stringField(event, 'response') ?? ''
    const smtpId = stringField(event, 'smtp-id')
    reports.push({
      source: 'sendgrid',
      kind,
      status: status && /^[245]\.\d{1,3}\.\d{1,3}$/.test(status) ? status : null,
      diagnostic: reason || `SendGrid ${stringField(event, 'event')}`,
      recipient: stringField(event, 'email')?.toLowerCase() ?? null,
      at: dateFrom((event as Record<string, unknown>).timestamp),
      references: {
        addresses: [],
        messageIds: smtpId ? [smtpId] : [],
        // Custom arguments come back as top-level fields: any of them may hold a tagged address.
        texts: Object.values(event as Record<string, unknown>).filter((value): value is string => typeof value === 'string'),
      },
      vouched: true,
      eventId: stringField(event, 'sg_event_id'),
    })
  }
  return reports
}

function eventKind(event: unknown): EventKind | null {
  const name = stringField(event, 'event')
  const status = stringField(event, 'status')
  const reason = stringField(event, 'reason') ?? ''
  if (name === 'spamreport') return 'complaint'
  if (name === 'deferred') return 'delayed'
  if (name === 'dropped') {
    if (/bounced address/i.test(reason)) return 'hard'
    if (/spam reporting address/i.test(reason)) return 'complaint'
    return null
  }
  if (name !== 'bounce') return null
  if (stringField(event, 'type') === 'blocked') {
    const judged = classifyStatus({ status, diagnostic: reason, permanent: false })
    return judged === 'hard' ? 'soft' : judged
  }
  const classification = stringField(event, 'bounce_classification')?.toLowerCase() ?? ''
  if (/content|reputation|frequency|volume/.test(classification)) return 'policy'
  if (classification === 'technical') return 'soft'
  return classifyStatus({ status, diagnostic: reason, permanent: true })
}
