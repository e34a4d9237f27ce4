import type { DKIMOptions } from 'nodemailer'
import type { Config } from '../config.js'
import type { Logger } from '../log.js'
import type { MailMessage } from './message.js'
import { createOutboxTransport } from './outbox.js'
import { createSmtpTransport } from './smtp.js'

export type { MailMessage } from './message.js'

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
  /** Closes pooled connections. Messages already handed to `send` finish first. */
  close(): Promise<void>
}

/** Options for {@link createTransport}. */
export interface CreateTransportOptions {
  readonly config: Config
  readonly logger: Logger
  /** DKIM signing options passed to nodemailer (both transports sign). */
  readonly dkim?: DKIMOptions
  /** Most SMTP connections in the pool. Default 5. */
  readonly maxConnections?: number
}

/** `SMTP_URL` set → pooled SMTP; unset → `.eml` files in `email.outbox` (default `<site>/outbox`). */
export function createTransport(options: CreateTransportOptions): MailTransport {
  const { config, logger } = options
  if (config.env.smtpUrl) {
    return createSmtpTransport({ url: config.env.smtpUrl, logger, ...(options.dkim ? { dkim: options.dkim } : {}), ...(options.maxConnections ? { maxConnections: options.maxConnections } : {}) })
  }
  logger.debug({ outbox: config.email.outboxDir }, 'SMTP_URL is not set: emails are written to the outbox folder')
  return createOutboxTransport({ dir: config.email.outboxDir, ...(options.dkim ? { dkim: options.dkim } : {}) })
}
