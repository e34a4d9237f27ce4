import { mkdtemp, readFile, stat, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseConfig } from '../../src/config-parse.js'
import { buildFeeds } from '../../src/feeds/build.js'
import { feedEntry } from '../../src/feeds/entry.js'
import { type FeedFileRenderer, inlineFeedRenderer } from '../../src/feeds/feed-renderer.js'
import { ENTRY_INPUTS, FileFeedManifest, postFingerprint } from '../../src/feeds/manifest.js'
import { silentLogger } from '../../src/log.js'
import type { Post } from '../../src/posts/types.js'
import { makePost } from '../support/posts.js'
import { siteConfig } from '../support/site.js'

const at = (iso: string) => ({ iso, ms: Date.parse(iso) })
const now = new Date('2025-01-01T00:00:00Z')
const posts = [
  makePost({ slug: 'alpha', date: at('2024-01-01T10:00:00+03:00'), tags: ['x'] }),
  makePost({
    slug: 'beta',
    date: at('2024-02-01T10:00:00+03:00'),
    tags: ['y'],
    teaserHtml: '<p>t</p>',
    previewImage: 'https://blog.example.org/a.png',
  }),
]

async function site() {
  const dir = await mkdtemp(path.join(tmpdir(), 'herald-manifest-'))
  const config = parseConfig(siteConfig(`output: ${JSON.stringify(path.join(dir, 'public'))}`), dir, {})
  return { config, manifestFile: path.join(dir, '.herald', 'cache', 'feeds.json') }
}

describe('postFingerprint', () => {
  it('covers exactly the post fields a feed entry is made from', () => {
    const read = new Set<string>()
    const post = makePost({ slug: 'p', teaserHtml: null, description: null })
    const spy = new Proxy(post, {
      get(target, key, receiver) {
        if (typeof key === 'string') read.add(key)
        return Reflect.get(target, key, receiver) as unknown
      },
    })
    feedEntry(spy, { teasers: true, language: 'en' })
    feedEntry(spy, { teasers: false, language: 'en' })
    expect([...read].sort()).toEqual([...ENTRY_INPUTS].sort())
  })

  it('changes when a field shown in feeds changes, not when others do', () => {
    const post = makePost({ slug: 'p' })
    expect(postFingerprint({ ...post, html: '<p>other</p>' })).not.toBe(postFingerprint(post))
    expect(postFingerprint({ ...post, tags: ['new'] })).not.toBe(postFingerprint(post))
    expect(postFingerprint({ ...post, contentHash: 'elsewhere', warnings: ['w'] } satisfies Post)).toBe(postFingerprint(post))
  })
})

