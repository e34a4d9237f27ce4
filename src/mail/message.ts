import { randomBytes } from 'node:crypto'
import { extractAddress } from '../config.js'
import { HeraldError } from '../errors.js'
import { isValidEmail } from './address.js'

/** One email, ready to send. Every header value is checked for line breaks before it leaves Herald. */
export interface MailMessage {
  /** Mailbox, e.g. `"My Blog" <news@example.org>` (config `email.from`). */
  readonly from: string
  /** One recipient address (bare: `ann@example.org`). */
  readonly to: string
  readonly replyTo?: string | null
  readonly subject: string
  readonly html: string
  readonly text: string
  /** Extra headers (List-Unsubscribe, List-Id, Precedence …). */
  readonly headers?: Readonly<Record<string, string>>
  /**
   * `<local@domain>`. Give a deterministic one (e.g. from edition and subscriber) to make a resend
   * recognisable; default: a random one at the From address's domain.
   */
  readonly messageId?: string
  /** Date header. Default: when it is sent. */
  readonly date?: Date
  /**
   * SMTP envelope sender (MAIL FROM), where the receiving servers send bounces: a VERP address such as
   * `bounces+<tag>@blog.example.org`. The From header does not change. Default: the From address.
   */
  readonly envelopeFrom?: string
}

const LINE_BREAK = /[\r\n\u0000]/
const HEADER_NAME = /^[!-9;-~]+$/

/**
 * Throws `HeraldError('MAIL_INVALID')` when a header would carry a line break (header injection), a
 * header name is malformed, or the recipient is not a plain valid address. `field` names the culprit;
 * `to` means the recipient's address is at fault.
 */
export function assertSendable(message: MailMessage): void {
  const headerValues: Array<[string, string | null | undefined]> = [
    ['from', message.from],
    ['to', message.to],
    ['replyTo', message.replyTo],
    ['subject', message.subject],
    ['messageId', message.messageId],
    ['envelopeFrom', message.envelopeFrom],
  ]
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    if (!HEADER_NAME.test(name))
      throw new HeraldError('MAIL_INVALID', `not a valid header name: ${JSON.stringify(name)}`, { field: 'headers' })
    headerValues.push([name, value])
  }
  for (const [field, value] of headerValues) {
    if (value !== undefined && value !== null && (typeof value !== 'string' || LINE_BREAK.test(value))) {
      throw new HeraldError('MAIL_INVALID', 'a header value may not contain a line break', { field })
    }
  }
  if (!isValidEmail(message.to))
    throw new HeraldError('MAIL_INVALID', `not a valid recipient address: ${JSON.stringify(message.to)}`, { field: 'to' })
  if (message.envelopeFrom !== undefined && !isValidEmail(message.envelopeFrom))
    throw new HeraldError('MAIL_INVALID', `not a valid envelope sender: ${JSON.stringify(message.envelopeFrom)}`, { field: 'envelopeFrom' })
  if (message.messageId !== undefined && !/^<[^<>\s@]+@[^<>\s@]+>$/.test(message.messageId)) {
    throw new HeraldError('MAIL_INVALID', `expected a Message-ID such as <id@example.org>, got ${JSON.stringify(message.messageId)}`, {
      field: 'messageId',
    })
  }
}

/** A fresh random Message-ID at the From address's domain. */
export function randomMessageId(from: string): string {
  const domain = extractAddress(from).split('@')[1] ?? 'herald.invalid'
  return `<${randomBytes(16).toString('hex')}@${domain}>`
}

/** The message in nodemailer's terms (never allowing it to read files or URLs named in the message). */
export function toNodemailer(message: MailMessage): Record<string, unknown> {
  return {
    from: message.from,
    to: message.to,
    ...(message.replyTo ? { replyTo: message.replyTo } : {}),
    subject: message.subject,
    html: message.html,
    text: message.text,
    headers: { ...(message.headers ?? {}) },
    messageId: message.messageId ?? randomMessageId(message.from),
    ...(message.date ? { date: message.date } : {}),
    ...(message.envelopeFrom ? { envelope: { from: message.envelopeFrom, to: message.to } } : {}),
    disableFileAccess: true,
    disableUrlAccess: true,
    // Base64 for both parts: for Cyrillic and other non-Latin text it is ~2x smaller than quoted-printable, and
    // encoding it costs nodemailer about half the CPU (measured: bench/digest, docs/benchmarks.md).
    textEncoding: 'base64',
  }
}
