import { readdir, readFile, stat, utimes } from 'node:fs/promises'
import path from 'node:path'
import { parseFeed } from '@rowanmanning/feed-parser'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { Config } from '../../src/config.js'
import { loadConfig } from '../../src/config-load.js'
import { parseConfig } from '../../src/config-parse.js'
import { buildFeeds } from '../../src/feeds/build.js'
import { checkXml } from '../../src/feeds/check.js'
import { silentLogger } from '../../src/log.js'
import { loadPosts } from '../../src/posts/load.js'
import { createRstRenderer } from '../../src/posts/rst.js'
import type { Post } from '../../src/posts/types.js'
import { makePost } from '../support/posts.js'
import { copyExampleSite, makeSite, siteConfig } from '../support/site.js'
import { startHub } from './support/hub.js'
import { child, elements, fastXmlVerdict, memoryLogger, parseXml, validateJsonFeed } from './support/xml.js'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

const PAST = new Date('2020-01-01T00:00:00Z')

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
    .sort()
}

async function snapshot(dir: string): Promise<Map<string, { bytes: string; mtime: number }>> {
  const result = new Map<string, { bytes: string; mtime: number }>()
  for (const file of await filesUnder(dir)) {
    const absolute = path.join(dir, file)
    result.set(file, { bytes: await readFile(absolute, 'utf8'), mtime: (await stat(absolute)).mtime.getTime() })
  }
  return result
}

async function ageAll(dir: string): Promise<void> {
  for (const file of await filesUnder(dir)) await utimes(path.join(dir, file), PAST, PAST)
}

