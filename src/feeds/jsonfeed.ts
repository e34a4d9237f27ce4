import { stripForbiddenXmlChars } from './sanitize.js'
import type { FeedDocument, FeedEntry } from './types.js'

/** The `version` of the documents {@link renderJsonFeed} writes. */
export const JSON_FEED_VERSION = 'https://jsonfeed.org/version/1.1'

/**
 * Renders a JSON Feed 1.1 document. Written directly: `feed` 6 only writes version 1.0 (single `author`,
 * no `language`, dates in UTC). Keys are in a fixed order and dates keep each post's own offset, so the
 * same input always gives the same bytes.
 */
export function renderJsonFeed(document: FeedDocument): string {
  const text = stripForbiddenXmlChars
  const feed: Record<string, unknown> = {
    version: JSON_FEED_VERSION,
    title: text(document.title),
    home_page_url: document.homeUrl,
    feed_url: document.selfUrl,
  }
  if (document.description.trim()) feed.description = text(document.description)
  feed.language = document.language
  if (document.author) feed.authors = [{ name: text(document.author) }]
  if (document.hubUrl) feed.hubs = [{ type: 'WebSub', url: document.hubUrl }]
  feed.items = document.entries.map(jsonItem)
  return `${JSON.stringify(feed, null, 2)}\n`
}

function jsonItem(entry: FeedEntry): Record<string, unknown> {
  const text = stripForbiddenXmlChars
  const item: Record<string, unknown> = { id: text(entry.id), url: text(entry.link) }
  if (entry.externalUrl) item.external_url = text(entry.externalUrl)
  item.title = text(entry.title)
  item.content_html = text(entry.contentHtml)
  if (entry.summaryText) item.summary = text(entry.summaryText)
  if (entry.image) item.image = text(entry.image.url)
  item.date_published = entry.published.iso
  item.date_modified = entry.updated.iso
  if (entry.tags.length > 0) item.tags = [...new Set(entry.tags.map(text))]
  if (entry.author) item.authors = [{ name: text(entry.author) }]
  return item
}
