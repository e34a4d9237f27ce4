import { type Extension, Feed } from 'feed'
import { newestUpdate } from './entry.js'
import { CdataSlots, feedCdata, feedText, finishFeedXml } from './feed6.js'
import type { FeedDocument, FeedEntry } from './types.js'

// `feed` runs item links through `new URL()`; it only sees this, the real link is an item extension.
const PLACEHOLDER_URL = 'urn:herald:placeholder'

/**
 * Renders an RSS 2.0 document with `feed`. Item extensions (which `feed` assigns after its own fields) replace
 * what it gets wrong: `guid` (it says `isPermaLink="false"` whenever an id is given), `link` (it would go
 * through `new URL()`), and the author (it writes a bare name in `<author>`, which RSS reserves for an email
 * address; Herald writes `dc:creator`). `pubDate` and `lastBuildDate` are RFC 822 in GMT, as `feed` writes them.
 */
export function renderRss(document: FeedDocument): string {
  const feed = new Feed({
    title: feedText(document.title),
    description: feedText(document.description),
    link: document.homeUrl,
    updated: new Date(newestUpdate(document.entries).ms),
    generator: 'Herald',
    language: feedText(document.language),
    feedLinks: { rss: document.selfUrl },
    ...(document.hubUrl ? { hub: document.hubUrl } : {}),
  })
  const bodies = new CdataSlots()
  for (const entry of document.entries) {
    feed.addItem({
      title: feedCdata(entry.title),
      link: PLACEHOLDER_URL,
      date: new Date(entry.published.ms),
      ...(entry.summaryHtml ? { description: bodies.slot(entry.summaryHtml) } : {}),
      // `feed` declares the dc: and content: namespaces only for items with content, and dc:creator needs one.
      content: entry.contentHtml ? bodies.slot(entry.contentHtml) : ' ',
      category: entry.tags.map((tag) => ({ name: feedText(tag) })),
      ...(entry.image ? { enclosure: { url: entry.image.url, type: entry.image.type, length: 0 } } : {}),
      extensions: itemExtensions(entry),
    })
  }
  return `${bodies.fill(finishFeedXml(feed.rss2()))}\n`
}

function itemExtensions(entry: FeedEntry): Extension[] {
  const extensions: Extension[] = [
    { name: 'link', objects: { _text: feedText(entry.link) } },
    { name: 'guid', objects: { _attributes: { isPermaLink: String(entry.idIsPermalink) }, _text: feedText(entry.id) } },
  ]
  if (entry.author) extensions.push({ name: 'dc:creator', objects: { _text: feedText(entry.author) } })
  return extensions
}
