import type { Config } from '../config.js'
import { escapeHtml as esc } from '../html.js'
import { formatPostDate, messagesFor } from '../i18n/messages.js'
import type { Post } from '../posts/types.js'
import { renderSitePage } from './layout.js'
import { type PageFile, pageFileFor } from './write.js'

/**
 * The pages of a site without Nikola (`site.pages: true`): one page per live post at its permalink, and the index
 * of posts at the site's root, newest first. Posts whose permalink is outside `site.url` get no page.
 */
export function postPages(config: Config, posts: readonly Post[]): PageFile[] {
  const ordered = [...posts].sort((a, b) => b.date.ms - a.date.ms || (a.file < b.file ? -1 : 1))
  const pages: PageFile[] = []
  ordered.forEach((post, index) => {
    const file = pageFileFor(config.site.url, post.permalink)
    if (file) pages.push({ path: file, html: postPage(config, post, ordered[index + 1] ?? null, ordered[index - 1] ?? null) })
  })
  pages.push({ path: 'index.html', html: postIndex(config, ordered) })
  return pages
}

function postPage(config: Config, post: Post, older: Post | null, newer: Post | null): string {
  const { language, timezone } = config.site
  const tags = post.tags.length ? ` · ${post.tags.map((tag) => esc(tag)).join(', ')}` : ''
  const author = post.author ? ` · ${esc(post.author)}` : ''
  const pager = [
    newer ? `<a href="${esc(newer.permalink)}" rel="next">← ${esc(newer.title)}</a>` : '',
    older ? `<a href="${esc(older.permalink)}" rel="prev">${esc(older.title)} →</a>` : '',
  ].filter(Boolean)
  return renderSitePage(config, {
    title: post.title,
    description: post.description,
    canonical: post.permalink,
    body: `<article>
<h1>${esc(post.title)}</h1>
<p class="meta"><time datetime="${esc(post.date.iso)}">${esc(formatPostDate(post.date.iso, language, timezone))}</time>${author}${tags}</p>
${post.html}
</article>
${pager.length ? `<nav class="pager" aria-label="${esc(messagesFor(language).postsTitle)}">${pager.join(' · ')}</nav>` : ''}`,
  })
}

function postIndex(config: Config, posts: readonly Post[]): string {
  const { language, timezone } = config.site
  const words = messagesFor(language)
  const items = posts.map(
    (post) =>
      `<li><a href="${esc(post.permalink)}">${esc(post.title)}</a>` +
      `<p class="meta"><time datetime="${esc(post.date.iso)}">${esc(formatPostDate(post.date.iso, language, timezone))}</time></p>` +
      `${post.description ? `<p>${esc(post.description)}</p>` : ''}</li>`,
  )
  return renderSitePage(config, {
    title: config.site.title,
    canonical: config.site.url,
    body: `<h1>${esc(words.postsTitle)}</h1>\n<ul class="entries">\n${items.join('\n')}\n</ul>`,
  })
}
