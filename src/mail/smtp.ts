import nodemailer, { type DKIMOptions } from 'nodemailer'
import type { Logger } from '../log.js'
import { assertSendable, type MailMessage, toNodemailer } from './message.js'
import type { MailTransport, SendResult } from './types.js'

/** Options for {@link createSmtpTransport}. */
export interface SmtpTransportOptions {
  /** `smtp://user:pass@host:587` (STARTTLS when offered) or `smtps://…:465`; query parameters are nodemailer options. */
  readonly url: string
  readonly logger: Logger
  /** Most connections in the pool. Default 5. */
  readonly maxConnections?: number
  /** Messages per connection before it is recycled. Default 100. */
  readonly maxMessages?: number
  readonly dkim?: DKIMOptions
}

/**
 * Pooled SMTP through nodemailer. Timeouts are shorter than nodemailer's minutes-long defaults
 * so a stuck server shows up as a transient failure.
 */
export function createSmtpTransport(options: SmtpTransportOptions): MailTransport {
  const transporter = nodemailer.createTransport({
    url: options.url,
    pool: true,
    maxConnections: options.maxConnections ?? 5,
    maxMessages: options.maxMessages ?? 100,
    connectionTimeout: 30_000,
    greetingTimeout: 30_000,
    socketTimeout: 60_000,
    disableFileAccess: true,
    disableUrlAccess: true,
    ...(options.dkim ? { dkim: options.dkim } : {}),
  })
  return {
    kind: 'smtp',
    async send(message: MailMessage): Promise<SendResult> {
      assertSendable(message)
      const info = await transporter.sendMail(toNodemailer(message))
      return {
        messageId: info.messageId,
        response: info.response,
        accepted: addresses(info.accepted),
        rejected: addresses(info.rejected),
      }
    },
    async close() {
      transporter.close()
    },
  }
}

function addresses(list: ReadonlyArray<string | { address: string }> | undefined): string[] {
  return (list ?? []).map((entry) => (typeof entry === 'string' ? entry : entry.address))
}
