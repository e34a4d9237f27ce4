import { readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { simpleParser } from 'mailparser'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadSitePosts } from '../../src/app/site-posts.js'
import { loadConfig } from '../../src/config-load.js'
import { composeConfirmation } from '../../src/digest/confirmation.js'
import { composeWelcome } from '../../src/digest/welcome.js'
import { snapshotPost } from '../../src/editions/snapshot.js'
import { silentLogger } from '../../src/log.js'
import { loadTemplate } from '../../src/mail/render.js'
import { livePosts } from '../../src/publishing/live.js'
import { launchChromium } from '../support/browser.js'
import { runHerald } from '../support/cli.js'
import { type TestRedis, useTestRedis } from '../support/redis.js'
import { copyExampleSite, makeSite, post, siteConfig } from '../support/site.js'

let browser: Browser
let redis: TestRedis
const sites: string[] = []
/** The example digest as sent (the .eml's HTML part), and the site folder it came from. */
let example: { html: string; site: string }
/** A digest of ten long posts, email.content: full. */
let longDigest: { html: string; site: string; log: string; size: number }

/** Sends everything new on a site to one subscriber through the outbox; the HTML part and the log. */
async function sendDigest(site: string, now: string): Promise<{ html: string; log: string; size: number }> {
  const env = { REDIS_URL: redis.url, HERALD_PREFIX: `${redis.prefix}-${sites.length}` }
  await runHerald(['subscribers', 'add', 'reader@example.org', '--confirmed', '--site', site], env)
  const result = await runHerald(['run', '--site', site, '--announce-latest', '10', '--now', now], env)
  expect(result.code, result.stderr).toBe(0)
  const outbox = path.join(site, 'outbox')
  const [file] = (await readdir(outbox)).filter((name) => name.endsWith('.eml'))
  const mail = await simpleParser(await readFile(path.join(outbox, file!)))
  const html = String(mail.html)
  return { html, log: result.stderr, size: Buffer.byteLength(html) }
}

/** A long post: paragraphs, a wide table, a long code line, a site image; about 14 KB of HTML each. */
function longPost(index: number): string {
  const paragraph = `Paragraph of post ${index} with a link to <https://blog.example.org/>. `.repeat(6)
  const table = [
    '====== ========================================== ==================================',
    'Column Something wider than a phone screen         And a third column of text',
    '====== ========================================== ==================================',
    ...Array.from({ length: 8 }, (_, row) => `r${row}     ${'x'.repeat(40)}   ${'y'.repeat(30)}`),
    '====== ========================================== ==================================',
  ].join('\n')
  return post(
    {
      title: `Long post number ${index}`,
      slug: `long-${index}`,
      date: `2026-05-${String(index + 1).padStart(2, '0')} 10:00`,
      tags: 'long',
    },
    `${Array.from({ length: 14 }, () => paragraph).join('\n\n')}\n\n${table}\n\n::\n\n    ${'a_very_long_identifier_'.repeat(8)}\n\n` +
      '.. image:: /images/diagram.png\n   :alt: A wide diagram\n',
  )
}

beforeAll(async () => {
  browser = await launchChromium()
  redis = await useTestRedis('look')
  const exampleSite = await copyExampleSite()
  sites.push(exampleSite)
  example = { ...(await sendDigest(exampleSite, '2026-11-26T00:00:00Z')), site: exampleSite }
  const files: Record<string, string | Buffer> = { 'images/diagram.png': await readFile(path.join(exampleSite, 'images/diagram.png')) }
  for (let index = 0; index < 10; index++) files[`posts/long-${index}.rst`] = longPost(index)
  const longSite = await makeSite(files, siteConfig('email:\n  transport: outbox\n  content: full\n'))
  sites.push(longSite)
  longDigest = { ...(await sendDigest(longSite, '2026-06-01T00:00:00Z')), site: longSite }
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await redis?.cleanup()
  for (const site of sites) await rm(site, { recursive: true, force: true })
})

interface Rendered {
  scrollWidth: number
  clientWidth: number
  overflowing: string[]
  images: Array<{ src: string; alt: string | null; width: string | null; height: string | null }>
  lowContrast: string[]
  pairs: number
  text: string
}

/**
 * Renders HTML at a width with every request intercepted: requests to the site's host are answered from the site
 * folder, anything else is refused and recorded. Measures overflow, images and the contrast of every text.
 */
