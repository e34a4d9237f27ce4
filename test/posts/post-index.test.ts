import { readdirSync } from 'node:fs'
import { cp, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config-load.js'
import { buildFeeds } from '../../src/feeds/build.js'
import { postFingerprint } from '../../src/feeds/manifest.js'
import { silentLogger } from '../../src/log.js'
import { loadPosts, type RstRenderer } from '../../src/posts/load.js'
import { FileStamps, PostIndex } from '../../src/posts/post-index.js'
import { PackedRenderCache } from '../../src/posts/render-cache.js'
import { createRstRenderer } from '../../src/posts/rst.js'
import type { Post, PostCollection } from '../../src/posts/types.js'
import { FIXTURES, makeSite, post } from '../support/site.js'

const rst = createRstRenderer()

/** Loads a site the way `loadSitePosts` does (post index + packed render cache), counting what gets rendered. */
async function loadCached(dir: string, fingerprint = 'f1', graceMs?: number, now?: number) {
  const rendered: string[] = []
  const renderer: RstRenderer = {
    id: rst.id,
    render(body, context) {
      rendered.push(context?.file ?? '?')
      return rst.render(body, context)
    },
  }
  const cacheDir = path.join(dir, '.herald', 'cache')
  const cache = await PackedRenderCache.open(path.join(cacheDir, 'render'))
  const index = await PostIndex.open(path.join(cacheDir, 'posts.json'), fingerprint)
  const config = await loadConfig(dir, {})
  const collection = await loadPosts({ config, renderer, cache, index, stamps: new FileStamps(dir), ...(now ? { now } : {}) })
  const problems = await cache.save(index.renderKeys(), graceMs === undefined ? {} : { graceMs })
  await index.save()
  return { collection, rendered, problems, config, cache }
}

const plain = (collection: PostCollection) => collection.posts.map((one) => ({ ...one }))
const bySlug = (collection: PostCollection, slug: string): Post => {
  const found = collection.posts.find((candidate) => candidate.slug === slug)
  if (!found) throw new Error(`no post ${slug}`)
  return found
}
// Files written just now are "racy" (same clock tick as the build) and read again; let time pass as an editor would.
const settle = () => sleep(30)

async function site() {
  const dir = await makeSite({
    'posts/a.rst': post({ title: 'Alpha', slug: 'alpha', date: '2024-01-01 10:00', tags: 'x, y' }, 'Alpha *body* with `a link <b/>`__.\n'),
    'posts/b.rst': post({ title: 'Beta', slug: 'beta', date: '2024-01-02 10:00', tags: 'y' }, 'Beta body.\n\n.. TEASER_END\n\nMore.\n'),
    'posts/c.rst': post({ title: 'Gamma', slug: 'gamma', date: '2024-01-03 10:00' }, 'See `Alpha <link://slug/alpha>`__.\n'),
  })
  await settle()
  return dir
}

describe('the post index', () => {
  it('takes unchanged posts from the index without rendering them, and gives the same posts as a fresh load', async () => {
    const dir = await site()
    const first = await loadCached(dir)
    expect(first.rendered.sort()).toEqual(['posts/a.rst', 'posts/b.rst', 'posts/c.rst'])
    await settle()
    const second = await loadCached(dir)
    expect(second.rendered).toEqual([])
    const fresh = await loadPosts({ config: second.config, renderer: rst })
    expect(plain(second.collection)).toEqual(plain(fresh))
    // Feeds see the same posts: same fingerprints (without reading bodies) and the same bytes.
    expect(second.collection.posts.map(postFingerprint)).toEqual(fresh.posts.map(postFingerprint))
    const now = new Date('2025-01-01T00:00:00Z')
    const out = (name: string) => ({ ...second.config, outputDir: path.join(dir, name) })
    await buildFeeds({ config: out('lazy'), posts: second.collection.posts, now, logger: silentLogger() })
    await buildFeeds({ config: out('fresh'), posts: fresh.posts, now, logger: silentLogger() })
    for (const file of ['rss.xml', 'feed.atom', 'feed.json', 'categories/y.xml'])
      expect(await readFile(path.join(dir, 'lazy', file), 'utf8')).toBe(await readFile(path.join(dir, 'fresh', file), 'utf8'))
  })

  it('reads a body from the render cache only when something shows it', async () => {
    const dir = await site()
    await loadCached(dir)
    await settle()
    const { collection, cache } = await loadCached(dir)
    let reads = 0
    const readSync = cache.readSync.bind(cache)
    cache.readSync = (key) => {
      reads++
      return readSync(key)
    }
    const alpha = bySlug(collection, 'alpha')
    expect(reads).toBe(0)
    expect(alpha.html).toContain('<em>body</em>')
    expect(alpha.html).toContain('href="https://blog.example.org/posts/alpha/b/"')
    expect(alpha.emailHtml).toContain('<em>body</em>')
    expect(reads).toBe(1)
  })

  it('notices an edited post, a new sidecar, a changed include, a deleted post and another configuration', async () => {
    const dir = await site()
    await loadCached(dir)
    await settle()

    await writeFile(path.join(dir, 'posts/a.rst'), post({ title: 'Alpha 2', slug: 'alpha', date: '2024-01-01 10:00' }, 'New.\n'))
    await settle()
    let run = await loadCached(dir)
    expect(run.rendered).toEqual(['posts/a.rst'])
    expect(bySlug(run.collection, 'alpha').title).toBe('Alpha 2')

    await writeFile(path.join(dir, 'posts/b.meta'), '.. title: Beta from the sidecar\n')
    await settle()
    run = await loadCached(dir)
    expect(bySlug(run.collection, 'beta').title).toBe('Beta from the sidecar')

    await writeFile(path.join(dir, 'posts/part.txt'), 'Included once.\n')
    await writeFile(
      path.join(dir, 'posts/b.rst'),
      post({ title: 'Beta', slug: 'beta', date: '2024-01-02 10:00' }, '.. include:: part.txt\n'),
    )
    await settle()
    run = await loadCached(dir)
    expect(bySlug(run.collection, 'beta').html).toContain('Included once.')
    await writeFile(path.join(dir, 'posts/part.txt'), 'Included twice.\n')
    await settle()
    run = await loadCached(dir)
    expect(run.rendered).toEqual(['posts/b.rst'])
    expect(bySlug(run.collection, 'beta').html).toContain('Included twice.')

    await rm(path.join(dir, 'posts/a.rst'))
    run = await loadCached(dir)
    expect(run.collection.posts.map((one) => one.slug).sort()).toEqual(['beta', 'gamma'])
    const saved = JSON.parse(await readFile(path.join(dir, '.herald/cache/posts.json'), 'utf8')) as { posts: object }
    expect(Object.keys(saved.posts).sort()).toEqual(['posts/b.rst', 'posts/c.rst'])

    await settle()
    run = await loadCached(dir, 'another configuration')
    // Every post is loaded again, but bodies come from the render cache (keyed by content, not by configuration).
    expect(run.rendered).toEqual([])
    await settle()
    expect((await loadCached(dir, 'another configuration')).rendered).toEqual([])
  })

  it('reads again a file changed within the clock tick it was checked in, even when size and mtime look unchanged', async () => {
    const dir = await site()
    const file = path.join(dir, 'posts/a.rst')
    await loadCached(dir)
    await settle()
    await loadCached(dir)
    // A same-size rewrite that keeps the mtime: what a coarse clock or filesystem can make of two quick writes.
    const before = await stat(file)
    const now = new Date()
    await utimes(file, now, now)
    const stamped = await stat(file)
    await loadCached(dir)
    await writeFile(file, (await readFile(file, 'utf8')).replace('Alpha *body*', 'Alpha *BODY*'))
    await utimes(file, stamped.atime, stamped.mtime)
    expect((await stat(file)).size).toBe(before.size)
    const run = await loadCached(dir)
    expect(run.rendered).toEqual(['posts/a.rst'])
    expect(bySlug(run.collection, 'alpha').html).toContain('<em>BODY</em>')

    // Outside that window: a same-size copy that keeps the old mtime (`cp -p`, `rsync -t`) still changes the ctime.
    await settle()
    const old = new Date('2020-01-01T00:00:00.123Z')
    await utimes(file, old, old)
    await settle()
    await loadCached(dir)
    await writeFile(file, (await readFile(file, 'utf8')).replace('Alpha *BODY*', 'Alpha *body*'))
    await utimes(file, old, old)
    await settle()
    const copied = await loadCached(dir)
    expect(copied.rendered).toEqual(['posts/a.rst'])
    expect(bySlug(copied.collection, 'alpha').html).toContain('<em>body</em>')
  })

  it('resolves link:// again on every load, since the post it names may have changed', async () => {
    const dir = await site()
    const first = await loadCached(dir)
    expect(bySlug(first.collection, 'gamma').html).toContain('href="https://blog.example.org/posts/alpha/"')
    await settle()
    await writeFile(path.join(dir, 'posts/a.rst'), post({ title: 'Alpha', slug: 'alpha-moved', date: '2024-01-01 10:00' }, 'Alpha.\n'))
    await settle()
    const run = await loadCached(dir)
    expect(run.rendered).toEqual(['posts/a.rst'])
    // Gamma's file did not change, but the post it names is gone: the link now goes home, with a warning, as in Nikola.
    const gamma = bySlug(run.collection, 'gamma')
    expect(gamma.html).toContain('<a href="https://blog.example.org/">Alpha</a>')
    expect(gamma.warnings.join('\n')).toMatch(/posts\/c\.rst:\d+.*link:\/\/slug\/alpha/)
  })
})

describe('the post index on real blogs', () => {
  // The Nikola corpus (test/fixtures/nikola-corpus/SOURCES.md): includes, listings, link://, post-list, translations,
  // sidecars, Markdown. A copy of each blog, since the caches are written into the site folder.
  const corpus = path.join(FIXTURES, 'nikola-corpus')
  const blogs = readdirSync(corpus, { withFileTypes: true }).filter((entry) => entry.isDirectory())
  const now = Date.parse('2038-01-01T00:00:00Z')

  it.each(blogs.map((entry) => entry.name))('%s: a second load renders nothing and gives the posts of a fresh load', async (blog) => {
    const dir = await mkdtemp(path.join(tmpdir(), `herald-corpus-${blog}-`))
    await cp(path.join(corpus, blog), dir, { recursive: true })
    await settle()
    const first = await loadCached(dir, 'f1', undefined, now)
    await settle()
    const second = await loadCached(dir, 'f1', undefined, now)
    expect(second.rendered).toEqual([])
    const fresh = await loadPosts({ config: second.config, renderer: rst, now })
    expect(plain(second.collection)).toEqual(plain(fresh))
    expect(second.collection.failures).toEqual(fresh.failures)
    expect(plain(first.collection)).toEqual(plain(fresh))
    await rm(dir, { recursive: true, force: true })
  })
})

describe('the packed render cache', () => {
  const packs = async (dir: string) => (await readdir(path.join(dir, '.herald/cache/render'))).filter((name) => name.endsWith('.pack'))

  it('writes one pack per run that renders, merges them when there are many, and drops bodies nothing uses', async () => {
    const dir = await site()
    await loadCached(dir, 'f1', 0)
    expect(await packs(dir)).toHaveLength(1)
    for (let round = 1; round <= 9; round++) {
      await writeFile(
        path.join(dir, 'posts/a.rst'),
        post({ title: `Alpha ${round}`, slug: 'alpha', date: '2024-01-01 10:00' }, `Round ${round}.\n`),
      )
      await settle()
      const run = await loadCached(dir, 'f1', 0)
      expect(run.problems).toEqual([])
      expect(run.rendered).toEqual(['posts/a.rst'])
      // Bodies are still readable after a save that merged packs.
      for (const one of run.collection.posts) expect(one.html).toMatch(/<p>/)
    }
    // Stale bodies went with the merges; every live body is still there.
    expect((await packs(dir)).length).toBeLessThanOrEqual(8)
    const catalog = JSON.parse(await readFile(path.join(dir, '.herald/cache/render/catalog.json'), 'utf8')) as { bodies: object }
    expect(Object.keys(catalog.bodies)).toHaveLength(3)
    await settle()
    const last = await loadCached(dir, 'f2', 0)
    expect(last.rendered).toEqual([])
    expect(bySlug(last.collection, 'alpha').html).toContain('Round 9.')
  })

  it('keeps a pack no longer listed for the grace period, since another process may still read it', async () => {
    const dir = await site()
    await loadCached(dir, 'f1', 60_000)
    const [first] = await packs(dir)
    // Every body changes: the first pack is all stale, so it is merged away (its bodies are dropped, not copied).
    for (const name of ['a', 'b', 'c'])
      await writeFile(path.join(dir, `posts/${name}.rst`), post({ title: name, slug: name, date: '2024-01-05 10:00' }, `New ${name}.\n`))
    await settle()
    await loadCached(dir, 'f1', 60_000)
    expect(await packs(dir)).toContain(first)
    const catalog = JSON.parse(await readFile(path.join(dir, '.herald/cache/render/catalog.json'), 'utf8')) as {
      retired: Record<string, number>
    }
    expect(Object.keys(catalog.retired)).toEqual([first])
    await settle()
    await loadCached(dir, 'f1', 0)
    expect(await packs(dir)).not.toContain(first)
  })

  it('renders again when a pack is cut short or garbled, and clears a cache it cannot read', async () => {
    const dir = await site()
    await loadCached(dir)
    const [pack] = await packs(dir)
    const packFile = path.join(dir, '.herald/cache/render', pack!)
    const bytes = await readFile(packFile)
    await writeFile(packFile, bytes.subarray(0, bytes.length - 10))
    await settle()
    // Cut short: what it no longer holds is not listed, and is rendered again.
    const short = await loadCached(dir, 'f2')
    expect(short.rendered.length).toBeGreaterThan(0)
    expect(short.collection.posts.map((one) => one.html.length > 0)).toEqual([true, true, true])

    await settle()
    const whole = await loadCached(dir, 'f3')
    const [current] = (await packs(dir)).filter((name) => name !== pack)
    for (const name of await packs(dir)) {
      const file = path.join(dir, '.herald/cache/render', name)
      await writeFile(file, Buffer.alloc((await stat(file)).size, 0x7b))
    }
    expect(current).toBeDefined()
    expect(whole.rendered).toEqual([])
    await settle()
    // Garbled in place: reading a body fails with a clear message and clears the cache; the next run renders afresh.
    const garbled = await loadCached(dir, 'f3')
    expect(() => bySlug(garbled.collection, 'alpha').html).toThrow(/^posts\/a\.rst: .*render cache.*: run the command again$/)
    await settle()
    const catalogFile = path.join(dir, '.herald/cache/render/catalog.json')
    const listed = JSON.parse(await readFile(catalogFile, 'utf8')) as { bodies: Record<string, [string, number, number]> }
    expect(Object.values(listed.bodies).every(([name]) => name !== current && name !== pack)).toBe(true)
    const healed = await loadCached(dir, 'f3')
    // Gamma links to other posts, so the damaged run read it first, found it unreadable and rendered it afresh.
    expect(healed.rendered.sort()).toEqual(['posts/a.rst', 'posts/b.rst'])
    expect(bySlug(healed.collection, 'alpha').html).toContain('<em>body</em>')
  })

  it('renders again when the catalog is damaged or a pack is gone: it is only a cache', async () => {
    const dir = await site()
    await loadCached(dir)
    await writeFile(path.join(dir, '.herald/cache/render/catalog.json'), '{"version":1,"bodies":')
    await settle()
    const damaged = await loadCached(dir, 'f2')
    expect(damaged.rendered.sort()).toEqual(['posts/a.rst', 'posts/b.rst', 'posts/c.rst'])
    for (const pack of await packs(dir)) await rm(path.join(dir, '.herald/cache/render', pack))
    await settle()
    const gone = await loadCached(dir, 'f3')
    expect(gone.rendered.sort()).toEqual(['posts/a.rst', 'posts/b.rst', 'posts/c.rst'])
    expect(bySlug(gone.collection, 'beta').teaserHtml).toContain('Beta body.')
  })
})
