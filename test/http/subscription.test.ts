import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { normaliseEmail } from '../../src/mail/address.js'
import { type SmtpSink, startSmtpSink } from '../support/smtp.js'
import { confirmLink, form, startService, type TestService } from './support.js'

let sink: SmtpSink
let service: TestService
beforeAll(async () => {
  sink = await startSmtpSink()
})
afterAll(() => sink.close())
beforeEach(async () => {
  service = await startService({ sink })
})
afterEach(() => service.close())

const url = (path: string) => new URL(path, service.url).toString()
/** The same link on the test server (emails point at the configured public URL). */
const onServer = (link: string) => url(new URL(link).pathname.slice(1) + new URL(link).search)
const mailsTo = (address: string) => sink.messages.filter((message) => message.envelopeTo.includes(address))
const settle = () => new Promise((resolve) => setTimeout(resolve, 300))

describe('GET /subscribe', () => {
  it('is an accessible page in the site language with tags, feed links and no cookies', async () => {
    const response = await fetch(url('subscribe'))
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(response.headers.get('set-cookie')).toBeNull()
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'")
    const html = await response.text()
    expect(html).toContain('<html lang="en">')
    expect(html).toContain('<title>Subscribe to Test Blog · Test Blog</title>')
    expect(html).toMatch(/<label for="email">Email address<\/label>\s*<input type="email" id="email" name="email" required/)
    expect(html).toContain('<input type="checkbox" id="tag-0" name="tags" value="Fedora">')
    expect(html).toContain('<legend>Only posts about (optional)</legend>')
    expect(html).toContain('<link rel="alternate" type="application/rss+xml" href="https://blog.example.org/rss.xml"')
    expect(html).toContain('<link rel="alternate" type="application/atom+xml" href="https://blog.example.org/feed.atom"')
    expect(html).toContain('<link rel="alternate" type="application/feed+json" href="https://blog.example.org/feed.json"')
    // The way back to the blog, and how often (the site's default chosen).
    expect(html).toContain('<p class="back"><a href="https://blog.example.org/">← Back to Test Blog</a></p>')
    expect(html).toMatch(/<input type="radio" id="cadence-instant" name="cadence" value="instant" checked>/)
    expect(html).not.toContain('<script')
  })

  it('redirects / to the subscribe page', async () => {
    const response = await fetch(url(''), { redirect: 'manual' })
    expect(response.status).toBe(302)
    expect(new URL(response.headers.get('location')!, url('')).pathname).toBe('/subscribe')
  })
})