async function render(html: string, site: string, width: number): Promise<Rendered & { requested: string[] }> {
  const page = await browser.newPage({ viewport: { width, height: 900 } })
  const requested: string[] = []
  try {
    await page.route('**/*', async (route) => {
      const url = new URL(route.request().url())
      requested.push(url.href)
      if (url.host !== 'blog.example.org') return route.abort()
      const file = await readFile(path.join(site, decodeURIComponent(url.pathname))).catch(() => null)
      return file ? route.fulfill({ body: file, contentType: 'image/png' }) : route.fulfill({ status: 404 })
    })
    await page.setContent(html, { waitUntil: 'load' })
    // Runs in the page (a string, so this file needs no DOM typings).
    const rendered = (await page.evaluate(`(() => {
      const root = document.documentElement
      const scrolls = (element) => {
        for (let e = element.parentElement; e; e = e.parentElement) if (/auto|scroll/.test(getComputedStyle(e).overflowX)) return true
        return false
      }
      const overflowing = [...document.querySelectorAll('body *')]
        .filter((element) => element.getBoundingClientRect().right > root.clientWidth + 1 && !scrolls(element))
        .map((element) => element.tagName.toLowerCase() + '.' + element.className)
      const attribute = (image, name) => image.getAttribute(name)
      const images = [...document.images].map((image) => ({ src: attribute(image, 'src'), alt: attribute(image, 'alt'),
        width: attribute(image, 'width'), height: attribute(image, 'height') }))
      const rgba = (text) => { const p = text.match(/[\\d.]+/g).map(Number)
        return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 } }
      const over = (top, bottom) => ({ r: top.r * top.a + bottom.r * (1 - top.a), g: top.g * top.a + bottom.g * (1 - top.a),
        b: top.b * top.a + bottom.b * (1 - top.a), a: 1 })
      const background = (element) => {
        const layers = []
        for (let e = element; e; e = e.parentElement) {
          const colour = rgba(getComputedStyle(e).backgroundColor)
          if (colour.a > 0) { layers.push(colour); if (colour.a >= 1) break }
        }
        return layers.reverse().reduce((below, layer) => over(layer, below), { r: 255, g: 255, b: 255, a: 1 })
      }
      const luminance = ({ r, g, b }) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4 }
        return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b) }
      const lowContrast = []
      let pairs = 0
      for (const element of document.querySelectorAll('body *')) {
        const ownText = [...element.childNodes].some((node) => node.nodeType === 3 && node.textContent.trim() !== '')
        if (!ownText || element.getClientRects().length === 0) continue
        const style = getComputedStyle(element)
        if (style.visibility === 'hidden' || Number(style.opacity) === 0) continue
        const back = background(element)
        const fore = over(rgba(style.color), back)
        const [light, dark] = [luminance(fore), luminance(back)].sort((a, b) => b - a)
        const ratio = (light + 0.05) / (dark + 0.05)
        pairs++
        const what = element.textContent.trim().slice(0, 40)
        if (ratio < 4.5) lowContrast.push(ratio.toFixed(2) + ' ' + style.color + ' on ' + JSON.stringify(back) + ': ' + what)
      }
      const { scrollWidth, clientWidth } = root
      return { scrollWidth, clientWidth, overflowing, images, lowContrast, pairs, text: document.body.innerText }
    })()`)) as Rendered
    return { ...rendered, requested }
  } finally {
    await page.close()
  }
}

const withoutStyles = (html: string) => html.replace(/<style\b[\s\S]*?<\/style>/gi, '')

