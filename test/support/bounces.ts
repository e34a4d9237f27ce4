import { readFileSync } from 'node:fs'
import path from 'node:path'
import { FIXTURES } from './site.js'

/** Real returned mail and webhook payloads (test/fixtures/bounces/SOURCES.md says where each comes from). */
export const BOUNCE_FIXTURES = path.join(FIXTURES, 'bounces')

/** A fixture's bytes, as saved (some with CRLF line ends, as upstream keeps them). */
export function bounceFixture(name: string): Buffer {
  return readFileSync(path.join(BOUNCE_FIXTURES, name))
}

/** A webhook payload fixture as text. */
export function webhookFixture(name: string): string {
  return bounceFixture(path.join('webhooks', name)).toString('utf8')
}

/** The same message with the other line ends (CRLF ↔ LF), so every sample is read both ways. */
export function flipLineEnds(raw: Buffer): Buffer {
  const text = raw.toString('latin1')
  return Buffer.from(text.includes('\r\n') ? text.replace(/\r\n/g, '\n') : text.replace(/\n/g, '\r\n'), 'latin1')
}

/** The recipient each returned-mail sample is about (the address that failed, as the sample writes it). */
export const SAMPLE_RECIPIENTS: Readonly<Record<string, string>> = {
  'dsn/gmail-01-plaintext-user-unknown.eml': 'aougoueioaldljgoiuiorghladkgke@example.fr',
  'dsn/gmail-02-rfc3464-address-not-found.eml': 'kijitora@example.de',
  'dsn/gmail-03-soft-storage-quota-exceeded.eml': 'neko-nyaan@google.example.com',
  'dsn/outlook-01-hotmail-mailbox-full-5.2.2.eml': 'kijitora@example.jp',
  'dsn/outlook-02-outlookcom-user-unknown-5.1.1.eml': 'kijitora@example.jp',
  'dsn/exchange-01-ndr-user-unknown-5.1.1.eml': 'email_that_does_not_exists_this_is_just_a_test@gmail.com',
  'dsn/exchange-02-delayed-4.4.7.eml': 'rui.lopes@example.com',
  'dsn/office365-01-ndr-5.1.10-recipient-not-found.eml': 'rui-lopes@example.com',
  'dsn/postfix-01-dmarc-reject-5.7.26-from-gmail.eml': 'kijitora@google.example.com',
  'dsn/postfix-02-dmarc-reject-5.7.1-from-icloud.eml': 'kijitora@apple.example.com',
  'dsn/postfix-03-verp-o365-recipient-rejected-5.4.1.eml': 'kijitora@example.br',
  'dsn/exim-01-two-recipients-user-unknown.eml': 'sabatora@example.jp',
  'dsn/exim-02-recipient-address-rejected.eml': 'kijitora@exmaple.ch',
  'arf/arf-03-abusix-spamtrap-abuse.eml': 'fake.rcpt@example.com',
  'arf/arf-05-hotmail-jmrp-non-arf-multipart-mixed.eml': 'recipient@hotmail.com',
}

/** The envelope sender of the message each sample returns, where the sample repeats it (ARF's Original-Mail-From…). */
export const SAMPLE_SENDERS: Readonly<Record<string, string>> = {
  'arf/arf-01-terra-returnpath-fbl-abuse.eml': 'fake.sender@example.net',
  'arf/arf-05-hotmail-jmrp-non-arf-multipart-mixed.eml': 'sender@example.com',
}

/**
 * A real sample as if it had come back about one of our messages: the address it is about becomes `recipient`, the
 * envelope sender it repeats (if any) becomes our `verp` address, and, unless `deliveredTo` is false, it starts with the
 * `Delivered-To:` header an MTA adds when it delivers to the tagged bounce address (in the sample's own line ends). The
 * report itself is left as it was.
 */
export function returnedTo(name: string, options: { recipient: string; verp: string; deliveredTo?: boolean }): Buffer {
  const literal = (value: string) => new RegExp(value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gi')
  let text = bounceFixture(name).toString('latin1')
  const original = SAMPLE_RECIPIENTS[name]
  if (original) text = text.replace(literal(original), options.recipient)
  const sender = SAMPLE_SENDERS[name]
  if (sender) text = text.replace(literal(sender), options.verp)
  if (options.deliveredTo === false) return Buffer.from(text, 'latin1')
  const eol = text.includes('\r\n') ? '\r\n' : '\n'
  return Buffer.from(`Delivered-To: ${options.verp}${eol}${text}`, 'latin1')
}
