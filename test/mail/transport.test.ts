import { mkdtemp, readdir, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { simpleParser } from 'mailparser'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseConfig } from '../../src/config.js'
import { HeraldError } from '../../src/errors.js'
import { silentLogger } from '../../src/log.js'
import { classifySendError } from '../../src/mail/errors.js'
import type { MailMessage } from '../../src/mail/message.js'
import { createOutboxTransport, outboxFileName } from '../../src/mail/outbox.js'
import { createSmtpTransport } from '../../src/mail/smtp.js'
import { createTransport } from '../../src/mail/transport.js'
import { siteConfig } from '../support/site.js'
import { type SmtpSink, startSmtpSink } from '../support/smtp.js'

const message = (overrides: Partial<MailMessage> = {}): MailMessage => ({
  from: '"Test Blog" <news@blog.example.org>',
  to: 'ann@example.org',
  replyTo: 'editor@blog.example.org',
  subject: 'Привет, world',
  html: '<p>Hello <b>Ann</b></p>',
  text: 'Hello Ann',
  headers: { 'List-Id': 'Test Blog <blog.example.org>' },
  ...overrides,
})

let sink: SmtpSink
beforeAll(async () => {
  sink = await startSmtpSink()
  sink.setPolicy((address) => {
    if (address.startsWith('gone@')) return { code: 550, message: '5.1.1 <gone@example.org>: no such user' }
    if (address.startsWith('later@')) return { code: 451, message: '4.7.1 try again later' }
    return undefined
  })
})
afterAll(() => sink.close())

describe('SMTP transport', () => {
  it('delivers through a pooled connection with the headers intact', async () => {
    const transport = createSmtpTransport({ url: sink.url, logger: silentLogger() })
    try {
      const result = await transport.send(message({ messageId: '<e1.s1@blog.example.org>' }))
      expect(result).toMatchObject({ messageId: '<e1.s1@blog.example.org>', accepted: ['ann@example.org'], rejected: [] })
      expect(result.response).toMatch(/^250/)
      const received = sink.messages.find((mail) => mail.parsed.messageId === '<e1.s1@blog.example.org>')!
      expect(received.envelopeTo).toEqual(['ann@example.org'])
      expect(received.parsed.subject).toBe('Привет, world')
      expect(received.parsed.from?.value[0]).toMatchObject({ address: 'news@blog.example.org', name: 'Test Blog' })
      expect(received.raw.toString('utf8')).toMatch(/^List-Id: Test Blog <blog\.example\.org>\r$/im)
      expect(received.parsed.text?.trim()).toBe('Hello Ann')
    } finally {
      await transport.close()
    }
  })

  it('classifies 5xx recipient rejections as permanent bounces and 4xx as transient', async () => {
    const transport = createSmtpTransport({ url: sink.url, logger: silentLogger() })
    try {
      const permanent = await transport.send(message({ to: 'gone@example.org' })).catch((error: unknown) => error)
      expect(classifySendError(permanent)).toEqual({
        kind: 'permanent',
        bounce: true,
        code: 550,
        reply: expect.stringContaining('no such user'),
        outcomeUnknown: false,
      })
      const transient = await transport.send(message({ to: 'later@example.org' })).catch((error: unknown) => error)
      expect(classifySendError(transient)).toMatchObject({
        kind: 'transient',
        bounce: false,
        code: 451,
        reply: expect.stringContaining('try again later'),
      })
    } finally {
      await transport.close()
    }
  })

  it('classifies connection failures as transient', async () => {
    const transport = createSmtpTransport({ url: 'smtp://127.0.0.1:1', logger: silentLogger() })
    try {
      const error = await transport.send(message()).catch((caught: unknown) => caught)
      // Refused before any message could be handed over: a retry cannot duplicate anything.
      expect(classifySendError(error)).toMatchObject({ kind: 'transient', bounce: false, code: null, outcomeUnknown: false })
    } finally {
      await transport.close()
    }
  })
})

