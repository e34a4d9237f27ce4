import type { Config } from '../config.js'
import { escapeHtml as esc } from '../html.js'
import { formatPostDate, messagesFor } from '../i18n/messages.js'
import { renderSitePage } from './layout.js'

/** One edition in the web archive. */
export interface ArchiveEntry {
  readonly editionId: string
  /** When the edition was made (claimed). */
  readonly date: Date
  /** The digest's subject line. */
  readonly subject: string
  /** Absolute URL of the edition's page. */
  readonly url: string
  readonly posts: ReadonlyArray<{ readonly title: string; readonly url: string }>
}

/** Where the archive's index and Atom feed are, relative to the output folder. */
export function archiveFiles(config: Config): { index: string; feed: string } {
  return { index: `${config.archive.path}/index.html`, feed: `${config.archive.path}/feed.atom` }
}

/** The archive's index page: every edition, newest first, with its posts. */
export function archiveIndex(config: Config, entries: readonly ArchiveEntry[]): string {
  const words = messagesFor(config.site.language)
  const { index, feed } = archiveFiles(config)
  const items = [...entries]
    .sort((a, b) => b.date.getTime() - a.date.getTime())
    .map(
      (entry) =>
        `<li><a href="${esc(entry.url)}">${esc(entry.subject)}</a>` +
        `<p class="meta"><time datetime="${esc(entry.date.toISOString())}">${esc(dateOf(config, entry.date))}</time> · ` +
        `${esc(words.postCount(entry.posts.length))}</p></li>`,
    )
  return renderSitePage(config, {
    title: words.archiveTitle,
    canonical: config.site.url + index,
    alternates: [{ href: config.site.url + feed, type: 'application/atom+xml', label: words.archiveTitle }],
    body:
      `<h1>${esc(words.archiveTitle)}</h1>\n<p>${esc(words.archiveLead.replace('{site}', config.site.title))}</p>\n` +
      `<ul class="entries">\n${items.join('\n')}\n</ul>`,
  })
}

/** The archive's Atom feed: the newest `config.feeds.length` editions, each linking to its page and listing its posts. */
export function archiveFeed(config: Config, entries: readonly ArchiveEntry[]): string {
  const words = messagesFor(config.site.language)
  const { index, feed } = archiveFiles(config)
  const newest = [...entries].sort((a, b) => b.date.getTime() - a.date.getTime()).slice(0, config.feeds.length)
  const updated = (newest[0]?.date ?? new Date(0)).toISOString()
  const items = newest.map((entry) => {
    const list = `<ul>${entry.posts.map((post) => `<li><a href="${esc(post.url)}">${esc(post.title)}</a></li>`).join('')}</ul>`
    return `  <entry>
    <title>${esc(entry.subject)}</title>
    <id>${esc(entry.url)}</id>
    <link rel="alternate" type="text/html" href="${esc(entry.url)}"/>
    <published>${entry.date.toISOString()}</published>
    <updated>${entry.date.toISOString()}</updated>
    <content type="html">${esc(list)}</content>
  </entry>`
  })
  return `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="${esc(config.site.language)}">
  <title>${esc(`${config.site.title}: ${words.archiveTitle}`)}</title>
  <id>${esc(config.site.url + index)}</id>
  <link rel="self" type="application/atom+xml" href="${esc(config.site.url + feed)}"/>
  <link rel="alternate" type="text/html" href="${esc(config.site.url + index)}"/>
  <updated>${updated}</updated>
  <author><name>${esc(config.site.author || config.site.title)}</name></author>
${items.join('\n')}
</feed>
`
}

function dateOf(config: Config, date: Date): string {
  return formatPostDate(date.toISOString(), config.site.language, config.site.timezone)
}
