import { Feed } from 'feed'
import { newestUpdate } from './entry.js'
import { CdataSlots, entryPlaceholder, feedAttribute, feedText, finishFeedXml, replaceEntryPlaceholders, replaceOnce } from './feed6.js'
import { escapeXmlAttribute, escapeXmlText } from './sanitize.js'
import type { FeedDocument, FeedEntry } from './types.js'

// `feed` runs entry ids and links through `new URL()`; it only sees this, the real ones are written by Herald.
const PLACEHOLDER_URL = 'urn:herald:placeholder'

/**
 * Renders an Atom 1.0 document. `feed` writes the document, summaries, content, authors and categories;
 * Herald writes each entry's title, id, links and dates itself, because `feed` 6 declares titles as HTML,
 * puts ids through `new URL()` (a `post-42` guid throws, a Cyrillic one is re-encoded), writes dates in UTC
 * instead of the post's own offset, and guesses enclosure types from the path (`image/jpg`).
 */
export function renderAtom(document: FeedDocument): string {
  const updated = newestUpdate(document.entries)
  const feed = new Feed({
    id: feedText(document.selfUrl),
    title: feedText(document.title),
    updated: new Date(updated.ms),
    generator: 'Herald',
    link: document.homeUrl,
    feedLinks: { atom: document.selfUrl },
    ...(document.hubUrl ? { hub: document.hubUrl } : {}),
    ...(document.description.trim() ? { description: feedText(document.description) } : {}),
    // Atom wants an author for every entry; one at the feed level covers posts that have none.
    author: { name: feedText(document.author || document.title) },
  })
  const bodies = new CdataSlots()
  document.entries.forEach((entry, index) => {
    feed.addItem({
      title: entryPlaceholder(index),
      id: PLACEHOLDER_URL,
      link: PLACEHOLDER_URL,
      date: new Date(entry.updated.ms),
      ...(entry.summaryHtml ? { description: bodies.slot(entry.summaryHtml) } : {}),
      ...(entry.contentHtml ? { content: bodies.slot(entry.contentHtml) } : {}),
      ...(entry.author ? { author: [{ name: feedText(entry.author) }] } : {}),
      category: entry.tags.map((tag) => ({ term: feedAttribute(tag) })),
    })
  })

  let xml = feed.atom1()
  xml = replaceOnce(
    xml,
    /<feed xmlns="http:\/\/www\.w3\.org\/2005\/Atom">/,
    () => `<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="${escapeXmlAttribute(document.language)}">`,
    'the <feed> start tag',
  )
  // The feed-level <updated> is the third child of <feed>; `feed` writes it in UTC, Herald in the entry's own offset.
  xml = replaceOnce(
    xml,
    /(<feed[^>]*>\s*<id>[^<]*<\/id>\s*<title>[^<]*<\/title>\s*<updated>)[^<]*(<\/updated>)/,
    (_whole, head, tail) => `${head}${updated.iso}${tail}`,
    'the feed <updated>',
  )
  xml = replaceEntryPlaceholders(xml, {
    tag: 'title',
    follows: `\\s*<id>[^<]*</id>\\s*<link href="${PLACEHOLDER_URL}"/>\\s*<updated>[^<]*</updated>`,
    expected: document.entries.length,
    write: (index, indent) => entryHead(document.entries[index]!, indent),
  })
  return `${bodies.fill(finishFeedXml(xml))}\n`
}

function entryHead(entry: FeedEntry, indent: string): string {
  const lines = [
    `<title>${escapeXmlText(entry.title)}</title>`,
    `<id>${escapeXmlText(entry.id)}</id>`,
    `<link rel="alternate" type="text/html" href="${escapeXmlAttribute(entry.link)}"/>`,
  ]
  if (entry.externalUrl) lines.push(`<link rel="related" href="${escapeXmlAttribute(entry.externalUrl)}"/>`)
  if (entry.image)
    lines.push(`<link rel="enclosure" type="${escapeXmlAttribute(entry.image.type)}" href="${escapeXmlAttribute(entry.image.url)}"/>`)
  lines.push(`<published>${escapeXmlText(entry.published.iso)}</published>`, `<updated>${escapeXmlText(entry.updated.iso)}</updated>`)
  return lines.join(`\n${indent}`)
}
