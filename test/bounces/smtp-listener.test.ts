import nodemailer from 'nodemailer'
import { afterEach, describe, expect, it } from 'vitest'
import { type BounceListener, type ListenerEnvelope, startBounceListener } from '../../src/bounces/smtp-listener.js'
import { silentLogger } from '../../src/log.js'

let listener: BounceListener | undefined
afterEach(async () => {
  await listener?.close()
  listener = undefined
})

const message = Buffer.from('From: mailer-daemon@example.net\r\nSubject: Undelivered Mail\r\n\r\nbounce\r\n')

async function start(options: { fail?: boolean; messagesPerMinute?: number; maxBytes?: number } = {}) {
  const received: Array<{ raw: Buffer; envelope: ListenerEnvelope }> = []
  listener = await startBounceListener({
    host: '127.0.0.1',
    port: 0,
    bounceAddress: 'Bounces@Blog.Example.org',
    logger: silentLogger(),
    messagesPerMinute: options.messagesPerMinute ?? 60,
    maxBytes: options.maxBytes ?? 1024 * 1024,
    maxRecipients: 2,
    onMessage: async (raw, envelope) => {
      if (options.fail) throw new Error('Redis is away')
      received.push({ raw, envelope })
    },
  })
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: listener.port, secure: false, ignoreTLS: true })
  const send = (to: string[], raw = message) => transport.sendMail({ envelope: { from: 'mailer-daemon@example.net', to }, raw })
  return { received, send, close: () => transport.close() }
}

describe('the bounce listener', () => {
  it('takes mail for the bounce address and its +tag forms (any case), and refuses every other address', async () => {
    const smtp = await start()
    await smtp.send(['bounces@blog.example.org'])
    await smtp.send(['BOUNCES+abc@blog.example.org'])
    await expect(smtp.send(['postmaster@blog.example.org'])).rejects.toMatchObject({ responseCode: 550 })
    await expect(smtp.send(['bounces@elsewhere.example'])).rejects.toMatchObject({ responseCode: 550 })
    await expect(smtp.send(['bouncesx@blog.example.org'])).rejects.toMatchObject({ responseCode: 550 })
    smtp.close()
    expect(smtp.received.map((entry) => entry.envelope.to)).toEqual([['bounces@blog.example.org'], ['BOUNCES+abc@blog.example.org']])
    expect(smtp.received[0]!.raw.toString()).toContain('Subject: Undelivered Mail')
  })

  it('limits size, recipients and messages per minute per client; a failure to handle one asks the sender to retry', async () => {
    const smtp = await start({ messagesPerMinute: 3, maxBytes: 2000 })
    await expect(smtp.send(['bounces@blog.example.org'], Buffer.alloc(5000, 'x'))).rejects.toThrow(/552|size/i)
    const many = await smtp.send(['bounces+1@blog.example.org', 'bounces+2@blog.example.org', 'bounces+3@blog.example.org'])
    expect(many.rejected).toEqual(['bounces+3@blog.example.org'])
    expect(String(many.rejectedErrors?.[0])).toContain('452 4.5.3')
    // Three messages a minute from one client: the next one is refused for now (a real MTA retries later).
    let refusal: unknown = null
    for (let attempt = 0; attempt < 4 && !refusal; attempt++)
      await smtp.send(['bounces@blog.example.org']).catch((error) => (refusal = error))
    expect(refusal).toMatchObject({ responseCode: 451 })
    expect(smtp.received.length).toBeLessThanOrEqual(3)
    smtp.close()

    const failing = await start({ fail: true })
    await expect(failing.send(['bounces@blog.example.org'])).rejects.toMatchObject({ responseCode: 451 })
    failing.close()
  })
})
