import { mkdtemp, readdir, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseConfig } from '../../src/config-parse.js'
import { buildFeeds } from '../../src/feeds/build.js'
import { inlineFeedRenderer, threadedFeedRenderer } from '../../src/feeds/feed-renderer.js'
import { FileFeedManifest } from '../../src/feeds/manifest.js'
import { silentLogger } from '../../src/log.js'
import { makePost } from '../support/posts.js'
import { siteConfig } from '../support/site.js'

const at = (iso: string) => ({ iso, ms: Date.parse(iso) })
const now = new Date('2025-01-01T00:00:00Z')
const posts = Array.from({ length: 12 }, (_, index) =>
  makePost({
    slug: `post-${index}`,
    title: `Post ${index} & <friends> ]]>`,
    date: at(`2024-0${1 + (index % 9)}-0${1 + (index % 7)}T10:00:00+03:00`),
    tags: [`tag-${index % 3}`, 'Ünïcode'],
    category: index % 2 ? 'odd' : null,
    html: `<p>Body ${index} with ]]> and &amp; <a href="https://example.org/${index}">a link</a></p><p>second</p>`,
    teaserHtml: index % 4 === 0 ? `<p>Teaser ${index}</p>` : null,
  }),
)

async function site(name: string) {
  const dir = await mkdtemp(path.join(tmpdir(), `herald-feed-renderer-${name}-`))
  const config = parseConfig(siteConfig(`output: ${JSON.stringify(path.join(dir, 'public'))}`), dir, {})
  return { config, manifestFile: path.join(dir, '.herald', 'cache', 'feeds.json') }
}

async function files(dir: string): Promise<Map<string, string>> {
  const result = new Map<string, string>()
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue
    const absolute = path.join(entry.parentPath, entry.name)
    result.set(path.relative(dir, absolute), await readFile(absolute, 'utf8'))
  }
  return result
}

describe('threadedFeedRenderer', () => {
  it('writes the same files as rendering in this thread, and the same manifest keys', async () => {
    const inline = await site('inline')
    const threaded = await site('threaded')
    const warnings: Error[] = []
    const renderer = threadedFeedRenderer({ onFallback: (error) => warnings.push(error) })
    try {
      const inlineManifest = await FileFeedManifest.open(inline.manifestFile)
      const threadedManifest = await FileFeedManifest.open(threaded.manifestFile)
      const a = await buildFeeds({ config: inline.config, posts, now, logger: silentLogger(), manifest: inlineManifest })
      const b = await buildFeeds({ config: threaded.config, posts, now, logger: silentLogger(), manifest: threadedManifest, renderer })
      expect(b.feeds).toEqual(a.feeds)
      expect(a.feeds.written.length).toBeGreaterThan(9)
      expect(await files(threaded.config.outputDir)).toEqual(await files(inline.config.outputDir))
      for (const file of a.feeds.written) expect(threadedManifest.get(file)?.key).toBe(inlineManifest.get(file)?.key)
      expect(await renderer.fingerprint()).toBe(await inlineFeedRenderer().fingerprint())

      // A second request to the same thread: only the feeds of the changed post are rendered again.
      const newest = posts.reduce((a, b) => (b.date.ms > a.date.ms ? b : a))
      const changed = posts.map((post) => (post === newest ? { ...post, title: 'Renamed' } : post))
      const again = await buildFeeds({
        config: threaded.config,
        posts: changed,
        now,
        logger: silentLogger(),
        manifest: threadedManifest,
        renderer,
      })
      expect(again.feeds.written.length).toBeGreaterThan(0)
      expect(again.feeds.written.length).toBeLessThan(a.feeds.written.length)
      expect(await readFile(path.join(threaded.config.outputDir, 'rss.xml'), 'utf8')).toContain('Renamed')
    } finally {
      await renderer.close()
    }
    expect(warnings).toEqual([])
  })

  it('falls back to this thread when the thread dies, says why, and the feeds are still written', async () => {
    const fallback = await site('fallback')
    const inline = await site('reference')
    const warnings: string[] = []
    const renderer = threadedFeedRenderer({
      onFallback: (error) => warnings.push(error.message),
      threadModule: new URL('./support/failing-thread.ts', import.meta.url),
    })
    try {
      const result = await buildFeeds({ config: fallback.config, posts, now, logger: silentLogger(), renderer })
      const reference = await buildFeeds({ config: inline.config, posts, now, logger: silentLogger() })
      expect(result.feeds).toEqual(reference.feeds)
      expect(await files(fallback.config.outputDir)).toEqual(await files(inline.config.outputDir))
    } finally {
      await renderer.close()
    }
    expect(warnings).toEqual(['the feed thread exited (code 3)'])
  })

  it('is not thrown off by a time zone ICU does not know (the zone is only a head start for date parsing)', async () => {
    const { config } = await site('zone')
    const warnings: Error[] = []
    const renderer = threadedFeedRenderer({ onFallback: (error) => warnings.push(error), timeZone: 'Nowhere/Atlantis' })
    try {
      const result = await buildFeeds({ config, posts, now, logger: silentLogger(), renderer })
      expect(result.feeds.failed).toEqual([])
      expect(result.feeds.written.length).toBeGreaterThan(0)
    } finally {
      await renderer.close()
    }
    expect(warnings).toEqual([])
  })

  it('runs whileRendering once the files are handed over, and waits for it', async () => {
    const { config } = await site('while')
    const events: string[] = []
    const renderer = threadedFeedRenderer({ onFallback: () => undefined })
    try {
      const result = await buildFeeds({
        config,
        posts,
        now,
        logger: silentLogger(),
        renderer,
        whileRendering: async () => {
          events.push('started')
          await new Promise((resolve) => setTimeout(resolve, 50))
          events.push('finished')
        },
      })
      events.push('returned')
      expect(result.feeds.written.length).toBeGreaterThan(0)
    } finally {
      await renderer.close()
    }
    expect(events).toEqual(['started', 'finished', 'returned'])
  })
})
