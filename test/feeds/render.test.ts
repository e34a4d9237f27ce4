import { parseFeed } from '@rowanmanning/feed-parser'
import { describe, expect, it } from 'vitest'
import { renderAtom } from '../../src/feeds/atom.js'
import { checkXml } from '../../src/feeds/check.js'
import { feedEntry } from '../../src/feeds/entry.js'
import { renderJsonFeed } from '../../src/feeds/jsonfeed.js'
import { renderRss } from '../../src/feeds/rss.js'
import type { FeedDocument } from '../../src/feeds/types.js'
import type { Post } from '../../src/posts/types.js'
import { makePost } from '../support/posts.js'
import { child, elements, fastXmlVerdict, parseXml, validateJsonFeed, type XmlElement } from './support/xml.js'

const at = (iso: string) => ({ iso, ms: Date.parse(iso) })

const FIXTURE_TAGS = [
  'virtualization',
  'containers',
  'clouds',
  'redhat',
  'libvirt',
  'systemd',
  'openshift',
  'geard',
  'docker',
  'hadoop',
  'yarn',
  'dockercon',
  'selinux',
  'google',
  'ibm',
  'rackspace',
  'atomic',
  'coreos',
  'etcd',
  'kubernetes',
  'microsoft',
  'mesosphere',
  'saltstack',
]
const FIXTURE_PERMALINK =
  'https://blog.example.org/posts/%D0%9A%D0%BE%D1%80%D0%BE%D1%82%D0%BA%D0%B8%D0%B5-%D0%BD%D0%BE%D0%B2%D0%BE%D1%81%D1%82%D0%B8-' +
  '%D0%BE-%D0%BA%D0%BE%D0%BD%D1%82%D0%B5%D0%B9%D0%BD%D0%B5%D1%80%D0%B0%D1%85-%D0%B8-' +
  '%D0%B2%D0%B8%D1%80%D1%82%D1%83%D0%B0%D0%BB%D0%B8%D0%B7%D0%B0%D1%86%D0%B8%D0%B8/'

const fixturePost = (overrides: Partial<Post> = {}) =>
  makePost({
    slug: 'Короткие-новости-о-контейнерах-и-виртуализации',
    title: 'Короткие новости о контейнерах и виртуализации',
    permalink: FIXTURE_PERMALINK,
    date: at('2014-07-13T15:23:14+04:00'),
    tags: FIXTURE_TAGS,
    author: 'Peter Lemenkov',
    html: '<p><strong>Это архивная статья</strong></p>\n<p>Инженер <a href="https://www.openhub.net/accounts/berrange">Daniel</a>.</p>',
    ...overrides,
  })

const documentFor = (posts: readonly Post[], overrides: Partial<FeedDocument> = {}, teasers = false): FeedDocument => ({
  title: 'Заметки о Fedora',
  description: 'Новости',
  language: 'ru',
  author: 'Peter Lemenkov',
  homeUrl: 'https://blog.example.org/',
  selfUrl: 'https://blog.example.org/feed',
  hubUrl: null,
  entries: posts.map((post) => feedEntry(post, { teasers, language: 'ru' })),
  ...overrides,
})

/** Renders all three formats and checks each the way a reader would: a strict parser, a lenient one, a feed reader, the schema. */
function renderAll(document: FeedDocument) {
  const atomXml = renderAtom({ ...document, selfUrl: 'https://blog.example.org/feed.atom' })
  const rssXml = renderRss({ ...document, selfUrl: 'https://blog.example.org/rss.xml' })
  const jsonText = renderJsonFeed({ ...document, selfUrl: 'https://blog.example.org/feed.json' })
  for (const xml of [atomXml, rssXml]) {
    expect(checkXml(xml)).toBeNull()
    expect(fastXmlVerdict(xml)).toBe(true)
    const read = parseFeed(xml)
    expect(read.items).toHaveLength(document.entries.length)
    expect(read.items.map((item) => item.url)).toEqual(document.entries.map((entry) => entry.link))
  }
  const json = JSON.parse(jsonText) as JsonFeed
  expect(validateJsonFeed(json)).toEqual([])
  const atom = parseXml(atomXml)
  const rss = child(parseXml(rssXml), 'channel')
  return { atomXml, rssXml, jsonText, atom, atomEntries: elements(atom, 'entry'), rss, rssItems: elements(rss, 'item'), json }
}

interface JsonFeed {
  version: string
  title: string
  home_page_url: string
  feed_url: string
  language: string
  hubs?: { type: string; url: string }[]
  items: Record<string, unknown>[]
}

const atomLink = (entry: XmlElement, rel: string) =>
  entry.children.filter((element) => element.name === 'link' && element.attributes.rel === rel)