describe('buildFeeds with a manifest', () => {
  it('gives the same results as without one, and skips feeds whose inputs and files are unchanged', async () => {
    const { config, manifestFile } = await site()
    let manifest = await FileFeedManifest.open(manifestFile)
    const first = await buildFeeds({ config, posts, now, logger: silentLogger(), manifest })
    await manifest.save()
    expect(first.feeds.written).toHaveLength(9)
    expect(JSON.parse(await readFile(manifestFile, 'utf8'))).toHaveProperty(['files', 'rss.xml', 'key'])

    manifest = await FileFeedManifest.open(manifestFile)
    const second = await buildFeeds({ config, posts, now, logger: silentLogger(), manifest })
    expect(second.feeds).toEqual({ written: [], unchanged: first.feeds.written, failed: [] })

    const changed = [posts[0]!, { ...posts[1]!, title: 'Beta, renamed' }]
    const third = await buildFeeds({ config, posts: changed, now, logger: silentLogger(), manifest })
    expect(third.feeds.written.sort()).toEqual([
      'categories/y.atom',
      'categories/y.json',
      'categories/y.xml',
      'feed.atom',
      'feed.json',
      'rss.xml',
    ])
  })

  it('rewrites a file that was changed or removed behind its back', async () => {
    const { config, manifestFile } = await site()
    const manifest = await FileFeedManifest.open(manifestFile)
    await buildFeeds({ config, posts, now, logger: silentLogger(), manifest })
    const rss = path.join(config.outputDir, 'rss.xml')
    const good = await readFile(rss, 'utf8')
    await writeFile(rss, 'vandalised')
    const result = await buildFeeds({ config, posts, now, logger: silentLogger(), manifest })
    expect(result.feeds.written).toEqual(['rss.xml'])
    expect(await readFile(rss, 'utf8')).toBe(good)
  })

  it('trusts size and mtime: a same-size edit that keeps the mtime is not noticed (as make would not)', async () => {
    const { config, manifestFile } = await site()
    const manifest = await FileFeedManifest.open(manifestFile)
    await buildFeeds({ config, posts, now, logger: silentLogger(), manifest })
    const rss = path.join(config.outputDir, 'rss.xml')
    const { mtime } = await stat(rss)
    const good = await readFile(rss, 'utf8')
    await writeFile(rss, good.replace('Test Blog', 'Tset Blog'))
    await utimes(rss, mtime, mtime)
    expect((await buildFeeds({ config, posts, now, logger: silentLogger(), manifest })).feeds.written).toEqual([])
    expect((await buildFeeds({ config, posts, now, logger: silentLogger() })).feeds.written).toEqual(['rss.xml'])
  })

  it('keeps the renderers fingerprint under the code stamp: the canary is rendered again only when the stamp changes', async () => {
    const { config, manifestFile } = await site()
    const inline = inlineFeedRenderer()
    const asked: string[] = []
    let fingerprint = await inline.fingerprint()
    const renderer: FeedFileRenderer = {
      fingerprint: async () => {
        asked.push('fingerprint')
        return fingerprint
      },
      render: (request) => {
        asked.push(`render ${request.files.length}`)
        return inline.render(request)
      },
      close: async () => {},
    }
    const build = async (stamp: string) => {
      const manifest = await FileFeedManifest.open(manifestFile)
      const result = await buildFeeds({ config, posts, now, logger: silentLogger(), manifest, renderer, renderersStamp: stamp })
      await manifest.save()
      return result.feeds
    }
    expect((await build('code-1')).written).toHaveLength(9)
    expect(asked).toEqual(['fingerprint', 'render 9'])
    expect(JSON.parse(await readFile(manifestFile, 'utf8')).renderers).toEqual({ stamp: 'code-1', fingerprint })

    asked.length = 0
    expect((await build('code-1')).written).toEqual([])
    expect(asked).toEqual([])

    // New code whose renderers write the same: asked once more, nothing rendered.
    expect((await build('code-2')).written).toEqual([])
    expect(asked).toEqual(['fingerprint'])

    // New code whose renderers write something else: every file is rendered again (and found unchanged here).
    asked.length = 0
    fingerprint = 'renderers-that-changed'
    const changed = await build('code-3')
    expect(asked).toEqual(['fingerprint', 'render 9'])
    expect(changed.unchanged).toHaveLength(9)
  })

  it('an older manifest (a bare map of files) is an empty one', async () => {
    const { config, manifestFile } = await site()
    const manifest = await FileFeedManifest.open(manifestFile)
    await buildFeeds({ config, posts, now, logger: silentLogger(), manifest })
    await manifest.save()
    const stored = JSON.parse(await readFile(manifestFile, 'utf8')) as { files: Record<string, unknown> }
    await writeFile(manifestFile, JSON.stringify(stored.files))
    expect((await FileFeedManifest.open(manifestFile)).get('rss.xml')).toBeUndefined()
  })

  it('a damaged manifest file is an empty one', async () => {
    const damaged = path.join(await mkdtemp(path.join(tmpdir(), 'herald-manifest-')), 'feeds.json')
    await writeFile(damaged, '{not json')
    const manifest = await FileFeedManifest.open(damaged)
    expect(manifest.get('rss.xml')).toBeUndefined()
  })
})
