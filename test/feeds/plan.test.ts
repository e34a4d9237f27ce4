import { describe, expect, it } from 'vitest'
import type { Config } from '../../src/config.js'
import { parseConfig } from '../../src/config-parse.js'
import { planFeeds } from '../../src/feeds/plan.js'
import { makePost } from '../support/posts.js'
import { siteConfig } from '../support/site.js'

const configWith = (feeds = '', site: Parameters<typeof siteConfig>[1] = {}): Config =>
  parseConfig(siteConfig(feeds, site), '/tmp/site', {})
const at = (iso: string) => ({ iso, ms: Date.parse(iso) })

describe('planFeeds', () => {
  const posts = [
    makePost({ slug: 'one', date: at('2024-01-01T00:00:00Z'), tags: ['Docker', 'Контейнеры'], category: 'Ops' }),
    makePost({ slug: 'two', date: at('2024-02-01T00:00:00Z'), tags: ['docker'], category: '' }),
    makePost({ slug: 'three', date: at('2024-03-01T00:00:00Z'), tags: [], category: 'ops' }),
  ]

  it("plans the site feed, one per tag and one per category at Nikola's paths", () => {
    const plan = planFeeds(configWith(), posts)
    expect(plan.conflicts).toEqual([])
    expect(plan.feeds.map((feed) => [feed.scope.kind, feed.title, feed.homeUrl, feed.files.map((file) => file.path)])).toEqual([
      ['site', 'Test Blog', 'https://blog.example.org/', ['rss.xml', 'feed.atom', 'feed.json']],
      [
        'tag',
        'Test Blog (docker)',
        'https://blog.example.org/categories/docker/',
        ['categories/docker.xml', 'categories/docker.atom', 'categories/docker.json'],
      ],
      [
        'tag',
        'Test Blog (Контейнеры)',
        'https://blog.example.org/categories/konteinery/',
        ['categories/konteinery.xml', 'categories/konteinery.atom', 'categories/konteinery.json'],
      ],
      [
        'category',
        'Test Blog (ops)',
        'https://blog.example.org/categories/cat_ops/',
        ['categories/cat_ops.xml', 'categories/cat_ops.atom', 'categories/cat_ops.json'],
      ],
    ])
    expect(plan.feeds[0]!.files.map((file) => file.url)).toEqual([
      'https://blog.example.org/rss.xml',
      'https://blog.example.org/feed.atom',
      'https://blog.example.org/feed.json',
    ])
  })

  it('puts tags with the same slug in one feed, named after the newest post spelling, posts newest first', () => {
    const docker = planFeeds(configWith(), posts).feeds.find((feed) => feed.scope.kind === 'tag' && feed.scope.slug === 'docker')!
    expect(docker.scope).toEqual({ kind: 'tag', name: 'docker', slug: 'docker' })
    expect(docker.posts.map((post) => post.slug)).toEqual(['two', 'one'])
  })

  it('keeps the newest feeds.length posts, ties broken by file', () => {
    const same = at('2024-05-05T05:05:05Z')
    const many = [...posts, makePost({ slug: 'b-tie', date: same }), makePost({ slug: 'a-tie', date: same })]
    const site = planFeeds(configWith('feeds:\n  length: 3'), many).feeds[0]!
    expect(site.posts.map((post) => post.slug)).toEqual(['a-tie', 'b-tie', 'three'])
  })

  it('respects feeds.site / tags / categories / formats and custom paths', () => {
    const config = configWith(
      ['feeds:', '  site: false', '  categories: false', '  formats: [json, atom]', '  paths:', '    tag: "tags/{slug}/feed"'].join('\n'),
    )
    const plan = planFeeds(config, posts)
    expect(plan.feeds.map((feed) => feed.files.map((file) => file.path))).toEqual([
      ['tags/docker/feed.atom', 'tags/docker/feed.json'],
      ['tags/konteinery/feed.atom', 'tags/konteinery/feed.json'],
    ])
    expect(plan.feeds[0]!.homeUrl).toBe('https://blog.example.org/tags/docker/feed/')
  })

  it('encodes non-ASCII paths the way Nikola encodes links', () => {
    const plan = planFeeds(configWith('feeds:\n  paths:\n    rss: "лента.xml"\n  tags: false\n  categories: false'), posts)
    expect(plan.feeds[0]!.files[0]).toEqual({
      format: 'rss',
      path: 'лента.xml',
      url: 'https://blog.example.org/%D0%BB%D0%B5%D0%BD%D1%82%D0%B0.xml',
    })
  })

  it('titles keep the tag as written, markup and all (renderers escape it)', () => {
    const plan = planFeeds(configWith(), [makePost({ slug: 'x', tags: ['a<b & "c"'] })])
    expect(plan.feeds[1]!.title).toBe('Test Blog (a<b & "c")')
    expect(plan.feeds[1]!.files[0]!.path).toBe('categories/ab-c.xml')
  })

  it('reports a path two feeds would share and keeps the first', () => {
    // Tag and category patterns that coincide: the tag "ops" and the category "ops" want the same files.
    const tagged = [...posts, makePost({ slug: 'four', date: at('2024-04-01T00:00:00Z'), tags: ['ops'] })]
    const plan = planFeeds(configWith('feeds:\n  paths:\n    tag: "topics/{slug}"\n    category: "topics/{slug}"'), tagged)
    expect(plan.feeds.map((feed) => feed.title)).toEqual(['Test Blog', 'Test Blog (docker)', 'Test Blog (Контейнеры)', 'Test Blog (ops)'])
    expect(plan.conflicts).toContainEqual({ path: 'topics/ops.xml', kept: 'Test Blog (ops)', dropped: 'Test Blog (ops)' })
  })

  it('refuses tag and category path patterns without {slug}', () => {
    expect(() => configWith('feeds:\n  paths:\n    tag: "same"')).toThrow(/feeds\.paths\.tag: expected a path pattern containing \{slug\}/)
  })

  it('has only the site feed, empty, when nothing is live', () => {
    const plan = planFeeds(configWith(), [])
    expect(plan.feeds.map((feed) => [feed.scope.kind, feed.posts.length])).toEqual([['site', 0]])
  })
})
