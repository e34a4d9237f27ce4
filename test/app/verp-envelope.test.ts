import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { parseVerpTag, verpKey } from '../../src/bounces/verp.js'
import { assertSendable } from '../../src/mail/message.js'
import { createOutboxTransport } from '../../src/mail/outbox.js'
import { BOUNCE_ADDRESS, BOUNCE_SECRET, type BounceSite, startBounceSite } from '../support/bounce-site.js'

let site: BounceSite | undefined
afterEach(async () => {
  await site?.close()
  site = undefined
})

describe('VERP: every digest has its own envelope sender', () => {
  it('sends each message from bounces+<signed tag>@…, naming its edition and subscriber; the From header is unchanged', async () => {
    site = await startBounceSite({ subscribers: ['ann@example.org', 'bob@example.net'] })
    const key = verpKey(BOUNCE_SECRET)
    for (const email of ['ann@example.org', 'bob@example.net']) {
      const envelope = site.verp(email)
      expect(envelope).toMatch(/^bounces\+[a-z2-7]{42}@blog\.example\.org$/)
      const subscriber = (await site.subscribers.getByEmail(email))!
      expect(parseVerpTag(envelope, BOUNCE_ADDRESS, key, [site.edition()])).toEqual({
        editionId: site.edition(),
        subscriberId: subscriber.id,
      })
      const message = site.sink.messages.find((received) => received.envelopeTo.includes(email))!
      expect(message.parsed.from?.value[0]?.address).toBe('news@blog.example.org')
    }
    expect(site.verp('ann@example.org')).not.toBe(site.verp('bob@example.net'))
  })
})

describe('the envelope sender of a message', () => {
  const message = {
    from: '"Test Blog" <news@blog.example.org>',
    to: 'ann@example.org',
    subject: 'A post',
    html: '<p>Hi</p>',
    text: 'Hi',
    messageId: '<e.s@blog.example.org>',
  }

  it('is checked like the headers: a plain address, no line breaks', () => {
    expect(() => assertSendable({ ...message, envelopeFrom: 'bounces+abc@blog.example.org' })).not.toThrow()
    expect(() => assertSendable({ ...message, envelopeFrom: 'bounces@blog.example.org\r\nBcc: x@example.org' })).toThrow(/line break/)
    expect(() => assertSendable({ ...message, envelopeFrom: 'not an address' })).toThrow(/envelope sender/)
  })

  it('is written by the outbox as the Return-Path a delivering server would add', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'herald-outbox-'))
    const outbox = createOutboxTransport({ dir })
    try {
      const sent = await outbox.send({ ...message, envelopeFrom: 'bounces+abc@blog.example.org' })
      const file = await readFile(sent.response.replace(/^written to /, ''), 'utf8')
      expect(file.split('\r\n')[0]).toBe('Return-Path: <bounces+abc@blog.example.org>')
      // The From header is the message's own, untouched.
      expect(file).toMatch(/^From: Test Blog <news@blog\.example\.org>\r$/m)
      // A digest goes as a prebuilt raw message with its own envelope: the same Return-Path.
      const raw = Buffer.from('From: news@blog.example.org\r\nTo: ann@example.org\r\nSubject: x\r\nMessage-ID: <r.s@b.org>\r\n\r\nHi\r\n')
      const rawSent = await outbox.sendRaw({
        raw,
        messageId: '<r.s@b.org>',
        envelope: { from: 'bounces+def@blog.example.org', to: 'ann@example.org' },
      })
      const rawFile = await readFile(rawSent.response.replace(/^written to /, ''), 'utf8')
      expect(rawFile.split('\r\n')[0]).toBe('Return-Path: <bounces+def@blog.example.org>')
    } finally {
      await outbox.close()
      await rm(dir, { recursive: true, force: true })
    }
  })
})
