import type { MailMessage } from './message.js'
import type { RawMessage } from './mime-template.js'

/** What a transport reports for an accepted message. */
export interface SendResult {
  readonly messageId: string
  /** The server's final reply (SMTP) or where the file went (outbox). */
  readonly response: string
  readonly accepted: readonly string[]
  readonly rejected: readonly string[]
}

/**
 * Every email Herald sends goes through one of these: pooled SMTP, or an outbox folder of `.eml` files.
 * `send` rejects with `HeraldError('MAIL_INVALID')` for a message that must not be sent (header
 * injection, bad recipient) and with the transport's error otherwise: see `classifySendError`.
 */
export interface MailTransport {
  /** `smtp` or `outbox`, for logs and `herald status`. */
  readonly kind: 'smtp' | 'outbox'
  send(message: MailMessage): Promise<SendResult>
  /** Sends a message built beforehand (`mail/mime-template.ts`) as it is, to the envelope's recipient. */
  sendRaw(message: RawMessage): Promise<SendResult>
  /**
   * Checks once that mail can go out (SMTP: connect, TLS, login; outbox: the folder is writable), rejecting with the
   * same errors `send` would (classify them with `classifySendError`).
   */
  verify(): Promise<void>
  /** Closes pooled connections. Messages already handed to `send` finish first. */
  close(): Promise<void>
}
