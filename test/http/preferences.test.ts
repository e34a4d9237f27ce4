import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { type SmtpSink, startSmtpSink } from '../support/smtp.js'
import { confirmLink, form, startService, type TestService } from './support.js'

let sink: SmtpSink
let service: TestService | undefined
beforeAll(async () => {
  sink = await startSmtpSink()
})
afterAll(() => sink.close())
afterEach(async () => {
  await service?.close()
  service = undefined
  sink.messages.length = 0
})

const url = (path: string) => new URL(path, service!.url).toString()
const onServer = (link: string) => url(new URL(link).pathname.slice(1) + new URL(link).search)
const settle = () => new Promise((resolve) => setTimeout(resolve, 300))

async function activeSubscriber(email: string, tags: string[] = []) {
  const { subscriber } = await service!.store.subscribe({ email, tags, confirmed: true, consent: { source: 'cli' } })
  return { subscriber, token: service!.tokens.preferencesToken(subscriber.id) }
}

describe('the preferences page', () => {
  it('shows every tag and the cadence; a GET changes nothing; the POST saves tags and cadence', async () => {
    service = await startService({ sink, tags: ['Fedora', 'cloud', 'rust'] })
    const { subscriber, token } = await activeSubscriber('pref@example.org', ['cloud'])
    const page = await fetch(url(`preferences?token=${encodeURIComponent(token)}`))
    expect(page.status).toBe(200)
    expect(page.headers.get('cache-control')).toBe('no-store')
    const html = await page.text()
    expect(html).toContain('What Test Blog sends to pref@example.org.')
    expect(html).toContain('value="rust">')
    expect(html).toContain('value="cloud" checked>')
    expect(html).toContain('value="instant" checked>')
    expect(html).toContain('<p class="back"><a href="https://blog.example.org/">')
    expect(html).toContain('href="https://blog.example.org/feed.atom"')
    // The unsubscribe button posts the RFC 8058 body with the (other) unsubscribe token.
    const unsubscribeToken = service.tokens.unsubscribeToken(subscriber.id)
    expect(html).toContain(`action="unsubscribe?token=${encodeURIComponent(unsubscribeToken)}"`)
    expect(await service.store.get(subscriber.id)).toMatchObject({ tags: ['cloud'], cadence: 'instant' })

    const saved = await fetch(url(`preferences?token=${encodeURIComponent(token)}`), form({ tags: ['FEDORA', 'rust'], cadence: 'weekly' }))
    expect(saved.status).toBe(200)
    expect(await saved.text()).toContain('Preferences saved')
    expect(await service.store.get(subscriber.id)).toMatchObject({ status: 'active', tags: ['Fedora', 'rust'], cadence: 'weekly' })

    // No boxes ticked: every post again.
    await fetch(url(`preferences?token=${encodeURIComponent(token)}`), form({ cadence: 'daily' }))
    expect(await service.store.get(subscriber.id)).toMatchObject({ tags: [], cadence: 'daily' })
  })

  it('refuses unknown tags and cadences, other purposes’ tokens, and says so for someone who left', async () => {
    service = await startService({ sink })
    const { subscriber, token } = await activeSubscriber('other@example.org')
    const post = (body: Record<string, string | string[]>, withToken = token) =>
      fetch(url(`preferences?token=${encodeURIComponent(withToken)}`), form(body))
    expect((await post({ tags: 'not-a-tag' })).status).toBe(400)
    expect((await post({ cadence: 'hourly' })).status).toBe(400)
    // The unsubscribe token (it travels in List-Unsubscribe to mail providers) does not open the preferences.
    expect((await post({ cadence: 'weekly' }, service.tokens.unsubscribeToken(subscriber.id))).status).toBe(400)
    expect((await fetch(url(`preferences?token=${service.tokens.unsubscribeToken(subscriber.id)}`))).status).toBe(400)
    expect(await service.store.get(subscriber.id)).toMatchObject({ tags: [], cadence: 'instant' })

    await service.store.unsubscribe(subscriber.id)
    const gone = await fetch(url(`preferences?token=${encodeURIComponent(token)}`))
    expect(gone.status).toBe(410)
    expect(await gone.text()).toContain('This address does not receive emails from Test Blog any more.')
  })
})

describe('the subscribe form', () => {
  it('offers the chosen tags and a cadence, and stores the cadence chosen', async () => {
    service = await startService({ sink, tags: ['Fedora', 'cloud', 'rust'], extra: { formTags: ['rust'] } })
    const html = await (await fetch(url('subscribe'))).text()
    expect(html).toContain('value="rust">')
    expect(html).not.toContain('value="Fedora"')
    await fetch(url('subscribe'), form({ email: 'weekly@example.org', tags: 'rust', cadence: 'weekly' }))
    expect(await service.store.getByEmail('weekly@example.org')).toMatchObject({ status: 'pending', tags: ['rust'], cadence: 'weekly' })
    expect((await fetch(url('subscribe'), form({ email: 'x@example.org', cadence: 'hourly' }))).status).toBe(400)
  })
})

describe('the welcome email (email.welcome: true)', () => {
  it('goes out once, after the confirmation, with the preferences and unsubscribe links', async () => {
    service = await startService({ sink, yaml: 'http:\n  subscribe_rate_limit: 1000\nemail:\n  welcome: true' })
    await fetch(url('subscribe'), form({ email: 'new@example.org' }))
    await waitFor(1)
    const link = confirmLink(sink.messages[0]!.parsed.text)
    expect((await fetch(onServer(link), { method: 'POST' })).status).toBe(200)
    await waitFor(2)
    const welcome = sink.messages[1]!.parsed
    expect(welcome.subject).toBe('Welcome to Test Blog')
    expect(welcome.html).toContain('Your subscription to Test Blog is confirmed.')
    expect(welcome.html).toMatch(/href="https:\/\/blog\.example\.org\/preferences\?token=[^"]+"/)
    expect(sink.messages[1]!.raw.toString()).toMatch(/^List-Unsubscribe:\s+<https:\/\/blog\.example\.org\/unsubscribe\?token=/m)
    expect(welcome.text).toMatch(/Preferences \[\d\]/)
    // Confirming again changes nothing and welcomes nobody twice.
    await fetch(onServer(link), { method: 'POST' })
    await settle()
    expect(sink.messages).toHaveLength(2)
  })

  it('is not sent unless email.welcome is on', async () => {
    service = await startService({ sink })
    await fetch(url('subscribe'), form({ email: 'quiet@example.org' }))
    await waitFor(1)
    await fetch(onServer(confirmLink(sink.messages[0]!.parsed.text)), { method: 'POST' })
    await settle()
    expect(sink.messages).toHaveLength(1)
  })
})

async function waitFor(count: number): Promise<void> {
  for (let attempt = 0; attempt < 100 && sink.messages.length < count; attempt++) await new Promise((resolve) => setTimeout(resolve, 50))
  expect(sink.messages.length).toBeGreaterThanOrEqual(count)
}
