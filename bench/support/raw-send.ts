// Child of bench/digest.ts: plain pooled nodemailer, with exactly the transport options src/mail/smtp.ts uses
// (captured by calling createSmtpTransport with nodemailer.createTransport intercepted), sends `count` messages
// shaped like a real digest to the sink, keeping `window` sendMail calls in flight. Prints one JSON line.
// Usage: node --import tsx bench/support/raw-send.ts <smtp url> <count> <message.json> [window]
import { readFileSync } from 'node:fs'
import nodemailer from 'nodemailer'
import type SMTPPool from 'nodemailer/lib/smtp-pool/index.js'
import { createLogger } from '../../src/log.js'
import { createSmtpTransport } from '../../src/mail/smtp.js'

/** A digest as the sink received it, reduced to what nodemailer needs to build an equal message. */
export interface MessageShape {
  readonly from: string
  readonly subject: string
  readonly html: string
  readonly text: string
  readonly headers: Record<string, string>
  /** Transfer encoding of the digest's HTML part (`quoted-printable` or `base64`), so both sides encode alike. */
  readonly textEncoding: 'quoted-printable' | 'base64' | null
}

const [url, countText, messageFile, windowText] = process.argv.slice(2)
if (!url || !countText || !messageFile) throw new Error('usage: raw-send.ts <smtp url> <count> <message.json> [window]')
const count = Number(countText)
const window = Number(windowText ?? '10')
const shape = JSON.parse(readFileSync(messageFile, 'utf8')) as MessageShape

// The options Herald's transport gives nodemailer (pool size, messages per connection, timeouts).
let heraldOptions: SMTPPool.Options | undefined
const realCreateTransport = nodemailer.createTransport
nodemailer.createTransport = ((options: SMTPPool.Options) => {
  heraldOptions = options
  return realCreateTransport({ jsonTransport: true })
}) as typeof nodemailer.createTransport
// With HERALD_BENCH_DKIM_KEY (a PEM file), both sides sign: the same key, domain and selector as the bench site.
const dkimKey = process.env.HERALD_BENCH_DKIM_KEY
const dkim = dkimKey ? { domainName: 'bench.example.org', keySelector: 'bench', privateKey: readFileSync(dkimKey, 'utf8') } : undefined
await createSmtpTransport({
  url,
  logger: createLogger({ verbosity: 'quiet', destination: process.stderr, pretty: false }),
  ...(dkim ? { dkim } : {}),
}).close()
nodemailer.createTransport = realCreateTransport
if (!heraldOptions) throw new Error('could not capture the transport options of src/mail/smtp.ts')

const transporter = nodemailer.createTransport(heraldOptions)
let next = 0
let sent = 0
const started = performance.now()
await Promise.all(
  Array.from({ length: Math.min(window, count) }, async () => {
    while (next < count) {
      const index = next++
      await transporter.sendMail({
        from: shape.from,
        to: `reader${index}@bench.example.org`,
        subject: shape.subject,
        html: shape.html,
        text: shape.text,
        headers: shape.headers,
        ...(shape.textEncoding ? { textEncoding: shape.textEncoding } : {}),
        messageId: `<raw.${index}@bench.example.org>`,
        disableFileAccess: true,
        disableUrlAccess: true,
      })
      sent++
    }
  }),
)
const elapsedMs = performance.now() - started
transporter.close()
process.stdout.write(
  `${JSON.stringify({
    sent,
    elapsedMs,
    window,
    maxConnections: heraldOptions.maxConnections ?? null,
    maxMessages: heraldOptions.maxMessages ?? null,
    pool: heraldOptions.pool ?? false,
  })}\n`,
)
