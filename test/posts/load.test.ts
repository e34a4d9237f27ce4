import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config-load.js'
import { loadPosts } from '../../src/posts/load.js'
import { createRstRenderer } from '../../src/posts/rst.js'
import type { Post } from '../../src/posts/types.js'
import { EXAMPLE_SITE, FIXTURE_POST, makeSite, post, siteConfig } from '../support/site.js'

const renderer = createRstRenderer()
const load = async (dir: string) => loadPosts({ config: await loadConfig(dir, {}), renderer })
const bySlug = (posts: readonly Post[], slug: string) => {
  const found = posts.find((candidate) => candidate.slug === slug)
  if (!found) throw new Error(`no post ${slug}`)
  return found
}

describe('loading the fixture post', () => {
  it('reads every field the way Nikola does', async () => {
    const dir = await makeSite(
      { 'posts/000_349065e2717ee7fd.txt': await readFile(FIXTURE_POST) },
      siteConfig('', { language: 'ru', timezone: 'Europe/Moscow', author: 'Someone Else' }),
    )
    const { posts, failures } = await load(dir)
    expect(failures).toEqual([])
    const fixture = posts[0]!
    expect(fixture.title).toBe('Короткие новости о контейнерах и виртуализации')
    expect(fixture.slug).toBe('Короткие-новости-о-контейнерах-и-виртуализации')
    expect(fixture.date.iso).toBe('2014-07-13T15:23:14+04:00')
    expect(fixture.updated).toEqual(fixture.date)
    expect(fixture.tags).toHaveLength(23)
    expect(fixture.tags.filter((tag) => tag === 'google')).toHaveLength(1)
    expect(fixture.tags.at(-1)).toBe('saltstack')
    expect(fixture.category).toBeNull()
    expect(fixture.link).toBeNull()
    expect(fixture.description).toBeNull()
    expect(fixture.type).toBe('text')
    expect(fixture.author).toBe('Peter Lemenkov')
    expect(fixture.status).toBe('published')
    expect(fixture.permalink).toBe(
      'https://blog.example.org/posts/%D0%9A%D0%BE%D1%80%D0%BE%D1%82%D0%BA%D0%B8%D0%B5-%D0%BD%D0%BE%D0%B2%D0%BE%D1%81%D1%82%D0%B8-' +
        '%D0%BE-%D0%BA%D0%BE%D0%BD%D1%82%D0%B5%D0%B9%D0%BD%D0%B5%D1%80%D0%B0%D1%85-%D0%B8-' +
        '%D0%B2%D0%B8%D1%80%D1%82%D1%83%D0%B0%D0%BB%D0%B8%D0%B7%D0%B0%D1%86%D0%B8%D0%B8/',
    )
    expect(fixture.feedId).toBe(fixture.permalink)
    expect(fixture.readMoreLabel).toBe('Читать далее…')
    expect(fixture.warnings).toEqual([])
  })

  it('makes the relative /content/ link absolute and Nikola-encoded, and leaves absolute links alone', async () => {
    const dir = await makeSite({ 'posts/fixture.txt': await readFile(FIXTURE_POST) }, siteConfig('', { timezone: 'Europe/Moscow' }))
    const [fixture] = (await load(dir)).posts
    expect(fixture!.html).toContain(
      'href="https://blog.example.org/content/' +
        '%D0%98%D1%82%D0%BE%D0%B3%D0%BE%D0%B2%D0%B0%D1%8F-%D0%BF%D0%B0%D1%87%D0%BA%D0%B0-%D1%84%D0%B8%D1%87-fedora-21"',
    )
    expect(fixture!.html).toContain('href="https://www.openhub.net/accounts/berrange"')
    expect(fixture!.html).not.toMatch(/href="\//)
    expect(fixture!.html).toContain('class="align-center"')
    expect(fixture!.html).toContain('style="width: 40.0%;"')
  })
})

describe('the example site', () => {
  it('covers tags and category, teaser, future date, draft, private, explicit offset and a sidecar', async () => {
    const { posts, failures } = await load(EXAMPLE_SITE)
    expect(failures).toEqual([])
    const welcome = bySlug(posts, 'welcome')
    expect(welcome.category).toBe('news')
    expect(welcome.tags).toEqual(['herald', 'meta', 'rst'])
    expect(welcome.teaserHtml).toContain('subscribe')
    expect(welcome.teaserHtml).not.toContain('The long version')
    expect(welcome.html).toContain('The long version')
    expect(welcome.readMoreLabel).toBe('Read the whole story')
    expect(welcome.html).toContain('href="https://blog.example.org/subscribe"')
    expect(bySlug(posts, 'fedora-45-release-party').date.ms).toBeGreaterThan(Date.now())
    expect(bySlug(posts, 'k8s-operators-draft').status).toBe('draft')
    expect(bySlug(posts, 'private-note').status).toBe('private')
    expect(bySlug(posts, 'bengaluru-notes').date.iso).toBe('2026-03-10T09:00:00+05:30')
    const sidecar = bySlug(posts, 'sidecar-metadata')
    expect(sidecar.title).toBe('Metadata in a sidecar file')
    expect(sidecar.previewImage).toBe('https://blog.example.org/images/sidecar.png')
    expect(sidecar.html).toContain('src="https://blog.example.org/images/sidecar.png"')
    const tour = bySlug(posts, 'тур-по-rst')
    expect(tour.tags).toEqual(['rst', 'документация'])
    expect(tour.updated.iso).toBe('2026-11-21T10:00:00+03:00')
    expect(tour.html).toContain('src="https://blog.example.org/images/diagram.png"')
    expect(tour.teaserHtml).not.toContain('<table')
    expect(tour.readMoreLabel).toBe('Читать далее…')
  })
})

describe('bad input never takes good posts down', () => {
  it('reports each broken post with file, line and field; loads the rest', async () => {
    const dir = await makeSite({
      'posts/a-good.rst': post({ title: 'Good', slug: 'good', date: '2020-01-01 10:00' }),
      'posts/b-no-title.rst': post({ slug: 'no-title', date: '2020-01-01 10:00' }),
      'posts/c-bad-date.rst': post({ title: 'Bad date', slug: 'bad-date', date: 'yesterday-ish' }),
      'posts/d-no-meta.rst': 'Just a body, no metadata.\n',
      'posts/e-latin1.rst': Buffer.concat([Buffer.from('.. title: Caf'), Buffer.from([0xe9]), Buffer.from('\n.. date: 2020-01-01\n\nx\n')]),
      'posts/f-dup.rst': post({ title: 'Dup', slug: 'good', date: '2020-01-02 10:00' }),
      'posts/g-status.rst': post({ title: 'Status', slug: 'status', date: '2020-01-02 10:00', status: 'drafty' }),
      'posts/h-no-slug.rst': post({ title: 'No slug', date: '2020-01-03 10:00' }),
    })
    const { posts, failures } = await load(dir)
    expect(posts.map((p) => p.slug).sort()).toEqual(['good', 'h-no-slug'])
    expect(posts.find((p) => p.slug === 'h-no-slug')!.warnings).toEqual([
      expect.stringMatching(/^posts\/h-no-slug\.rst: slug: no slug; using "h-no-slug"/),
    ])
    const errorsOf = (file: string) => failures.find((failure) => failure.file === file)?.errors ?? []
    expect(errorsOf('posts/b-no-title.rst')).toEqual([expect.stringMatching(/^posts\/b-no-title\.rst: title: missing/)])
    expect(errorsOf('posts/c-bad-date.rst')).toEqual([
      expect.stringMatching(/^posts\/c-bad-date\.rst:3: date: cannot read "yesterday-ish"/),
    ])
    expect(errorsOf('posts/d-no-meta.rst')).toEqual([expect.stringMatching(/^posts\/d-no-meta\.rst:1: no metadata/)])
    expect(errorsOf('posts/e-latin1.rst')).toEqual([expect.stringMatching(/^posts\/e-latin1\.rst:1: not valid UTF-8/)])
    expect(errorsOf('posts/f-dup.rst')).toEqual([
      expect.stringMatching(/^posts\/f-dup\.rst: slug: "good" is already the slug of posts\/a-good\.rst/),
    ])
    expect(errorsOf('posts/g-status.rst')).toEqual([expect.stringMatching(/^posts\/g-status\.rst:4: status: "drafty" is not a status/)])
  })

  it('an unknown directive is a warning naming file and line, with a visible fallback', async () => {
    const dir = await makeSite({
      'posts/x.rst': post({ title: 'X', slug: 'x', date: '2020-01-01' }, 'Intro.\n\n.. youtub:: abc123\n   :width: 100\n\nOutro.\n'),
    })
    const [loaded] = (await load(dir)).posts
    expect(loaded!.warnings).toEqual([expect.stringMatching(/^posts\/x\.rst:7: unknown directive "youtub"/)])
    expect(loaded!.html).toContain('<p class="system-message">⚠ <span class="problematic"')
    expect(loaded!.html).toContain('.. youtub:: abc123</span>')
    expect(loaded!.html).toContain('Outro.')
  })

  it('legacy draft/private tags set the status and are not tags', async () => {
    const dir = await makeSite({ 'posts/x.rst': post({ title: 'X', slug: 'x', date: '2020-01-01', tags: 'a, draft, b' }) })
    const [loaded] = (await load(dir)).posts
    expect(loaded!.status).toBe('draft')
    expect(loaded!.tags).toEqual(['a', 'b'])
  })

  it('uses guid metadata as the feed id, and {year}/{month} permalink patterns', async () => {
    const dir = await makeSite(
      { 'posts/x.rst': post({ title: 'X', slug: 'x', date: '2020-02-03 04:05', guid: 'urn:uuid:1234' }) },
      siteConfig('permalink: blog/{year}/{month}/{slug}.html'),
    )
    const [loaded] = (await load(dir)).posts
    expect(loaded!.permalink).toBe('https://blog.example.org/blog/2020/02/x.html')
    expect(loaded!.feedId).toBe('urn:uuid:1234')
  })
})
