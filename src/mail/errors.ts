import { HeraldError } from '../errors.js'

/** How a failed send should be treated. */
export interface SendFailure {
  /**
   * `permanent`: sending the same message again will fail again (5xx reply, invalid address);
   * `transient`: retry later (4xx, connection, timeout).
   */
  readonly kind: 'permanent' | 'transient'
  /** A permanent failure that is about the recipient's address (a hard bounce): mark the subscriber bounced. */
  readonly bounce: boolean
  /** SMTP reply code, when the server answered. */
  readonly code: number | null
  /** The server's reply text (or the error message when there was no reply), for the send ledger and logs. */
  readonly reply: string
  /**
   * The connection broke without a reply after it was established (timeout, reset): the server may have
   * accepted the message before the line went down, so a resend may be a duplicate.
   */
  readonly outcomeUnknown: boolean
}

/**
 * Failures of the connection, TLS or login are the operator's to fix, not the recipient's: retried with
 * backoff even when the server answered 5xx (535 bad credentials), so a misconfigured SMTP_URL never
 * bounces the whole list.
 */
const CONNECTION_CODES = new Set([
  'ECONNECTION',
  'ETIMEDOUT',
  'ESOCKET',
  'EDNS',
  'ETLS',
  'EREQUIRETLS',
  'EPROXY',
  'EAUTH',
  'ENOAUTH',
  'EOAUTH2',
  'EMAXLIMIT',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
])

/** Failures that happen before any message could have been handed over. */
const NEVER_CONNECTED = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EDNS',
  'EAUTH',
  'ENOAUTH',
  'EOAUTH2',
  'ETLS',
  'EREQUIRETLS',
  'EPROXY',
])

interface SmtpErrorShape {
  code?: unknown
  responseCode?: unknown
  response?: unknown
  command?: unknown
  permanent?: unknown
  rejected?: unknown
  message?: unknown
}

/**
 * Classifies an error thrown by `MailTransport.send`. 5xx (except 503, "bad sequence") and invalid
 * addresses are permanent; 4xx, connection errors, timeouts and anything unknown are transient.
 */
export function classifySendError(error: unknown): SendFailure {
  if (error instanceof HeraldError) {
    // Herald refused the message itself: retrying cannot help. Only a bad `to` is the recipient's fault.
    return {
      kind: 'permanent',
      bounce: error.code === 'MAIL_INVALID' && error.location.field === 'to',
      code: null,
      reply: error.message,
      outcomeUnknown: false,
    }
  }
  const shape = (typeof error === 'object' && error !== null ? error : {}) as SmtpErrorShape
  const code = typeof shape.responseCode === 'number' ? shape.responseCode : null
  const reply =
    typeof shape.response === 'string' && shape.response !== ''
      ? shape.response
      : typeof shape.message === 'string'
        ? shape.message
        : String(error)
  const beforeData = typeof shape.command === 'string' && /^(CONN|GREETING|EHLO|HELO|LHLO|STARTTLS|AUTH|MAIL|RCPT)/i.test(shape.command)
  const outcomeUnknown = code === null && !beforeData && !(typeof shape.code === 'string' && NEVER_CONNECTED.has(shape.code))
  if (typeof shape.code === 'string' && CONNECTION_CODES.has(shape.code))
    return { kind: 'transient', bounce: false, code, reply, outcomeUnknown }
  const permanent = typeof shape.permanent === 'boolean' ? shape.permanent : code !== null && code >= 500 && code < 600 && code !== 503
  if (!permanent) return { kind: 'transient', bounce: false, code, reply, outcomeUnknown }
  const aboutRecipient =
    (typeof shape.command === 'string' && /^RCPT/i.test(shape.command)) ||
    (shape.code === 'EENVELOPE' && Array.isArray(shape.rejected) && shape.rejected.length > 0) ||
    // 5.1.x: addressing status (no such user, bad mailbox); 5.2.1: mailbox disabled (RFC 3463). A full mailbox (5.2.2) is not a bounce.
    /\b5\.(1\.\d{1,3}|2\.1)\b/.test(reply)
  return { kind: 'permanent', bounce: aboutRecipient, code, reply, outcomeUnknown: false }
}
