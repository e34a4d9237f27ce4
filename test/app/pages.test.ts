import { readFile, rm } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { buildSite } from '../../src/app/build.js'
import { loadConfig } from '../../src/config-load.js'
import { silentLogger } from '../../src/log.js'
import { launchChromium } from '../support/browser.js'
import { makeSite, post, siteConfig } from '../support/site.js'

const files = {
  'posts/one.rst': post(
    { title: 'First & foremost', slug: 'one', date: '2024-01-01 10:00', tags: 'a, b', description: 'The first one.' },
    `Opening paragraph.\n\n.. TEASER_END\n\n${'word '.repeat(40)}\n\n::\n\n    ${'long_code_line_'.repeat(12)}\n`,
  ),
  'posts/two.rst': post({ title: 'Second', slug: 'two', date: '2024-02-01 10:00' }, 'Body of the second post.\n'),
}
const sites: string[] = []
afterAll(async () => {
  for (const site of sites) await rm(site, { recursive: true, force: true })
})

/** Builds a site (herald build) with the example posts; `pages` sets site.pages, or leaves the key out. */
async function build(pages: boolean | null, extra: Record<string, string> = {}): Promise<string> {
  const yaml = siteConfig('')
  const site = await makeSite({ ...files, ...extra }, pages === null ? yaml : yaml.replace('site:\n', `site:\n  pages: ${pages}\n`))
  sites.push(site)
  const config = await loadConfig(site, {})
  await buildSite({ config, logger: silentLogger() }, config, new Date('2024-06-01T00:00:00Z'))
  return site
}

describe('post pages (site.pages: true)', () => {
  it('writes nothing when Nikola builds the pages (site.pages: false, the default without the key)', async () => {
    for (const pages of [null, false]) {
      const site = await build(pages)
      await expect(readFile(path.join(site, 'public/posts/one/index.html'))).rejects.toMatchObject({ code: 'ENOENT' })
      await expect(readFile(path.join(site, 'public/index.html'))).rejects.toMatchObject({ code: 'ENOENT' })
    }
  })

  it('writes an accessible page per post at its permalink and an index, so "Read more" leads somewhere', async () => {
    const site = await build(true)
    const page = await readFile(path.join(site, 'public/posts/one/index.html'), 'utf8')
    expect(page).toContain('<html lang="en">')
    expect(page).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">')
    expect(page).toContain('<h1>First &amp; foremost</h1>')
    expect(page).toContain('<link rel="canonical" href="https://blog.example.org/posts/one/">')
    expect(page).toContain('Opening paragraph.')
    expect(page).toContain('long_code_line_')
    expect(page).toContain('href="https://blog.example.org/feed.atom"')
    expect(page).toContain('href="https://blog.example.org/subscribe"')
    const index = await readFile(path.join(site, 'public/index.html'), 'utf8')
    expect(index.indexOf('Second')).toBeLessThan(index.indexOf('First &amp; foremost'))

    const browser = await launchChromium()
    try {
      const tab = await browser.newPage({ viewport: { width: 375, height: 800 } })
      await tab.setContent(page)
      const widths = (await tab.evaluate('[document.documentElement.scrollWidth, document.documentElement.clientWidth]')) as number[]
      expect(widths[0]).toBeLessThanOrEqual(widths[1]!)
      expect(await tab.getByRole('heading', { level: 1 }).textContent()).toBe('First & foremost')
    } finally {
      await browser.close()
    }
  })

  it('never replaces a page Herald did not write', async () => {
    const site = await build(true, { 'public/index.html': '<html><body>My own home page</body></html>' })
    expect(await readFile(path.join(site, 'public/index.html'), 'utf8')).toContain('My own home page')
    expect(await readFile(path.join(site, 'public/posts/two/index.html'), 'utf8')).toContain('Body of the second post.')
  })
})
