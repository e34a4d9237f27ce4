import { createHash } from 'node:crypto'
import type { DKIMOptions } from 'nodemailer'
import type { Config } from '../config.js'
import { HeraldError } from '../errors.js'
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

/** Said whenever a command would send mail but no way out was chosen. */
export const NO_TRANSPORT =
  'no mail transport is set: set SMTP_URL (e.g. smtps://user:password@smtp.example.org:465) to send, or choose the ' +
  'outbox folder explicitly (SMTP_URL=outbox: or email.transport: outbox in herald.yml) to only write .eml files'

/**
 * The transport the configuration chose: pooled SMTP (`SMTP_URL`) or the outbox folder (`SMTP_URL=outbox:` or
 * `email.transport: outbox`). With neither, `HeraldError('CONFIG_MISSING')`: mail recorded as sent into a folder
 * nobody reads would be mail lost.
 */
export function createTransport(options: CreateTransportOptions): MailTransport {
  const { config, logger } = options
  if (config.email.transport === 'smtp') {
    if (!config.env.smtpUrl || config.env.smtpUrl === 'outbox:') {
      throw new HeraldError('CONFIG_MISSING', `email.transport is smtp but SMTP_URL is not set; ${NO_TRANSPORT}`, { field: 'SMTP_URL' })
    }
    return createSmtpTransport({
      url: config.env.smtpUrl,
      logger,
      deadlineMs: config.email.messageTimeoutMs,
      ...(options.dkim ? { dkim: options.dkim } : {}),
      ...(options.maxConnections ? { maxConnections: options.maxConnections } : {}),
    })
  }
  if (config.email.transport === 'outbox') {
    logger.debug({ outbox: config.email.outboxDir }, 'outbox transport: emails are written as .eml files, nothing is sent')
    return createOutboxTransport({ dir: config.email.outboxDir, ...(options.dkim ? { dkim: options.dkim } : {}) })
  }
  throw new HeraldError('CONFIG_MISSING', NO_TRANSPORT, { field: 'SMTP_URL' })
}

/**
 * A fingerprint of how mail leaves (transport, server URL with its credentials, outbox folder, DKIM): an edition paused
 * for a systemic failure resumes by itself on the first run after this changed. Only the hash is ever stored.
 */
export function transportFingerprint(config: Config): string {
  const parts = [config.email.transport ?? 'none', config.env.smtpUrl ?? '', config.email.outboxDir, JSON.stringify(config.email.dkim)]
  return createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 16)
}
