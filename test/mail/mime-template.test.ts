import { domainToUnicode } from 'node:url'
import { simpleParser } from 'mailparser'
import { describe, expect, it } from 'vitest'
import { BufferPool, buildMessageTemplate } from '../../src/mail/mime-template.js'

const long = (seed: string) => Array.from({ length: 2000 }, (_, index) => `${seed} ${index} «Привет» — ü`).join(' ')

describe('a message built once and filled in per recipient', () => {
  it('gives each recipient a complete, valid message with their own To, Message-ID, links and address', async () => {
    const template = await buildMessageTemplate({
      from: '"Блог" <news@blog.example.org>',
      replyTo: 'editor@blog.example.org',
      subject: '2 новые записи в «Блог»',
      headers: { 'List-Id': 'Blog <digest.blog.example.org>', Precedence: 'bulk' },
      html: [`<p>${long('h')}</p><a href="`, { slot: 'url' }, '">Отписаться</a> ', { slot: 'email' }, '<p>end</p>'],
      text: [`${long('t')}\n`, { slot: 'url' }, '\n', { slot: 'email' }],
    })
    for (const [index, email] of ['ann@example.org', 'bob@xn--e1afmkfd.xn--80akhbyknj4f'].entries()) {
      const url = `https://blog.example.org/unsubscribe?token=${index}abc`
      const message = template.render(
        {
          to: email,
          messageId: `<e1.${index}@blog.example.org>`,
          listUnsubscribe: `<${url}>`,
          html: { url, email },
          text: { url, email },
        },
        'bounces@blog.example.org',
      )
      expect(message.envelope).toEqual({ from: 'bounces@blog.example.org', to: email })
      const wire = message.raw.toString('latin1')
      for (const line of wire.split('\r\n')) expect(line.length).toBeLessThanOrEqual(998)
      const body = wire.slice(wire.indexOf('\r\n\r\n') + 4)
      expect(body.split('\r\n').filter((line) => line.length > 76)).toEqual([])
      const parsed = await simpleParser(message.raw)
      // mailparser shows an IDN domain in its Unicode form.
      expect(parsed.to).toMatchObject({ text: email.replace(/xn--[^@]+$/, (domain) => domainToUnicode(domain)) })
      expect(parsed.messageId).toBe(`<e1.${index}@blog.example.org>`)
      expect(parsed.subject).toBe('2 новые записи в «Блог»')
      expect(parsed.replyTo?.text).toBe('editor@blog.example.org')
      const list = parsed.headers.get('list') as { id?: { id?: string }; unsubscribe?: { url?: string } } | undefined
      expect(list?.id?.id).toBe('digest.blog.example.org')
      expect(list?.unsubscribe?.url).toBe(url)
      expect(parsed.html).toBe(`<p>${long('h')}</p><a href="${url}">Отписаться</a> ${email}<p>end</p>`)
      expect(parsed.text).toBe(`${long('t')}\n${url}\n${email}`)
    }
  })

  it('refuses line breaks in per-recipient header values and in the shared headers', async () => {
    const template = await buildMessageTemplate({ from: 'news@blog.example.org', subject: 'x', html: ['x'], text: ['x'] })
    const values = { messageId: '<a@b.org>', listUnsubscribe: null, html: {}, text: {} }
    expect(() => template.render({ ...values, to: 'a@b.org\r\nBcc: victim@example.org' }, 'n@b.org')).toThrow(/line break/)
    await expect(
      buildMessageTemplate({ from: 'news@blog.example.org', subject: 'x\r\nBcc: v@e.org', html: ['x'], text: ['x'] }),
    ).rejects.toMatchObject({
      code: 'MAIL_INVALID',
    })
  })

  it('renders the same bytes into reused buffers, and copies made earlier keep their own content', async () => {
    const template = await buildMessageTemplate({
      from: 'news@blog.example.org',
      subject: 'Reuse',
      html: [`<p>${long('h')}</p>`, { slot: 'url' }],
      text: [`${long('t')}\n`, { slot: 'url' }],
    })
    const values = (index: number) => {
      // Different lengths, so base64 lines fall differently in each copy.
      const url = `https://blog.example.org/u?token=${'x'.repeat(index)}${index}`
      return { to: `r${index}@example.org`, messageId: `<m${index}@b.org>`, listUnsubscribe: `<${url}>`, html: { url }, text: { url } }
    }
    const pool = new BufferPool(2)
    const fresh = Array.from({ length: 6 }, (_, index) => Buffer.from(template.render(values(index), 'b@b.org').raw))
    const held = template.render(values(0), 'b@b.org', pool)
    for (let index = 1; index < 6; index++) {
      const copy = template.render(values(index), 'b@b.org', pool)
      expect(copy.raw.equals(fresh[index]!)).toBe(true)
      pool.give(copy.raw)
    }
    // Never given back: still the first recipient's message after five renders through the pool.
    expect(held.raw.equals(fresh[0]!)).toBe(true)
    const parsed = await simpleParser(fresh[5]!)
    expect(parsed.text).toBe(`${long('t')}\nhttps://blog.example.org/u?token=xxxxx5`)
  })

  it('encodes bodies exactly as base64 of the whole text would, wherever slots fall in the 3-byte groups', async () => {
    const pieces = ['', 'a', 'ab', 'abc', 'ü', 'ü€', '𝄞', 'x'.repeat(57), 'y'.repeat(76), 'z'.repeat(200)]
    for (let trial = 0; trial < 60; trial++) {
      const pick = (offset: number) => pieces[(trial * 7 + offset * 3) % pieces.length]!
      const html = [pick(0), { slot: 'a' }, pick(1), { slot: 'b' }, pick(2)]
      const values = { a: pick(3), b: pick(4) }
      const template = await buildMessageTemplate({ from: 'n@b.org', subject: 's', html, text: ['t'] })
      const copy = template.render({ to: 'r@b.org', messageId: '<m@b.org>', listUnsubscribe: null, html: values, text: {} }, 'n@b.org')
      const expected = Buffer.from(`${pick(0)}${values.a}${pick(1)}${values.b}${pick(2)}`, 'utf8')
        .toString('base64')
        .replace(/.{76}(?=.)/g, '$&\r\n')
      const wire = copy.raw.toString('latin1')
      const htmlPart = wire.slice(wire.indexOf('Content-Type: text/html'))
      const body = htmlPart.slice(htmlPart.indexOf('\r\n\r\n') + 4, htmlPart.indexOf('\r\n--'))
      expect(body).toBe(expected)
    }
  })
})