describe('a post shaped like the fixture', () => {
  const { atomEntries, rssItems, json } = renderAll(documentFor([fixturePost()]))
  const [atomEntry] = atomEntries
  const [rssItem] = rssItems
  const [jsonItem] = json.items

  it('links to the Nikola-encoded permalink and uses it as the id', () => {
    expect(atomLink(atomEntry!, 'alternate')[0]!.attributes.href).toBe(FIXTURE_PERMALINK)
    expect(child(atomEntry!, 'id').text).toBe(FIXTURE_PERMALINK)
    expect(child(rssItem!, 'link').text).toBe(FIXTURE_PERMALINK)
    expect(child(rssItem!, 'guid').text).toBe(FIXTURE_PERMALINK)
    expect(child(rssItem!, 'guid').attributes.isPermaLink).toBe('true')
    expect(jsonItem).toMatchObject({ id: FIXTURE_PERMALINK, url: FIXTURE_PERMALINK })
  })

  it('dates the entry in the post offset (Atom, JSON) and in GMT (RSS)', () => {
    expect(child(atomEntry!, 'published').text).toBe('2014-07-13T15:23:14+04:00')
    expect(child(atomEntry!, 'updated').text).toBe('2014-07-13T15:23:14+04:00')
    expect(child(rssItem!, 'pubDate').text).toBe('Sun, 13 Jul 2014 11:23:14 GMT')
    expect(jsonItem).toMatchObject({ date_published: '2014-07-13T15:23:14+04:00', date_modified: '2014-07-13T15:23:14+04:00' })
  })

  it('lists all 23 tags once each', () => {
    expect(elements(atomEntry!, 'category').map((category) => category.attributes.term)).toEqual(FIXTURE_TAGS)
    expect(elements(rssItem!, 'category').map((category) => category.text)).toEqual(FIXTURE_TAGS)
    expect(jsonItem!.tags).toEqual(FIXTURE_TAGS)
    expect(FIXTURE_TAGS.filter((tag) => tag === 'google')).toHaveLength(1)
  })

  it('names the author as dc:creator in RSS (never in <author>), <author><name> in Atom and authors in JSON', () => {
    expect(child(rssItem!, 'dc:creator').text).toBe('Peter Lemenkov')
    expect(elements(rssItem!, 'author')).toEqual([])
    expect(child(child(atomEntry!, 'author'), 'name').text).toBe('Peter Lemenkov')
    expect(jsonItem!.authors).toEqual([{ name: 'Peter Lemenkov' }])
  })

  it('carries the full post as content and the first paragraph as summary', () => {
    const html = fixturePost().html
    expect(child(atomEntry!, 'content').text).toBe(html)
    expect(child(atomEntry!, 'content').attributes.type).toBe('html')
    expect(child(rssItem!, 'content:encoded').text).toBe(html)
    expect(child(rssItem!, 'description').text).toBe('<p><strong>Это архивная статья</strong></p>')
    expect(jsonItem).toMatchObject({ content_html: html, summary: 'Это архивная статья' })
  })
})

describe('entry ids', () => {
  it('use the guid metadata as written when set, with isPermaLink="false"', () => {
    for (const guid of [
      'post-42',
      'urn:uuid:8f0c2b7e-6a55-4a43-9d2c-3f5a1c2e9b10',
      'https://old.example.org/?p=42&x=1',
      'https://blog.example.org/posts/Короткие/',
    ]) {
      const { atomEntries, rssItems, json } = renderAll(documentFor([makePost({ slug: 'guided', guid })]))
      expect(child(atomEntries[0]!, 'id').text).toBe(guid)
      expect(child(rssItems[0]!, 'guid').text).toBe(guid)
      expect(child(rssItems[0]!, 'guid').attributes.isPermaLink).toBe('false')
      expect(json.items[0]!.id).toBe(guid)
      expect(child(rssItems[0]!, 'link').text).toBe('https://blog.example.org/posts/guided/')
    }
  })

  it('use the permalink with isPermaLink="true" when there is no guid', () => {
    const { rssItems } = renderAll(documentFor([makePost({ slug: 'plain' })]))
    expect(child(rssItems[0]!, 'guid').text).toBe('https://blog.example.org/posts/plain/')
    expect(child(rssItems[0]!, 'guid').attributes.isPermaLink).toBe('true')
  })
})

