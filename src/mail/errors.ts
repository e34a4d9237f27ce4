import { HeraldError } from '../errors.js'

/**
 * Who a failed send is the fault of, which decides what may change:
 * - `recipient`: this address (a permanent one bounces the subscriber);
 * - `message`: this message to this recipient (content refused, mailbox full): the send fails, the subscriber stays;
 * - `connection`: the line to the server broke or timed out without a verdict: retried, and identical ones in a row
 *   trip the circuit breaker;
 * - `systemic`: the sender, the configuration or the relationship with the server (authentication, TLS, relay,
 *   policy, a sender address refused, the outbox folder not writable): the edition pauses; no subscriber changes.
 */
export type FailureScope = 'recipient' | 'message' | 'connection' | 'systemic'

/** How a failed send should be treated. */
export interface SendFailure {
  /** `permanent`: the same message will fail again; `transient`: it may go through later. */
  readonly kind: 'permanent' | 'transient'
  readonly scope: FailureScope
  /** A permanent failure about the recipient's address (RFC 3463 5.1.x or 5.2.1 at RCPT): mark the subscriber bounced. */
  readonly bounce: boolean
  /** SMTP reply code, when the server answered. */
  readonly code: number | null
  /** RFC 3463 enhanced status code (`5.1.1`), when the reply has one. */
  readonly enhanced: string | null
  /** The SMTP command that failed (`RCPT TO`, `MAIL FROM`, `DATA`, `CONN`, `AUTH PLAIN` …), when known. */
  readonly command: string | null
  /** The server's reply text (or the error message when there was no reply), for the send ledger and logs. */
  readonly reply: string
  /**
   * The whole message went out and no verdict came back (the connection broke, or the deadline passed, after the
   * final dot): the server may have accepted it, so a resend may be a duplicate.
   */
  readonly outcomeUnknown: boolean
}

/** The fields nodemailer (and Herald's transports) put on a failed send. */
interface SendErrorShape {
  code?: unknown
  originalCode?: unknown
  responseCode?: unknown
  response?: unknown
  command?: unknown
  message?: unknown
  /** Set by Herald's SMTP transport: the whole body had been handed to the server (the final dot followed). */
  bodySent?: unknown
}

/** nodemailer codes that mean our side or the server relationship, never the recipient. */
const SYSTEMIC_CODES = new Set(['EAUTH', 'ENOAUTH', 'EOAUTH2', 'ETLS', 'EREQUIRETLS', 'ECONFIG', 'EPROXY'])
/** A certificate problem arrives as ESOCKET with the TLS library's code kept in `originalCode`. */
const CERTIFICATE_CODE = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|ERR_SSL|HOSTNAME|ALTNAME/
/** Local file-system errors of the outbox: the disk, not the recipient. */
const LOCAL_WRITE_CODES = new Set(['ENOSPC', 'EDQUOT', 'EACCES', 'EPERM', 'EROFS', 'EIO', 'EMFILE', 'ENFILE', 'ENOTDIR', 'EISDIR'])
/** Commands before the recipient is named: a failure there is about the sender or the server. */
const BEFORE_RECIPIENT = /^(CONN|GREETING|EHLO|HELO|LHLO|STARTTLS|AUTH|MAIL)/i
/** Replies that refuse the login whatever the command (530 authentication required, 534/535/538 authentication failed). */
const AUTH_REPLY_CODES = new Set([530, 534, 535, 538])

/** The RFC 3463 enhanced status code in a reply (`550 5.1.1 <x>: …` → `5.1.1`), or null. */
export function enhancedStatus(reply: string, code: number | null): string | null {
  const match = /(?:^|[\s-])([245])\.(\d{1,3})\.(\d{1,3})(?=\s|$|[;:,)])/.exec(reply.replace(/^\d{3}[ -]?/, ' '))
  if (!match) return null
  // The class must agree with the reply code's (RFC 3463 section 2); a mismatching one is not trusted.
  if (code !== null && String(code)[0] !== match[1]) return null
  return `${match[1]}.${match[2]}.${match[3]}`
}

/**
 * Classifies an error thrown by a `MailTransport.send`, by the command that failed and the RFC 3463 enhanced status
 * code. Only a recipient-specific permanent failure bounces the recipient: at RCPT, 550/551/553 with 5.1.x or 5.2.1, or
 * with no enhanced code. Sender, policy, relay, authentication, TLS and configuration failures (5.7.x, 5.1.7/5.1.8,
 * 530/535, anything at MAIL FROM or before) are systemic.
 */
