import { HeraldError } from '../errors.js'
import { adviceFor, classifySendError } from '../mail/errors.js'
import type { SiteServices } from './services.js'

/**
 * Checks once that mail can leave (SMTP: connect, TLS, login; outbox: the folder is writable) before anything is
 * claimed or sent. A failure is `HeraldError('MAIL_UNAVAILABLE')` (exit status 2) quoting the server and what to check,
 * so a broken configuration is found before a single subscriber is touched.
 */
export async function verifyMailTransport(services: SiteServices): Promise<void> {
  const transport = services.transport()
  try {
    await transport.verify()
  } catch (error) {
    const failure = classifySendError(error)
    const where =
      transport.kind === 'outbox' ? `the outbox folder ${services.context.config.email.outboxDir}` : 'the SMTP server (SMTP_URL)'
    throw new HeraldError(
      'MAIL_UNAVAILABLE',
      `cannot send mail through ${where}: ${failure.reply.replace(/\s+/g, ' ')}; ${adviceFor(failure)}. Nothing was claimed or sent.`,
      { field: transport.kind === 'outbox' ? 'email.outbox' : 'SMTP_URL' },
      { cause: error },
    )
  }
}