describe('hostile content', () => {
  const title = 'Tom & "Jerry" <script>alert(1)</script> \u0001 it\'s ]]> done'
  const tags = ['C&A', 'a<b', '"quoted"', 'bell\u0007', "it's > it"]
  const html = '<p>one ]]> two ]]> three \u0001\u000b four &amp; <b>five</b></p>'
  const post = makePost({ slug: 'hostile', title, tags, html, teaserHtml: '<p>tease ]]> me\u0002</p>', description: 'Desc & <more>\u0003' })
  const document = documentFor([post], { title: 'Blog "B" & <Co> \u0001', description: 'About <x> & "y"' })
  const { atom, atomEntries, rss, rssItems, json } = renderAll(document)
  const cleanTitle = 'Tom & "Jerry" <script>alert(1)</script>  it\'s ]]> done'
  const cleanTags = ['C&A', 'a<b', '"quoted"', 'bell', "it's > it"]
  const cleanHtml = '<p>one ]]> two ]]> three  four &amp; <b>five</b></p>'

  it('reads back as the intended text, minus the characters XML forbids', () => {
    expect(child(atom, 'title').text).toBe('Blog "B" & <Co> ')
    expect(child(rss, 'title').text).toBe('Blog "B" & <Co> ')
    expect(child(rss, 'description').text).toBe('About <x> & "y"')
    expect(json.title).toBe('Blog "B" & <Co> ')

    expect(child(atomEntries[0]!, 'title').text).toBe(cleanTitle)
    expect(child(rssItems[0]!, 'title').text).toBe(cleanTitle)
    expect(json.items[0]!.title).toBe(cleanTitle)

    expect(child(atomEntries[0]!, 'content').text).toBe(cleanHtml)
    expect(child(rssItems[0]!, 'content:encoded').text).toBe(cleanHtml)
    expect(json.items[0]!.content_html).toBe(cleanHtml)
    expect(child(atomEntries[0]!, 'summary').text).toBe('<p>tease ]]> me</p>')
    expect(child(rssItems[0]!, 'description').text).toBe('<p>tease ]]> me</p>')
    expect(json.items[0]!.summary).toBe('Desc & <more>')

    expect(elements(atomEntries[0]!, 'category').map((category) => category.attributes.term)).toEqual(cleanTags)
    expect(elements(rssItems[0]!, 'category').map((category) => category.text)).toEqual(cleanTags)
    expect(json.items[0]!.tags).toEqual(cleanTags)
  })

  it('declares the Atom title as text, so markup in it is not read as HTML', () => {
    expect(child(atomEntries[0]!, 'title').attributes.type).toBeUndefined()
  })
})

describe('content modes', () => {
  const teased = makePost({
    slug: 'teased',
    html: '<p>Intro.</p>\n<p>Rest of it.</p>',
    teaserHtml: '<p>Intro.</p>',
    readMoreLabel: 'Читать далее…',
  })
  const described = makePost({ slug: 'described', html: '<p>First.</p><p>Second.</p>', description: 'A description.' })
  const plain = makePost({ slug: 'plain', html: '<h2>Title</h2><p>First &amp; only.</p><p>Second.</p>' })

  it('full posts by default, with the teaser (or description, or first paragraph) as summary', () => {
    const { atomEntries, rssItems, json } = renderAll(documentFor([teased, described, plain]))
    expect(rssItems.map((item) => child(item, 'content:encoded').text)).toEqual([teased.html, described.html, plain.html])
    expect(rssItems.map((item) => child(item, 'description').text)).toEqual([
      '<p>Intro.</p>',
      '<p>A description.</p>',
      '<p>First &amp; only.</p>',
    ])
    expect(atomEntries.map((entry) => child(entry, 'summary').text)).toEqual([
      '<p>Intro.</p>',
      '<p>A description.</p>',
      '<p>First &amp; only.</p>',
    ])
    expect(json.items.map((item) => item.summary)).toEqual(['Intro.', 'A description.', 'First & only.'])
  })

  it('teasers: the teaser followed by a read-more link to the permalink', () => {
    const { atomEntries, rssItems, json } = renderAll(documentFor([teased, plain], {}, true))
    const teaser = '<p>Intro.</p>\n<p><a href="https://blog.example.org/posts/teased/">Читать далее…</a></p>'
    expect(child(atomEntries[0]!, 'content').text).toBe(teaser)
    expect(child(rssItems[0]!, 'content:encoded').text).toBe(teaser)
    expect(child(rssItems[0]!, 'description').text).toBe('<p>Intro.</p>')
    expect(json.items[0]!.content_html).toBe(teaser)
    expect(json.items[1]!.content_html).toBe(
      '<p>First &amp; only.</p>\n<p><a href="https://blog.example.org/posts/plain/">Read more…</a></p>',
    )
    expect(JSON.stringify(json)).not.toContain('Rest of it.')
  })
})

