import { domainToUnicode } from 'node:url'
import { simpleParser } from 'mailparser'
import { describe, expect, it } from 'vitest'
import { buildMessageTemplate } from '../../src/mail/mime-template.js'

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
})
