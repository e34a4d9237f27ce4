import { randomBytes } from 'node:crypto'
import { mkdir, open, rename, rm } from 'node:fs/promises'
import path from 'node:path'
import nodemailer, { type DKIMOptions } from 'nodemailer'
import { assertSendable, toNodemailer, type MailMessage } from './message.js'
import type { MailTransport, SendResult } from './transport.js'

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
      await writeAtomically(file, info.message as Buffer)
      return { messageId: info.messageId, response: `written to ${file}`, accepted: [message.to], rejected: [] }
    },
    async close() {
      composer.close()
    },
  }
}

/** `<a.b@example.org>` → `a.b@example.org.eml`; anything but letters, digits and `.@_-` becomes `_`. */
export function outboxFileName(messageId: string): string {
  const bare = messageId.replace(/^<|>$/g, '').replace(/[^A-Za-z0-9.@_-]/g, '_').replace(/^\.+/, '_')
  return `${bare.slice(0, 200)}.eml`
}

async function writeAtomically(file: string, bytes: Buffer): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true })
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`)
  try {
    const handle = await open(temporary, 'w', 0o644)
    try {
      await handle.writeFile(bytes)
      await handle.sync()
    } finally {
      await handle.close()
    }
    await rename(temporary, file)
  } catch (error) {
    await rm(temporary, { force: true })
    throw error
  }
}