export function classifySendError(error: unknown): SendFailure {
  if (error instanceof HeraldError) {
    // Herald refused the message itself: retrying cannot help. Only a bad `to` is the recipient's fault.
    const recipient = error.code === 'MAIL_INVALID' && error.location.field === 'to'
    return failure('permanent', recipient ? 'recipient' : 'systemic', recipient, null, null, null, error.message, false)
  }
  const shape = (typeof error === 'object' && error !== null ? error : {}) as SendErrorShape
  const code = typeof shape.responseCode === 'number' ? shape.responseCode : null
  const errorCode = typeof shape.code === 'string' ? shape.code : null
  const originalCode = typeof shape.originalCode === 'string' ? shape.originalCode : null
  const command = typeof shape.command === 'string' ? shape.command : null
  const reply =
    typeof shape.response === 'string' && shape.response !== ''
      ? shape.response
      : typeof shape.message === 'string'
        ? shape.message
        : String(error)
  const enhanced = enhancedStatus(reply, code)
  const make = (kind: SendFailure['kind'], scope: FailureScope, bounce = false, unknown = false) =>
    failure(kind, scope, bounce, code, enhanced, command, reply, unknown)

  if (errorCode !== null && LOCAL_WRITE_CODES.has(errorCode) && code === null) return make('transient', 'systemic')
  if (errorCode !== null && SYSTEMIC_CODES.has(errorCode)) return make('permanent', 'systemic')
  if (originalCode !== null && CERTIFICATE_CODE.test(originalCode)) return make('permanent', 'systemic')
  if (code === null) {
    // No verdict: the connection broke, timed out or was aborted. Only a body that went out can have been accepted.
    return make('transient', 'connection', false, shape.bodySent === true)
  }
  const permanent = code >= 500 && code !== 503
  const cls = enhanced?.split('.')[1]
  const systemic = cls === '7' || enhanced === '5.1.7' || enhanced === '5.1.8' || looksSystemic(reply)
  if (AUTH_REPLY_CODES.has(code) || (permanent && systemic)) {
    return make('permanent', 'systemic')
  }
  if (command !== null && BEFORE_RECIPIENT.test(command))
    return make(permanent ? 'permanent' : 'transient', permanent ? 'systemic' : 'connection')
  if (command !== null && /^RCPT/i.test(command)) {
    if (!permanent) return make('transient', 'recipient')
    const aboutAddress = enhanced === null ? [550, 551, 553].includes(code) : /^5\.1\.\d+$/.test(enhanced) || enhanced === '5.2.1'
    return aboutAddress ? make('permanent', 'recipient', true) : make('permanent', 'message')
  }
  // After DATA (or an unknown command): a verdict on this message.
  return make(permanent ? 'permanent' : 'transient', 'message')
}

function failure(
  kind: SendFailure['kind'],
  scope: FailureScope,
  bounce: boolean,
  code: number | null,
  enhanced: string | null,
  command: string | null,
  reply: string,
  outcomeUnknown: boolean,
): SendFailure {
  return { kind, scope, bounce, code, enhanced, command, reply, outcomeUnknown }
}

/** What an operator should check for a systemic failure, in one sentence (the pause message and `herald doctor`). */
export function adviceFor(failure: SendFailure): string {
  const text = failure.reply.toLowerCase()
  if (failure.code !== null && AUTH_REPLY_CODES.has(failure.code)) {
    return 'the server wants a valid login: check the user name and password in SMTP_URL'
  }
  if (/auth/.test(text) || failure.command?.startsWith('AUTH')) return 'check the user name and password in SMTP_URL'
  if (/relay/.test(text)) return 'the server refuses to relay: check that SMTP_URL logs in, and that this server may send for email.from'
  if (failure.enhanced === '5.1.7' || failure.enhanced === '5.1.8' || failure.command === 'MAIL FROM' || /sender/.test(text)) {
    return 'the server refuses the sender: check email.from (its domain must exist and be one this server sends for)'
  }
  if (/tls|ssl|certificate|cert_|self.signed|starttls/.test(text)) {
    return 'TLS failed: use smtps:// for port 465 and smtp:// (STARTTLS) for 587; ?requireTLS=false only for a trusted local relay'
  }
  if (/enospc|edquot|eacces|eperm|erofs|outbox/.test(text))
    return 'Herald cannot write the outbox folder: check its disk space and permissions'
  if (failure.scope === 'connection') return 'check that the SMTP server in SMTP_URL is up and reachable from this machine'
  if (failure.enhanced?.startsWith('5.7.') || failure.enhanced?.startsWith('4.7.')) {
    return "the server's policy refuses this sender or message: check the account's sending limits and email.from"
  }
  return 'check the mail server and SMTP_URL'
}

/**
 * Replies that are about the sender or the relay whatever their code says: a relay refusal written as a plain
 * `550 Relaying denied` must never bounce a recipient.
 */
export function looksSystemic(reply: string): boolean {
  return /relay|authenticat|sender address rejected|sender verify|not (?:permitted|allowed|authorized) to send/i.test(reply)
}
