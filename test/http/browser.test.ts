import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium } from '../support/browser.js'
import { type SmtpSink, startSmtpSink } from '../support/smtp.js'
import { startService, type TestService } from './support.js'

let sink: SmtpSink
let service: TestService
let browser: Browser

beforeAll(async () => {
  sink = await startSmtpSink()
  service = await startService({ sink, language: 'ru', tags: ['Fedora', 'облака'] })
  browser = await launchChromium()
}, 60_000)

afterAll(async () => {
  await browser?.close()
  await service?.close()
  await sink?.close()
})

describe('the subscribe page in a browser', () => {
  it('works without JavaScript: label, fill, submit, "check your email"', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false })
    const page = await context.newPage()
    try {
      await page.goto(new URL('subscribe', service.url).toString())
      expect(await page.getAttribute('html', 'lang')).toBe('ru')
      expect(await page.title()).toContain('Подписка')
      // The email field is reachable by its label, as a screen reader would find it.
      const email = page.getByLabel('Адрес электронной почты')
      expect(await email.getAttribute('type')).toBe('email')
      await email.fill('browser@example.org')
      await page.getByLabel('облака').check()
      // The honeypot is off-screen for people and hidden from screen readers.
      const trap = await page.locator('#website').boundingBox()
      expect(trap!.x + trap!.width).toBeLessThanOrEqual(0)
      expect(await page.getByRole('textbox').count()).toBe(1)
      await Promise.all([page.waitForURL(/\/subscribe$/), page.getByRole('button', { name: 'Подписаться' }).click()])
      expect(await page.locator('h1').textContent()).toBe('Проверьте почту')
      expect(await service.store.getByEmail('browser@example.org')).toMatchObject({ status: 'pending', tags: ['облака'] })
      await sink.waitFor(1)
      expect(sink.messages[0]!.parsed.subject).toBe('Подтвердите подписку на «Test Blog»')
      expect(await context.cookies()).toEqual([])
    } finally {
      await context.close()
    }
  })

  it('shows a readable error next to the form for a bad address', async () => {
    const page = await browser.newPage()
    try {
      await page.goto(new URL('subscribe', service.url).toString())
      // Bypass the browser's own type=email check to reach the server's.
      await page.locator('#email').evaluate((input) => input.setAttribute('type', 'text'))
      await page.getByLabel('Адрес электронной почты').fill('not an address')
      await page.getByRole('button', { name: 'Подписаться' }).click()
      await page.waitForSelector('[role=alert]')
      expect(await page.locator('[role=alert]').textContent()).toBe('Введите правильный адрес электронной почты.')
      expect(await page.locator('#email').inputValue()).toBe('not an address')
    } finally {
      await page.close()
    }
  })
})
