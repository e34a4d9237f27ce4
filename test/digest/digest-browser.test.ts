import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { simpleParser } from 'mailparser'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium } from '../support/browser.js'
import { runHerald } from '../support/cli.js'
import { type TestRedis, useTestRedis } from '../support/redis.js'
import { copyExampleSite } from '../support/site.js'

let browser: Browser
let redis: TestRedis
let site: string
let shots: string
let html: string

beforeAll(async () => {
  browser = await launchChromium()
  redis = await useTestRedis('look')
  site = await copyExampleSite()
  shots = await mkdtemp(path.join(tmpdir(), 'herald-digest-shots-'))
  await runHerald(['subscribers', 'add', 'reader@example.org', '--confirmed', '--site', site], {
    REDIS_URL: redis.url,
    HERALD_PREFIX: redis.prefix,
  })
  // Every live post of the example site in one digest: the fixture (40%-wide image), a sidecar post with a
  // preview image and a fixed-width image, tables, code, Cyrillic.
  const result = await runHerald(['run', '--site', site, '--announce-latest', '10', '--now', '2026-11-26T00:00:00Z'], {
    REDIS_URL: redis.url,
    HERALD_PREFIX: redis.prefix,
  })
  expect(result.code, result.stderr).toBe(0)
  const outbox = path.join(site, 'outbox')
  const [file] = (await readdir(outbox)).filter((name) => name.endsWith('.eml'))
  const mail = await simpleParser(await readFile(path.join(outbox, file!)))
  html = String(mail.html)
}, 60_000)

afterAll(async () => {
  await browser?.close()
  await redis?.cleanup()
  if (site) await rm(site, { recursive: true, force: true })
})

describe('the example digest as a reader sees it', () => {
  for (const width of [375, 600]) {
    it(`fits a ${width} px wide screen without horizontal scrolling, and every image has alt text`, async () => {
      const page = await browser.newPage({ viewport: { width, height: 900 } })
      try {
        // Offline, as many mail clients are: remote images fail, the layout must hold anyway.
        await page.route(/^https?:/, (route) => route.abort())
        await page.setContent(html, { waitUntil: 'load' })
        // Runs in the page (a string, so this file needs no DOM typings).
        const layout = (await page.evaluate(`(() => {
          const root = document.documentElement
          const overflowing = [...document.querySelectorAll('body *')]
            .filter((element) => element.getBoundingClientRect().right > root.clientWidth + 1)
            .map((element) => element.tagName.toLowerCase() + '.' + element.className)
          const images = [...document.images].map((image) => ({ src: image.getAttribute('src'), alt: image.getAttribute('alt') }))
          return { scrollWidth: root.scrollWidth, clientWidth: root.clientWidth, overflowing, images, text: document.body.innerText }
        })()`)) as {
          scrollWidth: number
          clientWidth: number
          overflowing: string[]
          images: Array<{ src: string | null; alt: string | null }>
          text: string
        }
        expect(layout.scrollWidth, `overflowing: ${layout.overflowing.slice(0, 5).join(', ')}`).toBeLessThanOrEqual(layout.clientWidth)
        expect(layout.images.length).toBeGreaterThanOrEqual(3)
        for (const image of layout.images) expect(image.alt?.trim(), `alt of ${image.src}`).toBeTruthy()
        expect(layout.text).toContain('Короткие новости о контейнерах и виртуализации')
        expect(layout.text).toContain('Отписаться')
        await page.screenshot({ path: path.join(shots, `digest-${width}.png`), fullPage: true })
      } finally {
        await page.close()
      }
    })
  }
})
