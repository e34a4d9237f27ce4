import { randomBytes } from 'node:crypto'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import nodemailer, { type DKIMOptions } from 'nodemailer'
import { writeFileAtomically } from '../infra/atomic-file.js'
import { assertSendable, type MailMessage, toNodemailer } from './message.js'
import type { RawMessage } from './mime-template.js'
import type { MailTransport, SendResult } from './types.js'

/** Options for {@link createOutboxTransport}. */
export interface OutboxTransportOptions {
  /** Folder for `.eml` files; created when missing. */
  readonly dir: string
  readonly dkim?: DKIMOptions
}

/**
 * Writes each message as `<outbox>/<Message-ID>.eml` (CRLF line ends, as on the wire): to a hidden
 * temporary file first, flushed, then renamed, so a reader never sees half a message. The name comes
 * from the Message-ID, so sending the same message again replaces its file instead of adding one.
 */
export function createOutboxTransport(options: OutboxTransportOptions): MailTransport {
  const composer = nodemailer.createTransport({
    streamTransport: true,
    buffer: true,
    newline: 'windows',
    disableFileAccess: true,
    disableUrlAccess: true,
    ...(options.dkim ? { dkim: options.dkim } : {}),
  })
  return {
    kind: 'outbox',
    async send(message: MailMessage): Promise<SendResult> {
      assertSendable(message)
      const info = await composer.sendMail(toNodemailer(message))
      const file = path.join(options.dir, outboxFileName(info.messageId))
      // What a delivering server adds: the envelope sender, so the file shows where bounces would go.
      const returnPath = message.envelopeFrom ? Buffer.from(`Return-Path: <${message.envelopeFrom}>\r\n`) : Buffer.alloc(0)
      await writeFileAtomically(file, Buffer.concat([returnPath, info.message as Buffer]), { fsync: true, mode: 0o600 })
      return { messageId: info.messageId, response: `written to ${file}`, accepted: [message.to], rejected: [] }
    },
    async sendRaw(message: RawMessage): Promise<SendResult> {
      // Through nodemailer's stream transport all the same, so a configured DKIM key signs it.
      const info = await composer.sendMail({ raw: message.raw, envelope: { from: message.envelope.from, to: [message.envelope.to] } })
      const file = path.join(options.dir, outboxFileName(message.messageId))
      // What a receiving server would add: the envelope sender (a VERP address when email.bounce_address is set).
      const returnPath = Buffer.from(`Return-Path: <${message.envelope.from}>\r\n`)
      await writeFileAtomically(file, Buffer.concat([returnPath, info.message as Buffer]), { fsync: true, mode: 0o600 })
      return { messageId: message.messageId, response: `written to ${file}`, accepted: [message.envelope.to], rejected: [] }
    },
    async verify() {
      // The folder exists (or can be made) and takes a file: the checks a send would need.
      await mkdir(options.dir, { recursive: true })
      const probe = path.join(options.dir, `.herald-check-${randomBytes(4).toString('hex')}`)
      await writeFile(probe, '', { mode: 0o600 })
      await rm(probe, { force: true })
    },
    async close() {
      composer.close()
    },
  }
}

/** `<a.b@example.org>` → `a.b@example.org.eml`; anything but letters, digits and `.@_-` becomes `_`. */
export function outboxFileName(messageId: string): string {
  const bare = messageId
    .replace(/^<|>$/g, '')
    .replace(/[^A-Za-z0-9.@_-]/g, '_')
    .replace(/^\.+/, '_')
  return `${bare.slice(0, 200)}.eml`
}
