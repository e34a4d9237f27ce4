import type { DKIMOptions } from 'nodemailer'
import type { Config } from '../config.js'
import type { Logger } from '../log.js'
import { createOutboxTransport } from './outbox.js'
import { createSmtpTransport } from './smtp.js'
import type { MailTransport } from './types.js'

export type { MailMessage } from './message.js'
export type { MailTransport, SendResult } from './types.js'

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
    return createSmtpTransport({
      url: config.env.smtpUrl,
      logger,
      ...(options.dkim ? { dkim: options.dkim } : {}),
      ...(options.maxConnections ? { maxConnections: options.maxConnections } : {}),
    })
  }
  logger.debug({ outbox: config.email.outboxDir }, 'SMTP_URL is not set: emails are written to the outbox folder')
  return createOutboxTransport({ dir: config.email.outboxDir, ...(options.dkim ? { dkim: options.dkim } : {}) })
}