describe('POST /subscribe → email → GET /confirm', () => {
  it('stores a pending subscriber, mails a working confirmation link, and confirms', async () => {
    const response = await fetch(url('subscribe'), {
      ...form({ email: ' Reader@Example.org ', tags: ['fedora'] }),
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'TestAgent/1.0' },
    })
    expect(response.status).toBe(200)
    expect(await response.text()).toContain('Check your email')
    const subscriber = await service.store.getByEmail('reader@example.org')
    expect(subscriber).toMatchObject({
      email: 'Reader@example.org',
      status: 'pending',
      tags: ['Fedora'],
      consent: { source: 'form', ip: '127.0.0.1', userAgent: 'TestAgent/1.0' },
    })

    const [mail] = await waitForMail('reader@example.org')
    expect(mail!.parsed.from?.value[0]).toMatchObject({ address: 'noreply@blog.example.org', name: 'Test Blog' })
    expect(mail!.parsed.to).toMatchObject({ value: [{ address: 'Reader@example.org' }] })
    expect(mail!.parsed.subject).toBe('Confirm your subscription to Test Blog')
    expect(mail!.parsed.html).toContain('Confirm my subscription')
    const link = confirmLink(mail!.parsed.text)
    expect(link.startsWith('https://blog.example.org/confirm?token=')).toBe(true)

    // Opening the link (or a mail scanner fetching it, GET or HEAD) shows a page with a button and changes nothing.
    const page = await fetch(onServer(link))
    expect(page.status).toBe(200)
    expect(await page.text()).toMatch(/<form method="post" action="confirm\?token=[^"]+">[\s\S]*Confirm my subscription/)
    expect((await fetch(onServer(link), { method: 'HEAD' })).status).toBe(200)
    expect((await service.store.getByEmail('reader@example.org'))?.status).toBe('pending')

    const confirmed = await fetch(onServer(link), { method: 'POST' })
    expect(confirmed.status).toBe(200)
    expect(await confirmed.text()).toContain('Subscription confirmed')
    expect((await service.store.getByEmail('reader@example.org'))?.status).toBe('active')
    // Confirming again (a second click) is fine.
    expect((await fetch(onServer(link), { method: 'POST' })).status).toBe(200)
  })

  it('answers JSON requests with JSON', async () => {
    const response = await fetch(url('subscribe'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'json@example.org', tags: ['cloud'] }),
    })
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ status: 'ok', message: expect.stringContaining('confirmation link') })
    expect((await service.store.getByEmail('json@example.org'))?.tags).toEqual(['cloud'])
  })

  it('gives the same answer for new, pending and active addresses, and mails an active one nothing', async () => {
    const answer = async (email: string) => {
      const response = await fetch(url('subscribe'), form({ email }))
      return `${response.status} ${await response.text()}`
    }
    await service.store.subscribe({ email: 'active@example.org', confirmed: true, consent: { source: 'cli' } })
    const fresh = await answer('new@example.org')
    const pending = await answer('new@example.org')
    const active = await answer('active@example.org')
    expect(pending).toBe(fresh)
    expect(active).toBe(fresh)
    await waitForMail('new@example.org')
    await settle()
    // One confirmation despite two requests (resend cooldown), none for the active subscriber.
    expect(mailsTo('new@example.org')).toHaveLength(1)
    expect(mailsTo('active@example.org')).toHaveLength(0)
    expect((await service.store.getByEmail('active@example.org'))?.consent.source).toBe('cli')
  })

  it('silently drops bots that fill the honeypot', async () => {
    const human = await (await fetch(url('subscribe'), form({ email: 'human@example.org' }))).text()
    const bot = await fetch(url('subscribe'), form({ email: 'bot@example.org', website: 'http://spam.example' }))
    expect(bot.status).toBe(200)
    expect(await bot.text()).toBe(human)
    expect(await service.store.getByEmail('bot@example.org')).toBeNull()
  })

  it.each([
    ['an invalid address', { email: 'not-an-address' }, 400, 'Please enter a valid email address.'],
    ['an empty address', { email: '' }, 400, 'Please enter a valid email address.'],
    ['a CR/LF in the address', { email: 'a@example.org\r\nBcc: victim@example.org' }, 400, 'Line breaks are not allowed'],
    ['a CR/LF in a tag', { email: 'a@example.org', tags: 'fedora\r\nX: y' }, 400, 'Line breaks are not allowed'],
    ['a LF in the honeypot', { email: 'a@example.org', website: '\n' }, 400, 'Line breaks are not allowed'],
    ['an unknown tag', { email: 'a@example.org', tags: 'nonsense' }, 400, 'Please choose topics from the list.'],
    ['two addresses', { email: ['a@example.org', 'b@example.org'] }, 400, 'could not be read'],
    ['a very long address', { email: `${'a'.repeat(400)}@example.org` }, 400, 'Please enter a valid email address.'],
  ])('refuses %s with a readable 400', async (_label, fields, status, message) => {
    const response = await fetch(url('subscribe'), form(fields as Record<string, string | string[]>))
    expect(response.status).toBe(status)
    const html = await response.text()
    expect(html).toContain(message)
    expect(html).not.toMatch(/at .*\.ts:\d+/)
    if (message.startsWith('Please enter')) {
      // The form is shown again, with the message tied to the field.
      expect(html).toContain('aria-invalid="true"')
      expect(html).toContain('role="alert"')
    }
    expect(sink.messages.filter((mail) => mail.envelopeTo.includes('a@example.org'))).toHaveLength(0)
  })

  it.each([
    ['a non-string email', { email: 42 }, 400],
    ['a nested object', { email: { $ne: '' } }, 400],
    ['an array body', ['a@example.org'], 400],
  ])('refuses JSON with %s', async (_label, body, status) => {
    const response = await fetch(url('subscribe'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
    expect(response.status).toBe(status)
    expect(await response.json()).toEqual({ error: expect.any(String), status })
  })

  it('refuses malformed JSON, unknown media types and oversized bodies', async () => {
    const malformed = await fetch(url('subscribe'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"email":' })
    expect(malformed.status).toBe(400)
    const unknown = await fetch(url('subscribe'), { method: 'POST', headers: { 'content-type': 'application/xml' }, body: '<email/>' })
    expect(unknown.status).toBe(415)
    const large = await fetch(url('subscribe'), form({ email: 'a@example.org', filler: 'x'.repeat(20_000) }))
    expect(large.status).toBe(413)
    expect(await large.text()).toContain('The request is too large.')
  })
})

describe('rate limit', () => {
  it('stops an IP after the configured number of requests, sharing the count through Redis', async () => {
    await service.close()
    service = await startService({ sink, yaml: 'http:\n  subscribe_rate_limit: 2\n  subscribe_rate_window_s: 60' })
    expect((await fetch(url('subscribe'), form({ email: 'r1@example.org' }))).status).toBe(200)
    expect((await fetch(url('subscribe'), form({ email: 'bad' }))).status).toBe(400)
    const limited = await fetch(url('subscribe'), form({ email: 'r3@example.org' }))
    expect(limited.status).toBe(429)
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(await limited.text()).toContain('Too many requests')
    expect(await service.store.getByEmail('r3@example.org')).toBeNull()
  })
})

describe('/confirm', () => {
  it('refuses missing, forged, tampered and cross-purpose tokens with one answer', async () => {
    const { subscriber } = await service.store.subscribe({ email: 'ann@example.org', consent: { source: 'cli' } })
    const good = service.tokens.confirmToken(subscriber.id)
    const [id, issued, mac] = good.split('.') as [string, string, string]
    const other = normaliseEmail('bob@example.org').id
    const answers = new Set<string>()
    for (const token of [
      '',
      'nonsense',
      `${other}.${issued}.${mac}`,
      `${id}.${issued}.${mac.slice(0, -2)}AA`,
      `${id}.${(parseInt(issued, 36) - 100).toString(36)}.${mac}`,
      service.tokens.unsubscribeToken(subscriber.id),
    ]) {
      for (const method of ['GET', 'POST']) {
        const response = await fetch(url(`confirm?token=${encodeURIComponent(token)}`), { method })
        expect(response.status, `${method} ${token}`).toBe(400)
        answers.add(await response.text())
      }
    }
    expect(answers.size).toBe(1)
    expect([...answers][0]).toContain('This link does not work')
    expect((await fetch(url('confirm'))).status).toBe(400)
    expect((await fetch(url(`confirm?token=${good}&token=${good}`))).status).toBe(400)
    expect((await service.store.get(subscriber.id))?.status).toBe('pending')
  })

  it('says an expired link expired', async () => {
    service.setNow('2030-01-01T00:00:00Z')
    const { subscriber } = await service.store.subscribe({ email: 'ann@example.org', consent: { source: 'cli' } })
    const token = service.tokens.confirmToken(subscriber.id)
    service.setNow('2030-01-09T00:00:00Z')
    const response = await fetch(url(`confirm?token=${token}`), { method: 'POST' })
    expect(response.status).toBe(410)
    expect((await fetch(url(`confirm?token=${token}`))).status).toBe(410)
    const html = await response.text()
    expect(html).toContain('This confirmation link has expired')
    expect(html).toContain('href="subscribe"')
    expect((await service.store.get(subscriber.id))?.status).toBe('pending')
  })

  it('does not revive an unsubscribed subscriber from an old link', async () => {
    const { subscriber } = await service.store.subscribe({ email: 'ann@example.org', consent: { source: 'cli' } })
    const token = service.tokens.confirmToken(subscriber.id)
    await service.store.unsubscribe(subscriber.id)
    const response = await fetch(url(`confirm?token=${token}`), { method: 'POST' })
    expect(response.status).toBe(410)
    expect(await response.text()).toContain('can no longer be used')
    expect((await service.store.get(subscriber.id))?.status).toBe('unsubscribed')
  })

  it('treats a removed subscriber like a forged link', async () => {
    const { subscriber } = await service.store.subscribe({ email: 'ann@example.org', consent: { source: 'cli' } })
    const token = service.tokens.confirmToken(subscriber.id)
    await service.store.remove(subscriber.id)
    expect((await fetch(url(`confirm?token=${token}`), { method: 'POST' })).status).toBe(400)
  })
})

describe('unsubscribe', () => {
  it('shows a page with one button that posts the one-click body', async () => {
    const { subscriber } = await service.store.subscribe({ email: 'ann@example.org', confirmed: true, consent: { source: 'cli' } })
    const token = service.tokens.unsubscribeToken(subscriber.id)
    const response = await fetch(url(`unsubscribe?token=${token}`))
    expect(response.status).toBe(200)
    expect(response.headers.get('cache-control')).toBe('no-store')
    expect(response.headers.get('referrer-policy')).toBe('no-referrer')
    const html = await response.text()
    expect(html).toContain(`<form method="post" action="unsubscribe?token=${token}">`)
    expect(html).toContain('<input type="hidden" name="List-Unsubscribe" value="One-Click">')
    expect(html.match(/<button/g)).toHaveLength(1)
    // Looking is not unsubscribing (link scanners GET every URL in a message).
    expect((await service.store.get(subscriber.id))?.status).toBe('active')
  })

  it("accepts RFC 8058's exact one-click POST: 200, no cookies, no redirect; twice is fine", async () => {
    const { subscriber } = await service.store.subscribe({ email: 'ann@example.org', confirmed: true, consent: { source: 'cli' } })
    const target = url(`unsubscribe?token=${service.tokens.unsubscribeToken(subscriber.id)}`)
    for (let attempt = 0; attempt < 2; attempt++) {
      const response = await fetch(target, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'List-Unsubscribe=One-Click',
      })
      expect(response.status).toBe(200)
      expect(response.headers.get('set-cookie')).toBeNull()
      expect(response.headers.get('location')).toBeNull()
      expect(await response.text()).toContain('You are unsubscribed')
    }
    expect(await service.store.get(subscriber.id)).toMatchObject({ status: 'unsubscribed', unsubscribedAt: expect.any(String) })
  })

  it('accepts the one-click body as multipart/form-data too', async () => {
    const { subscriber } = await service.store.subscribe({ email: 'ann@example.org', confirmed: true, consent: { source: 'cli' } })
    const body = new FormData()
    body.append('List-Unsubscribe', 'One-Click')
    const response = await fetch(url(`unsubscribe?token=${service.tokens.unsubscribeToken(subscriber.id)}`), { method: 'POST', body })
    expect(response.status).toBe(200)
    expect((await service.store.get(subscriber.id))?.status).toBe('unsubscribed')
  })

  it('refuses forged and cross-purpose tokens and a wrong body', async () => {
    const { subscriber } = await service.store.subscribe({ email: 'ann@example.org', confirmed: true, consent: { source: 'cli' } })
    const post = (token: string, body = 'List-Unsubscribe=One-Click') =>
      fetch(url(`unsubscribe?token=${encodeURIComponent(token)}`), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body,
      })
    const good = service.tokens.unsubscribeToken(subscriber.id)
    expect((await post(service.tokens.confirmToken(subscriber.id))).status).toBe(400)
    expect((await post(`${good.slice(0, -1)}${good.endsWith('A') ? 'B' : 'A'}`)).status).toBe(400)
    expect((await post(`${normaliseEmail('bob@example.org').id}.${good.split('.')[1]}`)).status).toBe(400)
    expect((await fetch(url('unsubscribe?token=forged'))).status).toBe(400)
    expect((await post(good, 'List-Unsubscribe=Maybe')).status).toBe(400)
    expect((await post(good, '')).status).toBe(400)
    expect((await post(good, 'List-Unsubscribe=One-Click%0D%0ABcc:x')).status).toBe(400)
    expect((await service.store.get(subscriber.id))?.status).toBe('active')
  })
})

describe('errors', () => {
  it('renders 404 as a page or JSON', async () => {
    const page = await fetch(url('nowhere'))
    expect(page.status).toBe(404)
    expect(await page.text()).toContain('Page not found')
    const json = await fetch(url('nowhere'), { headers: { accept: 'application/json' } })
    expect(await json.json()).toEqual({ error: 'There is nothing at this address.', status: 404 })
    expect((await fetch(url('subscribe'), { method: 'DELETE' })).status).toBe(404)
  })
})

async function waitForMail(address: string, count = 1) {
  for (let waited = 0; waited < 10_000; waited += 50) {
    const found = mailsTo(address)
    if (found.length >= count) return found
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`no mail for ${address}`)
}