describe('the example site', () => {
  let config: Config
  let posts: readonly Post[]

  beforeAll(async () => {
    const site = await copyExampleSite()
    config = await loadConfig(site, {})
    const collection = await loadPosts({ config, renderer: createRstRenderer() })
    posts = collection.posts
  })

  const FIXTURE = 'posts/000_349065e2717ee7fd.txt'

  it('gives feeds that every parser, a feed reader and the JSON Feed schema accept', async () => {
    const result = await buildFeeds({ config, posts, now: new Date('2027-01-01T00:00:00Z'), logger: silentLogger() })
    expect(result.feeds.failed).toEqual([])
    expect(result.feeds.written).toContain('rss.xml')
    expect(result.feeds.written).toContain('categories/docker.atom')
    expect(result.feeds.written.some((file) => file.startsWith('categories/cat_'))).toBe(true)
    const files = await filesUnder(config.outputDir)
    expect(files).toEqual([...result.feeds.written].sort())
    for (const file of files) {
      const text = await readFile(path.join(config.outputDir, file), 'utf8')
      if (file.endsWith('.json')) {
        expect(validateJsonFeed(JSON.parse(text)), file).toEqual([])
        continue
      }
      expect(checkXml(text), file).toBeNull()
      expect(fastXmlVerdict(text), file).toBe(true)
      expect(parseFeed(text).items.length, file).toBeGreaterThan(0)
    }
  })

  it('writes the fixture post as Nikola published it', async () => {
    await buildFeeds({ config, posts, now: new Date('2027-01-01T00:00:00Z'), logger: silentLogger() })
    const fixture = posts.find((post) => post.file === FIXTURE)!
    const permalink = fixture.permalink
    expect(permalink).toMatch(/^https:\/\/blog\.example\.org\/posts\/%D0%9A%D0%BE%D1%80/)

    const atom = parseXml(await readFile(path.join(config.outputDir, 'feed.atom'), 'utf8'))
    const entry = elements(atom, 'entry').find((candidate) => child(candidate, 'id').text === permalink)!
    expect(child(entry, 'published').text).toBe('2014-07-13T15:23:14+04:00')
    const terms = elements(entry, 'category').map((category) => category.attributes.term)
    expect(terms).toHaveLength(23)
    expect(terms.filter((term) => term === 'google')).toHaveLength(1)

    const rss = parseXml(await readFile(path.join(config.outputDir, 'rss.xml'), 'utf8'))
    const item = elements(rss, 'item').find((candidate) => child(candidate, 'link').text === permalink)!
    expect(child(item, 'pubDate').text).toBe('Sun, 13 Jul 2014 11:23:14 GMT')
    expect(child(item, 'guid').attributes.isPermaLink).toBe('true')
    expect(child(item, 'dc:creator').text).toBe('Peter Lemenkov')

    const content = child(entry, 'content').text
    const hrefs = [...content.matchAll(/\s(?:href|src)="([^"]*)"/g)].map((match) => match[1]!)
    expect(hrefs.length).toBeGreaterThan(10)
    for (const href of hrefs) expect(href, href).toMatch(/^(https?:|mailto:|#)/)
    expect(hrefs).toContain(`https://blog.example.org/content/${encodeURIComponent('Итоговая-пачка-фич-fedora-21')}`)

    const json = JSON.parse(await readFile(path.join(config.outputDir, 'categories/docker.json'), 'utf8')) as { items: { id: string }[] }
    expect(json.items.map((jsonItem) => jsonItem.id)).toContain(permalink)
  })

  it('leaves drafts, private and future posts out until their date', async () => {
    const hidden = ['k8s-operators-draft', 'private-note', 'fedora-45-release-party']
    const all = async () =>
      (await Promise.all((await filesUnder(config.outputDir)).map((file) => readFile(path.join(config.outputDir, file), 'utf8')))).join(
        '\n',
      )

    const before = await buildFeeds({ config, posts, now: new Date('2027-01-01T00:00:00Z'), logger: silentLogger() })
    for (const slug of hidden) expect(await all()).not.toContain(`/posts/${slug}/`)

    const after = await buildFeeds({ config, posts, now: new Date('2030-05-01T00:00:00Z'), logger: silentLogger() })
    expect(after.livePosts).toBe(before.livePosts + 1)
    const rss = await readFile(path.join(config.outputDir, 'rss.xml'), 'utf8')
    expect(rss).toContain('/posts/fedora-45-release-party/')
    expect(rss).not.toContain('/posts/k8s-operators-draft/')
    expect(rss).not.toContain('/posts/private-note/')
  })
})

describe('rebuilding', () => {
  const at = (iso: string) => ({ iso, ms: Date.parse(iso) })
  const postsV1 = [
    makePost({ slug: 'alpha', date: at('2024-01-01T10:00:00+03:00'), tags: ['x'], category: 'news' }),
    makePost({ slug: 'beta', date: at('2024-02-01T10:00:00+03:00'), tags: ['y'] }),
  ]
  const now = new Date('2025-01-01T00:00:00Z')

  async function site(extra = '') {
    const dir = await makeSite({})
    const config = parseConfig(siteConfig(`output: ${JSON.stringify(path.join(dir, 'public'))}\n${extra}`), dir, {})
    return config
  }

  it('an unchanged site twice: identical bytes, untouched mtimes, nothing written', async () => {
    const config = await site()
    const first = await buildFeeds({ config, posts: postsV1, now, logger: silentLogger() })
    expect(first.feeds.written).toHaveLength(12)
    await ageAll(config.outputDir)
    const before = await snapshot(config.outputDir)

    const second = await buildFeeds({ config, posts: [...postsV1].reverse(), now, logger: silentLogger() })
    expect(second.feeds).toEqual({ written: [], unchanged: first.feeds.written, failed: [] })
    expect(await snapshot(config.outputDir)).toEqual(before)
    expect([...before.values()].every((file) => file.mtime === PAST.getTime())).toBe(true)
  })

  it('changing one post rewrites only the feeds that contain it', async () => {
    const config = await site()
    await buildFeeds({ config, posts: postsV1, now, logger: silentLogger() })
    const changed = [postsV1[0]!, { ...postsV1[1]!, html: '<p>Corrected.</p>', contentHash: 'hash-beta-2' }]
    const result = await buildFeeds({ config, posts: changed, now, logger: silentLogger() })
    expect(result.feeds.written.sort()).toEqual([
      'categories/y.atom',
      'categories/y.json',
      'categories/y.xml',
      'feed.atom',
      'feed.json',
      'rss.xml',
    ])
    expect(result.feeds.unchanged.sort()).toEqual([
      'categories/cat_news.atom',
      'categories/cat_news.json',
      'categories/cat_news.xml',
      'categories/x.atom',
      'categories/x.json',
      'categories/x.xml',
    ])
  })

  it('pings the hub for changed feeds only', async () => {
    const hub = await startHub(204)
    cleanups.push(hub.close)
    const config = await site(`websub:\n  hub: ${hub.url}`)
    const first = await buildFeeds({ config, posts: postsV1, now, logger: silentLogger() })
    expect(first.websub?.notified).toHaveLength(12)
    expect(hub.requests).toHaveLength(12)

    const second = await buildFeeds({ config, posts: postsV1, now, logger: silentLogger() })
    expect(second.websub).toBeNull()
    expect(hub.requests).toHaveLength(12)

    const changed = [{ ...postsV1[0]!, title: 'Alpha, renamed' }, postsV1[1]!]
    const third = await buildFeeds({ config, posts: changed, now, logger: silentLogger() })
    const pinged = hub.requests
      .slice(12)
      .map((request) => request.form['hub.url'])
      .sort()
    expect(pinged).toEqual(
      [
        'categories/cat_news.atom',
        'categories/cat_news.json',
        'categories/cat_news.xml',
        'categories/x.atom',
        'categories/x.json',
        'categories/x.xml',
        'feed.atom',
        'feed.json',
        'rss.xml',
      ].map((file) => `https://blog.example.org/${file}`),
    )
    expect(third.websub?.failed).toEqual([])
    const atom = await readFile(path.join(config.outputDir, 'feed.atom'), 'utf8')
    expect(atom).toContain(`<link rel="hub" href="${hub.url}"/>`)
  })

  it('a failing hub only logs: the feeds are written and the build succeeds', async () => {
    const hub = await startHub(503)
    cleanups.push(hub.close)
    const config = await site(`websub:\n  hub: ${hub.url}`)
    const { logger, lines } = memoryLogger()
    const result = await buildFeeds({ config, posts: postsV1, now, logger })
    expect(result.feeds.failed).toEqual([])
    expect(result.feeds.written).toHaveLength(12)
    expect(result.websub?.failed).toHaveLength(12)
    expect(lines().filter((line) => line.level === 40).length).toBeGreaterThan(0)
    expect(lines().filter((line) => line.level >= 50)).toEqual([])
  })
})
