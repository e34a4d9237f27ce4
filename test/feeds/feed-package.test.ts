import { Feed } from 'feed'
import { describe, expect, it } from 'vitest'
import { checkXml } from '../../src/feeds/check.js'
import { CdataSlots, feedAttribute, feedCdata, feedText, finishFeedXml } from '../../src/feeds/feed6.js'
import { child, elements, parseXml } from './support/xml.js'

// What `feed` 6.0 gets wrong on its own (DESIGN.md), measured here so that an upgrade that changes any of it
// shows up as a failing test next to the workaround that depends on it.
describe('the feed package, used naively', () => {
  const naive = (item: Partial<Parameters<Feed['addItem']>[0]> = {}) => {
    const feed = new Feed({
      title: 'Blog',
      id: 'https://blog.example.org/',
      link: 'https://blog.example.org/',
      updated: new Date(0),
      generator: false,
    })
    feed.addItem({ title: 'T', link: 'https://blog.example.org/p/', date: new Date('2014-07-13T11:23:14Z'), ...item })
    return feed
  }

  it('writes a malformed document for content with two ]]>', () => {
    expect(checkXml(naive({ content: 'a ]]> b ]]> c' }).atom1())).not.toBeNull()
    expect(checkXml(naive({ content: 'a ]]> b ]]> c' }).rss2())).not.toBeNull()
  })

  it('leaves < unescaped in a category attribute and control characters in text', () => {
    expect(checkXml(naive({ category: [{ term: 'a<b' }] }).atom1())?.message).toMatch(/disallowed character/)
    expect(checkXml(naive({ title: 'bell \u0007' }).rss2())?.message).toMatch(/disallowed character/)
  })

  it('un-escapes &amp; in text before escaping it (a literal "&amp;" is read back as "&")', () => {
    const feed = new Feed({ title: 'AT&amp;T', id: 'x', updated: new Date(0), generator: false })
    expect(child(parseXml(feed.atom1()), 'title').text).toBe('AT&T')
  })

  it('writes the RSS author as a bare name', () => {
    expect(naive({ author: [{ name: 'Peter' }] }).rss2()).toContain('<author>Peter</author>')
  })

  it('runs Atom ids through new URL(): non-URL ids throw, Unicode is re-encoded, hosts normalised', () => {
    expect(() => naive({ id: 'post-42' }).atom1()).toThrow(/Invalid URL/)
    expect(naive({ id: 'https://blog.example.org/posts/Ко/' }).atom1()).toContain('<id>https://blog.example.org/posts/%D0%9A%D0%BE/</id>')
    expect(naive({ id: 'https://Blog.Example.org:443/a/./b/' }).atom1()).toContain('<id>https://blog.example.org/a/b/</id>')
  })

  it('writes dates in UTC, not in the post offset, and RSS guids as isPermaLink="false" whenever an id is given', () => {
    const feed = naive({ id: 'https://blog.example.org/p/', published: new Date('2014-07-13T15:23:14+04:00') })
    expect(feed.atom1()).toContain('<published>2014-07-13T11:23:14.000Z</published>')
    expect(feed.rss2()).toContain('<guid isPermaLink="false">https://blog.example.org/p/</guid>')
  })

  it('guesses enclosure types from the path (image/jpg, or nonsense without an extension)', () => {
    expect(naive({ image: 'https://blog.example.org/a.jpg' }).rss2()).toContain('type="image/jpg"')
    expect(naive({ image: 'https://blog.example.org/picture' }).atom1()).toContain('type="image//picture"')
  })

  it('writes JSON Feed 1.0 only', () => {
    expect(JSON.parse(naive().json1()).version).toBe('https://jsonfeed.org/version/1')
  })
})

describe('the feed package, fed through feed6.ts', () => {
  it('gives well-formed output that reads back as the intended text', () => {
    const title = 'AT&amp;T <b> "q" ]]> \u0001 & done'
    const intended = 'AT&amp;T <b> "q" ]]>  & done'
    const feed = new Feed({ title: feedText(title), id: 'x', updated: new Date(0), generator: false })
    feed.addItem({
      title: feedCdata(title),
      link: 'https://blog.example.org/p/',
      date: new Date(0),
      content: feedCdata('one ]]> two ]]> three ]]]> four'),
      category: [{ term: feedAttribute('a<b & "c"\tz') }],
    })
    const xml = finishFeedXml(feed.atom1())
    expect(checkXml(xml)).toBeNull()
    const root = parseXml(xml)
    expect(child(root, 'title').text).toBe(intended)
    const entry = child(root, 'entry')
    expect(child(entry, 'title').text).toBe(intended)
    expect(child(entry, 'content').text).toBe('one ]]> two ]]> three ]]]> four')
    expect(elements(entry, 'category')[0]!.attributes.term).toBe('a<b & "c"\tz')
  })

  it('puts bodies kept out of feed back in, each ]]> split and forbidden characters gone', () => {
    const bodies = new CdataSlots()
    const body = '<p>one ]]> two ]]]]> three \u0004\u0001 \uFFFE</p>'
    const feed = new Feed({ title: 't', id: 'x', updated: new Date(0), generator: false })
    feed.addItem({
      title: 'a',
      link: 'https://blog.example.org/a/',
      date: new Date(0),
      content: bodies.slot(body),
      description: bodies.slot('<p>s</p>'),
    })
    feed.addItem({ title: 'b', link: 'https://blog.example.org/b/', date: new Date(0), content: bodies.slot(body) })
    const xml = bodies.fill(finishFeedXml(feed.atom1()))
    expect(checkXml(xml)).toBeNull()
    const entries = elements(parseXml(xml), 'entry')
    expect(entries.map((entry) => child(entry, 'content').text)).toEqual([
      '<p>one ]]> two ]]]]> three  </p>',
      '<p>one ]]> two ]]]]> three  </p>',
    ])
    expect(child(entries[0]!, 'summary').text).toBe('<p>s</p>')
  })

  it('refuses output in which a body placeholder went missing', () => {
    const bodies = new CdataSlots()
    bodies.slot('<p>a</p>')
    bodies.slot('<p>b</p>')
    expect(() => bodies.fill(`<a><![CDATA[${bodies.slot('<p>c</p>')}]]></a>`)).toThrow(/1 of 3 CDATA placeholders/)
  })

  it('refuses output that still holds a marker', () => {
    expect(() => finishFeedXml('<a>\u0003</a>')).toThrow(/marker/)
  })
})
