import { mkdtemp, readdir, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { simpleParser } from 'mailparser'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseConfig } from '../../src/config-parse.js'
import { HeraldError } from '../../src/errors.js'
import { silentLogger } from '../../src/log.js'
import { classifySendError, enhancedStatus } from '../../src/mail/errors.js'
import type { MailMessage } from '../../src/mail/message.js'
import { createOutboxTransport, outboxFileName } from '../../src/mail/outbox.js'
import { createSmtpTransport, smtpUrlOptions } from '../../src/mail/smtp.js'
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
        scope: 'recipient',
        bounce: true,
        code: 550,
        enhanced: '5.1.1',
        command: 'RCPT TO',
        reply: expect.stringContaining('no such user'),
        outcomeUnknown: false,
      })
      const transient = await transport.send(message({ to: 'later@example.org' })).catch((error: unknown) => error)
      expect(classifySendError(transient)).toMatchObject({
        kind: 'transient',
        scope: 'recipient',
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

describe('classifySendError: blame the right party (RFC 3463 enhanced codes and the command that failed)', () => {
  const smtp = (command: string, code: number, response: string, extra: Record<string, unknown> = {}) =>
    Object.assign(new Error(response), {
      code: command === 'DATA' ? 'EMESSAGE' : 'EENVELOPE',
      command,
      responseCode: code,
      response,
      ...extra,
    })

  it.each([
    // Recipient-specific permanent failures at RCPT bounce that recipient, and only those.
    [smtp('RCPT TO', 550, '550 5.1.1 <a@x.org>: User unknown'), 'permanent', 'recipient', true],
    [smtp('RCPT TO', 551, '551 5.1.6 user has moved'), 'permanent', 'recipient', true],
    [smtp('RCPT TO', 553, '553 5.1.3 bad address syntax'), 'permanent', 'recipient', true],
    [smtp('RCPT TO', 550, '550 5.2.1 mailbox disabled'), 'permanent', 'recipient', true],
    [smtp('RCPT TO', 550, '550 no such mailbox here'), 'permanent', 'recipient', true],
    // A full mailbox or a routing problem fails the send but does not bounce the subscriber.
    [smtp('RCPT TO', 552, '552 5.2.2 mailbox full'), 'permanent', 'message', false],
    [smtp('RCPT TO', 554, '554 no'), 'permanent', 'message', false],
    // Relay, policy and sender refusals are systemic wherever they come, with or without an enhanced code.
    [smtp('RCPT TO', 554, '554 5.7.1 <a@x.org>: Relay access denied'), 'permanent', 'systemic', false],
    [smtp('RCPT TO', 550, '550 Relaying denied'), 'permanent', 'systemic', false],
    [smtp('RCPT TO', 550, '550 5.1.8 <noreply@x.org>: Sender address rejected: Domain not found'), 'permanent', 'systemic', false],
    [smtp('MAIL FROM', 553, '553 5.1.8 <noreply@example.org>: Sender address rejected'), 'permanent', 'systemic', false],
    [smtp('MAIL FROM', 530, '530 5.7.0 Authentication required'), 'permanent', 'systemic', false],
    [smtp('MAIL FROM', 550, '550 not allowed'), 'permanent', 'systemic', false],
    [
      Object.assign(new Error('Invalid login'), { code: 'EAUTH', command: 'AUTH PLAIN', responseCode: 535, response: '535 5.7.8 bad' }),
      'permanent',
      'systemic',
      false,
    ],
    [
      Object.assign(new Error('STARTTLS'), { code: 'ETLS', command: 'STARTTLS', responseCode: 502, response: '502 no' }),
      'permanent',
      'systemic',
      false,
    ],
    [
      Object.assign(new Error('self signed'), { code: 'ESOCKET', command: 'CONN', originalCode: 'DEPTH_ZERO_SELF_SIGNED_CERT' }),
      'permanent',
      'systemic',
      false,
    ],
    [smtp('DATA', 554, '554 5.7.1 Message rejected as spam'), 'permanent', 'systemic', false],
    // Verdicts on the message after the final dot.
    [smtp('DATA', 550, '550 5.1.1 user unknown'), 'permanent', 'message', false],
    [smtp('DATA', 552, '552 5.3.4 message too big'), 'permanent', 'message', false],
    [smtp('DATA', 451, '451 4.3.0 queue file write error'), 'transient', 'message', false],
    // Temporary refusals are retried; a greylisting 4.7.1 is not a policy failure.
    [smtp('RCPT TO', 450, '450 4.7.1 <a@x.org>: Recipient address rejected: Greylisted'), 'transient', 'recipient', false],
    [
      Object.assign(new Error('greeting'), { code: 'EPROTOCOL', command: 'CONN', responseCode: 421, response: '421 4.3.2 busy' }),
      'transient',
      'connection',
      false,
    ],
    [
      Object.assign(new Error('refused'), { code: 'ESOCKET', command: 'CONN', originalCode: 'ECONNREFUSED' }),
      'transient',
      'connection',
      false,
    ],
    // The local outbox: the disk, never the recipient.
    [Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' }), 'transient', 'systemic', false],
    [Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' }), 'transient', 'systemic', false],
    [new HeraldError('MAIL_INVALID', 'bad', { field: 'to' }), 'permanent', 'recipient', true],
    [new HeraldError('MAIL_INVALID', 'bad', { field: 'subject' }), 'permanent', 'systemic', false],
  ])('%s → %s %s, bounce %s', (error, kind, scope, bounce) => {
    expect(classifySendError(error)).toMatchObject({ kind, scope, bounce })
  })

  it('says the outcome is unknown only when the whole body went out and no verdict came back', () => {
    const afterDot = Object.assign(new Error('Connection closed unexpectedly'), { code: 'ECONNECTION', command: 'CONN', bodySent: true })
    expect(classifySendError(afterDot)).toMatchObject({ kind: 'transient', scope: 'connection', outcomeUnknown: true })
    const timeout = Object.assign(new Error('Timeout'), { code: 'ETIMEDOUT', command: 'CONN', bodySent: true })
    expect(classifySendError(timeout)).toMatchObject({ outcomeUnknown: true })
    const beforeData = Object.assign(new Error('Connection closed unexpectedly'), { code: 'ECONNECTION', command: 'CONN', bodySent: false })
    expect(classifySendError(beforeData)).toMatchObject({ outcomeUnknown: false })
    // A server that answered (even after the dot) left nothing unknown.
    expect(classifySendError(smtp('DATA', 451, '451 later', { bodySent: true }))).toMatchObject({ outcomeUnknown: false })
  })

  it('reads enhanced status codes only when their class agrees with the reply code', () => {
    expect(enhancedStatus('550 5.1.1 <a@b.c>: no', 550)).toBe('5.1.1')
    expect(enhancedStatus('550-5.1.1 The email account that you tried to reach does not exist', 550)).toBe('5.1.1')
    expect(enhancedStatus('451 5.1.1 odd', 451)).toBeNull()
    expect(enhancedStatus('550 version 2.0.1 of something', 550)).toBeNull()
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

  it('is chosen explicitly: SMTP_URL=outbox: or email.transport: outbox; SMTP_URL wins over the file', async () => {
    const site = await mkdtemp(path.join(tmpdir(), 'herald-site-'))
    const outbox = createTransport({ config: parseConfig(siteConfig(), site, { SMTP_URL: 'outbox:' }), logger: silentLogger() })
    expect(outbox.kind).toBe('outbox')
    await outbox.verify()
    await outbox.send(message())
    expect((await readdir(path.join(site, 'outbox'))).filter((name) => name.endsWith('.eml')).length).toBe(1)
    const chosenInFile = parseConfig(siteConfig('email:\n  transport: outbox'), site, {})
    expect(createTransport({ config: chosenInFile, logger: silentLogger() }).kind).toBe('outbox')
    const smtp = createTransport({
      config: parseConfig(siteConfig('email:\n  transport: outbox'), site, { SMTP_URL: sink.url }),
      logger: silentLogger(),
    })
    expect(smtp.kind).toBe('smtp')
    await smtp.close()
  })

  it('writes .eml files readable by their owner only', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'herald-outbox-'))
    const transport = createOutboxTransport({ dir })
    await transport.send(message({ messageId: '<mode@blog.example.org>' }))
    const { stat } = await import('node:fs/promises')
    expect((await stat(path.join(dir, 'mode@blog.example.org.eml'))).mode & 0o777).toBe(0o600)
  })
})

describe('choosing a transport', () => {
  it('refuses to guess: with neither SMTP_URL nor email.transport, nothing can be sent (and says how to choose)', async () => {
    const site = await mkdtemp(path.join(tmpdir(), 'herald-site-'))
    expect(() => createTransport({ config: parseConfig(siteConfig(), site, {}), logger: silentLogger() })).toThrow(
      expect.objectContaining({ code: 'CONFIG_MISSING', message: expect.stringMatching(/SMTP_URL=outbox: or email.transport: outbox/) }),
    )
    expect(() =>
      createTransport({ config: parseConfig(siteConfig('email:\n  transport: smtp'), site, {}), logger: silentLogger() }),
    ).toThrow(/email.transport is smtp but SMTP_URL is not set/)
  })

  it('requires STARTTLS for smtp:// beyond this machine unless ?requireTLS=false says otherwise', () => {
    expect(smtpUrlOptions('smtp://user:pw@mail.example.org:587')).toEqual({ url: 'smtp://user:pw@mail.example.org:587', requireTLS: true })
    expect(smtpUrlOptions('smtp://relay.internal:25?requireTLS=false').requireTLS).toBe(false)
    expect(smtpUrlOptions('smtp://relay.internal:25?requireTLS=false').url).not.toContain('requireTLS')
    expect(smtpUrlOptions('smtp://127.0.0.1:2525').requireTLS).toBe(false)
    expect(smtpUrlOptions('smtp://localhost:25').requireTLS).toBe(false)
    expect(smtpUrlOptions('smtp://[::1]:25').requireTLS).toBe(false)
    expect(smtpUrlOptions('smtps://mail.example.org:465').requireTLS).toBe(false)
  })
})