describe('classifySendError', () => {
  it('says the outcome is unknown when an established connection broke without a reply', () => {
    const timeout = Object.assign(new Error('Timeout'), { code: 'ETIMEDOUT', command: 'DATA' })
    expect(classifySendError(timeout)).toMatchObject({ kind: 'transient', code: null, outcomeUnknown: true })
    const greylisted = Object.assign(new Error('451 later'), { responseCode: 451, response: '451 later', command: 'RCPT TO' })
    expect(classifySendError(greylisted)).toMatchObject({ kind: 'transient', outcomeUnknown: false })
  })

  it.each([
    [{ code: 'EAUTH', responseCode: 535, response: '535 bad credentials' }, 'transient', false],
    [{ code: 'EMESSAGE', responseCode: 554, response: '554 5.7.1 spam', command: 'DATA' }, 'permanent', false],
    [{ code: 'EMESSAGE', responseCode: 550, response: '550 5.1.1 user unknown', command: 'DATA' }, 'permanent', true],
    [{ code: 'EMESSAGE', responseCode: 552, response: '552 5.2.2 mailbox full', command: 'DATA' }, 'permanent', false],
    [{ code: 'EPROTOCOL', responseCode: 503, response: '503 bad sequence' }, 'transient', false],
    [{ code: 'ETIMEDOUT' }, 'transient', false],
    [new Error('something odd'), 'transient', false],
    [new HeraldError('MAIL_INVALID', 'bad', { field: 'to' }), 'permanent', true],
    [new HeraldError('MAIL_INVALID', 'bad', { field: 'subject' }), 'permanent', false],
  ])('%j → %s', (error, kind, bounce) => {
    expect(classifySendError(error)).toMatchObject({ kind, bounce })
  })
})

describe('header injection', () => {
  it.each([
    { subject: 'Hi\r\nBcc: victim@example.org' },
    { to: 'ann@example.org\nBcc: victim@example.org' },
    { from: 'x <a@b.org>\r\nBcc: v@example.org' },
    { replyTo: 'a@b.org\nX: y' },
    { headers: { 'List-Unsubscribe': '<https://x>\r\nBcc: v@example.org' } },
    { headers: { 'Bad Name': 'x' } },
    { messageId: '<a@b>\r\nX: y' },
  ])('refuses %j before anything is sent', async (overrides) => {
    const dir = await mkdtemp(path.join(tmpdir(), 'herald-outbox-'))
    const transport = createOutboxTransport({ dir })
    const error = await transport.send(message(overrides as Partial<MailMessage>)).catch((caught: unknown) => caught)
    expect(error).toMatchObject({ code: 'MAIL_INVALID' })
    expect(await readdir(dir).catch(() => [])).toEqual([])
  })
})

describe('outbox transport', () => {
  it('writes one parseable .eml per Message-ID, atomically, and a resend replaces it', async () => {
    const dir = path.join(await mkdtemp(path.join(tmpdir(), 'herald-outbox-')), 'outbox')
    const transport = createOutboxTransport({ dir })
    const first = await transport.send(message({ messageId: '<edition1.ann@blog.example.org>' }))
    expect(first.response).toBe(`written to ${path.join(dir, 'edition1.ann@blog.example.org.eml')}`)
    await transport.send(message({ messageId: '<edition1.ann@blog.example.org>', text: 'Second try' }))
    await transport.send(message({ to: 'bob@example.org' }))
    const files = await readdir(dir)
    expect(files.filter((name) => name.startsWith('.'))).toEqual([])
    expect(files).toHaveLength(2)
    const raw = await readFile(path.join(dir, 'edition1.ann@blog.example.org.eml'))
    expect(raw.includes('\r\n')).toBe(true)
    const parsed = await simpleParser(raw)
    expect(parsed.text?.trim()).toBe('Second try')
    expect(parsed.messageId).toBe('<edition1.ann@blog.example.org>')
    expect(parsed.replyTo?.text).toBe('editor@blog.example.org')
  })

  it('names files safely whatever the Message-ID holds', () => {
    const name = outboxFileName('<../../etc/passwd@x>')
    expect(name).not.toMatch(/^\.|\//)
    expect(path.basename(name)).toBe(name)
    expect(outboxFileName('<a/b\\c@x.org>')).toBe('a_b_c@x.org.eml')
  })

  it('is what createTransport picks without SMTP_URL, and SMTP with it', async () => {
    const site = await mkdtemp(path.join(tmpdir(), 'herald-site-'))
    const outbox = createTransport({ config: parseConfig(siteConfig(), site, {}), logger: silentLogger() })
    expect(outbox.kind).toBe('outbox')
    await outbox.send(message())
    expect((await readdir(path.join(site, 'outbox'))).length).toBe(1)
    const smtp = createTransport({ config: parseConfig(siteConfig(), site, { SMTP_URL: sink.url }), logger: silentLogger() })
    expect(smtp.kind).toBe('smtp')
    await smtp.close()
  })
})