describe('digests as readers see them', () => {
  for (const width of [375, 600]) {
    for (const variant of ['as sent', 'with every <style> removed'] as const) {
      it(`the example digest fits ${width} px ${variant}: no overflow, no foreign request, contrast ≥ 4.5:1, sized images`, async () => {
        const html = variant === 'as sent' ? example.html : withoutStyles(example.html)
        if (variant !== 'as sent') expect(html).not.toContain('<style')
        const layout = await render(html, example.site, width)
        expect(layout.scrollWidth, `overflowing: ${layout.overflowing.slice(0, 5).join(', ')}`).toBeLessThanOrEqual(layout.clientWidth)
        expect(layout.overflowing).toEqual([])
        // Only the site, and the one picture the fixture post itself embeds from the site it writes about.
        const foreign = layout.requested.filter((url) => new URL(url).host !== 'blog.example.org')
        expect(foreign).toEqual(['https://www.openshift.com/sites/default/files/DanWalshDockah.png'])
        expect(layout.lowContrast).toEqual([])
        expect(layout.pairs).toBeGreaterThan(40)
        expect(layout.images.length).toBeGreaterThanOrEqual(3)
        for (const image of layout.images) {
          expect(image.alt?.trim(), `alt of ${image.src}`).toBeTruthy()
          expect(Number(image.width), `width of ${image.src}`).toBeGreaterThan(0)
          if (image.src.startsWith('https://blog.example.org/')) expect(Number(image.height), `height of ${image.src}`).toBeGreaterThan(0)
        }
        expect(layout.text).toContain('Короткие новости о контейнерах и виртуализации')
        expect(layout.text).toContain('Отписаться')
        expect(layout.text).toContain('Настройки')
        expect(layout.text).toContain('Открыть в браузере')
      })

      it(`a digest of ten long posts fits ${width} px ${variant} and requests nothing but the site`, async () => {
        const html = variant === 'as sent' ? longDigest.html : withoutStyles(longDigest.html)
        const layout = await render(html, longDigest.site, width)
        expect(layout.scrollWidth, `overflowing: ${layout.overflowing.slice(0, 5).join(', ')}`).toBeLessThanOrEqual(layout.clientWidth)
        expect(layout.requested.every((url) => new URL(url).host === 'blog.example.org')).toBe(true)
        expect(layout.lowContrast).toEqual([])
      })
    }
  }

  it('writes the edition to the web archive, which every email links to ("View in browser"), with no recipient data', async () => {
    const link = /<a href="(https:\/\/blog\.example\.org\/archive\/[0-9a-f]{20}\/)"[^>]*>Открыть в браузере<\/a>/.exec(example.html)
    expect(link).not.toBeNull()
    const relative = new URL(link![1]!).pathname.slice(1)
    const page = await readFile(path.join(example.site, 'public', relative, 'index.html'), 'utf8')
    expect(page).toContain('Короткие новости о контейнерах и виртуализации')
    expect(page).not.toMatch(/unsubscribe\?token|preferences\?token|HERALD-SLOT|reader@example\.org/)
    // What the email showed (teasers with "Read more", as email.content says).
    expect(page).toContain('Читать далее…')
    const index = await readFile(path.join(example.site, 'public/archive/index.html'), 'utf8')
    expect(index).toContain(`href="${link![1]}"`)
    const feed = await readFile(path.join(example.site, 'public/archive/feed.atom'), 'utf8')
    expect(feed).toContain(`<id>${link![1]}</id>`)
    const layout = await render(page, example.site, 375)
    expect(layout.scrollWidth).toBeLessThanOrEqual(layout.clientWidth)
    await (async () => {
      const shot = await browser.newPage({ viewport: { width: 375, height: 900 } })
      await shot.route('**/*', (route) => route.abort())
      await shot.setContent(example.html)
      await shot.screenshot({ path: path.join(tmpdir(), 'herald-digest-375.png'), fullPage: true })
      await shot.setContent(page)
      await shot.screenshot({ path: path.join(tmpdir(), 'herald-archive-375.png'), fullPage: true })
      await shot.close()
    })()
  })

  it('the welcome and confirmation emails hold up the same way (375 px, with and without <style>, contrast)', async () => {
    const config = await loadConfig(example.site, {})
    const posts = livePosts((await loadSitePosts({ config, logger: silentLogger() })).posts, new Date('2026-11-26T00:00:00Z'))
    const welcome = await composeWelcome({
      config,
      template: await loadTemplate('welcome', { siteDir: example.site }),
      to: 'reader@example.org',
      posts: posts.map(snapshotPost),
      unsubscribeUrl: 'http://localhost:8080/unsubscribe?token=x',
      preferencesUrl: 'http://localhost:8080/preferences?token=y',
    })
    const confirmation = await composeConfirmation({
      config,
      template: await loadTemplate('confirm', { siteDir: example.site }),
      to: 'reader@example.org',
      confirmUrl: 'http://localhost:8080/confirm?token=z',
    })
    for (const html of [welcome.html, confirmation.html]) {
      for (const variant of [html, withoutStyles(html)]) {
        const layout = await render(variant, example.site, 375)
        expect(layout.scrollWidth).toBeLessThanOrEqual(layout.clientWidth)
        expect(layout.lowContrast).toEqual([])
        expect(layout.requested.every((url) => new URL(url).host === 'blog.example.org')).toBe(true)
      }
    }
    expect(welcome.html).toContain('Короткий тур по reStructuredText')
  })

  it('keeps a digest of ten long posts under 100 KB by showing teasers with "Read more", and says so', () => {
    expect(longDigest.size).toBeLessThan(100_000)
    expect(longDigest.html.match(/Read more/g)?.length).toBe(10)
    expect(longDigest.log).toMatch(/a digest of 10 post\(s\) would be [\d.]+ KB \(over 100\.0 KB.*posts shown as teasers/)
    expect(longDigest.html).toContain('Unsubscribe')
  })
})
