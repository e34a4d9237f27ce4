import { compile } from 'html-to-text'
import { messagesFor } from '../i18n/messages.js'
import type { PostDate } from '../posts/dates.js'
import { encodeLink } from '../posts/urls.js'
import type { EntryInput } from './manifest.js'
import { escapeHtml, stripForbiddenXmlChars } from './sanitize.js'
import type { FeedEntry } from './types.js'

/** Options for {@link feedEntry}. */
export interface FeedEntryOptions {
  /** Teaser-only content with a read-more link (`feeds.teasers`). */
  readonly teasers: boolean
  /** Site language, for the read-more label when a post has none of its own. */
  readonly language: string
}

/**
 * What the feeds say about `post`. Every string has the characters XML forbids removed, so all three
 * formats carry the same text. Pure; meant to be called once per post and reused in every feed the post is in.
 */
export function feedEntry(post: EntryInput, options: FeedEntryOptions): FeedEntry {
  const clean = stripForbiddenXmlChars
  const description = presentOrNull(post.description)
  const summaryHtml = clean(teaserOf(post, description))
  const contentHtml = options.teasers
    ? `${summaryHtml}\n${readMoreLink(post.permalink, clean(post.readMoreLabel) || messagesFor(options.language).readMore)}`
    : clean(post.html)
  return {
    id: clean(post.feedId),
    idIsPermalink: post.feedId === post.permalink,
    link: clean(post.permalink),
    externalUrl: externalUrl(post.link),
    title: clean(post.title),
    author: clean(post.author).trim(),
    published: post.date,
    updated: post.updated,
    tags: uniqueTags(post.tags),
    contentHtml,
    summaryHtml,
    summaryText: description === null ? plainText(summaryHtml) : clean(description).replace(/\s+/g, ' ').trim(),
    image:
      post.previewImage && URL.canParse(post.previewImage) ? { url: clean(post.previewImage), type: imageType(post.previewImage) } : null,
  }
}

/** Feed-level `updated` of an empty feed: a fixed instant, because the build time would change the bytes on every build. */
export const EMPTY_FEED_UPDATED: PostDate = { iso: '1970-01-01T00:00:00Z', ms: 0 }

/** The latest `updated` among the entries (the first such entry on a tie), or {@link EMPTY_FEED_UPDATED}. */
export function newestUpdate(entries: readonly FeedEntry[]): PostDate {
  let newest: PostDate | null = null
  for (const entry of entries) if (newest === null || entry.updated.ms > newest.ms) newest = entry.updated
  return newest ?? EMPTY_FEED_UPDATED
}

/** `<p><a href="…">label</a></p>` after a teaser. */
export function readMoreLink(permalink: string, label: string): string {
  return `<p><a href="${escapeHtml(permalink)}">${escapeHtml(label)}</a></p>`
}

const IMAGE_TYPES: Record<string, string> = {
  avif: 'image/avif',
  bmp: 'image/bmp',
  gif: 'image/gif',
  ico: 'image/vnd.microsoft.icon',
  jpe: 'image/jpeg',
  jpeg: 'image/jpeg',
  jpg: 'image/jpeg',
  jxl: 'image/jxl',
  png: 'image/png',
  svg: 'image/svg+xml',
  tif: 'image/tiff',
  tiff: 'image/tiff',
  webp: 'image/webp',
}

/** MIME type of an image from its URL's extension; `application/octet-stream` when the extension says nothing. */
export function imageType(url: string): string {
  let pathname = url
  try {
    pathname = new URL(url).pathname
  } catch {
    // Not a URL: guess from the text as written.
  }
  const extension = /\.([a-z0-9]+)$/i.exec(pathname)?.[1]?.toLowerCase()
  return (extension && IMAGE_TYPES[extension]) ?? 'application/octet-stream'
}

/** Nikola's `link` metadata, percent-encoded like permalinks; null when unset or not an absolute URL. */
function externalUrl(link: string | null): string | null {
  const trimmed = link === null ? '' : stripForbiddenXmlChars(link).trim()
  return trimmed !== '' && URL.canParse(trimmed) ? encodeLink(trimmed) : null
}

function presentOrNull(value: string | null): string | null {
  return value === null || value.trim() === '' ? null : value
}

function teaserOf(post: EntryInput, description: string | null): string {
  if (post.teaserHtml !== null && post.teaserHtml.trim() !== '') return post.teaserHtml
  if (description !== null) return `<p>${escapeHtml(description.trim())}</p>`
  return /<p\b[^>]*>[\s\S]*?<\/p>/i.exec(post.html)?.[0] ?? post.html
}

function uniqueTags(tags: readonly string[]): string[] {
  const seen = new Set<string>()
  for (const tag of tags) {
    const clean = stripForbiddenXmlChars(tag).trim()
    if (clean !== '') seen.add(clean)
  }
  return [...seen]
}

const HEADINGS = ['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].map((selector) => ({ selector, options: { uppercase: false } }))

let toText: ((html: string) => string) | undefined

/** Text of an HTML fragment on one line: no link targets, no images, entities decoded. */
export function plainText(html: string): string {
  // Compiled once: compiling the options costs more than converting a post.
  toText ??= compile({
    wordwrap: false,
    selectors: [
      { selector: 'a', options: { ignoreHref: true } },
      { selector: 'img', format: 'skip' },
      { selector: 'ul', options: { itemPrefix: '' } },
      ...HEADINGS,
    ],
  })
  return toText(html).replace(/\s+/g, ' ').trim()
}