describe('enclosures, external links and hubs', () => {
  it('previewimage becomes an RSS enclosure (length 0, type from the extension), an Atom enclosure link and the JSON image', () => {
    const post = makePost({ slug: 'pictured', previewImage: 'https://blog.example.org/images/%D0%BA.JPG' })
    const { atomEntries, rssItems, json } = renderAll(documentFor([post]))
    expect(child(rssItems[0]!, 'enclosure').attributes).toEqual({
      url: 'https://blog.example.org/images/%D0%BA.JPG',
      length: '0',
      type: 'image/jpeg',
    })
    expect(atomLink(atomEntries[0]!, 'enclosure')[0]!.attributes).toMatchObject({
      href: 'https://blog.example.org/images/%D0%BA.JPG',
      type: 'image/jpeg',
    })
    expect(json.items[0]!.image).toBe('https://blog.example.org/images/%D0%BA.JPG')
  })

  it('a preview image without a known extension is typed application/octet-stream', () => {
    const { rssItems } = renderAll(documentFor([makePost({ slug: 'odd', previewImage: 'https://blog.example.org/picture' })]))
    expect(child(rssItems[0]!, 'enclosure').attributes.type).toBe('application/octet-stream')
  })

  it("Nikola's link metadata becomes JSON external_url and an Atom related link; the entry link stays the permalink", () => {
    const { atomEntries, rssItems, json } = renderAll(documentFor([makePost({ slug: 'linked', link: 'https://example.com/Статья' })]))
    expect(json.items[0]!.external_url).toBe('https://example.com/%D0%A1%D1%82%D0%B0%D1%82%D1%8C%D1%8F')
    expect(atomLink(atomEntries[0]!, 'related')[0]!.attributes.href).toBe('https://example.com/%D0%A1%D1%82%D0%B0%D1%82%D1%8C%D1%8F')
    expect(child(rssItems[0]!, 'link').text).toBe('https://blog.example.org/posts/linked/')
  })

  it('self, alternate and hub links when a hub is configured', () => {
    const { atom, rss, json } = renderAll(documentFor([makePost({ slug: 'a' })], { hubUrl: 'https://hub.example.com/publish?x=1&y=2' }))
    const links = (rel: string) => atomLink(atom, rel).map((link) => link.attributes.href)
    expect(links('self')).toEqual(['https://blog.example.org/feed.atom'])
    expect(links('alternate')).toEqual(['https://blog.example.org/'])
    expect(links('hub')).toEqual(['https://hub.example.com/publish?x=1&y=2'])
    const rssLinks = elements(rss, 'atom:link').map((link) => [link.attributes.rel, link.attributes.href])
    expect(rssLinks).toEqual([
      ['self', 'https://blog.example.org/rss.xml'],
      ['hub', 'https://hub.example.com/publish?x=1&y=2'],
    ])
    expect(child(rss, 'link').text).toBe('https://blog.example.org/')
    expect(json).toMatchObject({
      feed_url: 'https://blog.example.org/feed.json',
      home_page_url: 'https://blog.example.org/',
      hubs: [{ type: 'WebSub', url: 'https://hub.example.com/publish?x=1&y=2' }],
    })
  })

  it('no hub links without a hub', () => {
    const { atomXml, rssXml, json } = renderAll(documentFor([makePost({ slug: 'a' })]))
    expect(atomXml).not.toContain('rel="hub"')
    expect(rssXml).not.toContain('rel="hub"')
    expect(json.hubs).toBeUndefined()
  })
})

describe('determinism', () => {
  const older = makePost({ slug: 'older', date: at('2024-01-01T10:00:00+03:00'), updated: at('2024-03-05T12:00:00-05:00') })
  const newer = makePost({ slug: 'newer', date: at('2024-02-01T10:00:00+01:00') })

  it('the same input gives the same bytes', () => {
    const document = documentFor([newer, older])
    expect(renderAtom(document)).toBe(renderAtom(documentFor([newer, older])))
    expect(renderRss(document)).toBe(renderRss(documentFor([newer, older])))
    expect(renderJsonFeed(document)).toBe(renderJsonFeed(documentFor([newer, older])))
  })

  it('feed-level updated is the newest entry update (in its own offset), never the build time', () => {
    const { atom, rss } = renderAll(documentFor([newer, older]))
    expect(child(atom, 'updated').text).toBe('2024-03-05T12:00:00-05:00')
    expect(child(rss, 'lastBuildDate').text).toBe('Tue, 05 Mar 2024 17:00:00 GMT')
    expect(child(atom, 'generator').text).toBe('Herald')
  })

  it('an empty feed is well-formed and dated at the epoch', () => {
    const { atom, rss, json } = renderAll(documentFor([]))
    expect(child(atom, 'updated').text).toBe('1970-01-01T00:00:00Z')
    expect(child(rss, 'lastBuildDate').text).toBe('Thu, 01 Jan 1970 00:00:00 GMT')
    expect(json.items).toEqual([])
  })

  it('an entry with an empty body still declares the dc: namespace its creator needs', () => {
    const { rssItems } = renderAll(documentFor([makePost({ slug: 'empty', html: '' })]))
    expect(child(rssItems[0]!, 'dc:creator').text).toBe('Site Author')
  })
})
