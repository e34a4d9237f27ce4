import type { Config } from '../config.js'
import { escapeHtml as esc } from '../html.js'
import { type Messages, messagesFor } from '../i18n/messages.js'

/** Marks a page as Herald's: a page without it is never overwritten (another tool, or a person, made it). */
export const GENERATOR_MARK = '<meta name="generator" content="Herald">'

const FEED_TYPES = {
  rss: { type: 'application/rss+xml', label: 'RSS' },
  atom: { type: 'application/atom+xml', label: 'Atom' },
  json: { type: 'application/feed+json', label: 'JSON Feed' },
} as const

/** The site's feeds as absolute URLs with their media types and labels (empty when the site feeds are off). */
export function siteFeeds(config: Config): Array<{ href: string; type: string; label: string }> {
  if (!config.feeds.site) return []
  return config.feeds.formats.map((format) => ({ href: config.site.url + config.feeds.paths[format], ...FEED_TYPES[format] }))
}

/** A page of the static site Herald writes (post pages, the post index, the email archive). */
export interface SitePage {
  readonly title: string
  /** Trusted markup for `<main>`. */
  readonly body: string
  readonly description?: string | null
  /** Absolute URL of the page itself. */
  readonly canonical?: string
  /** Extra `<link rel="alternate">` feeds (the archive's own Atom feed). */
  readonly alternates?: ReadonlyArray<{ href: string; type: string; label: string }>
}

const STYLE = `
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font:18px/1.6 system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:#1f2328;background:#fff}
a{color:#0550ae}
a:focus-visible{outline:3px solid #0969da;outline-offset:2px}
.wrap{max-width:42rem;margin:0 auto;padding:0 1rem}
header.site{border-bottom:1px solid #d0d7de;padding:.8rem 0}
header.site a{color:#1f2328;font-weight:700;font-size:1.2rem;text-decoration:none}
main{padding:1.2rem 0 2rem}
h1{font-size:1.7rem;line-height:1.25;margin:.4rem 0 .6rem}
.meta{color:#57606a;font-size:.95rem;margin:0 0 1.4rem}
article img,article video{max-width:100%;height:auto}
article pre{overflow-x:auto;background:#f3f4f6;padding:.7rem .9rem;font-size:.9rem;line-height:1.45}
article code{font-size:.92em;overflow-wrap:anywhere}
article table{border-collapse:collapse;display:block;overflow-x:auto;max-width:100%}
article td,article th{border:1px solid #d0d7de;padding:.3rem .6rem;text-align:left;vertical-align:top}
article blockquote{margin:1rem 0;padding:0 0 0 1rem;border-left:4px solid #d0d7de}
.admonition{border-left:4px solid #0550ae;background:#f3f4f6;padding:.5rem 1rem;margin:1rem 0}
ul.entries{list-style:none;padding:0}
ul.entries li{margin:0 0 1.1rem}
ul.entries .meta{margin:0}
nav.pager{margin-top:2rem}
footer.site{border-top:1px solid #d0d7de;padding:1rem 0 2rem;color:#57606a;font-size:.95rem}
footer.site a{color:#0550ae}
`.trim()

/**
 * A complete, accessible and responsive HTML page in the site's language: a header linking home, the content, and a
 * footer with the feeds, the email subscription and the archive of past emails.
 */
export function renderSitePage(config: Config, page: SitePage): string {
  const words = messagesFor(config.site.language)
  const site = config.site
  const alternates = [...siteFeeds(config), ...(page.alternates ?? [])]
    .map(
      (feed) => `<link rel="alternate" type="${esc(feed.type)}" href="${esc(feed.href)}" title="${esc(`${site.title} (${feed.label})`)}">`,
    )
    .join('\n')
  const description = page.description ?? site.description
  const canonical = page.canonical ? `<link rel="canonical" href="${esc(page.canonical)}">\n` : ''
  return `<!doctype html>
<html lang="${esc(site.language)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${GENERATOR_MARK}
<title>${esc(page.title === site.title ? site.title : `${page.title} · ${site.title}`)}</title>
${description ? `<meta name="description" content="${esc(description)}">\n` : ''}${canonical}${alternates}
<style>${STYLE}</style>
</head>
<body>
<header class="site"><div class="wrap"><a href="${esc(site.url)}">${esc(site.title)}</a></div></header>
<main id="content" class="wrap">
${page.body}
</main>
${siteFooter(config, words)}
</body>
</html>
`
}

function siteFooter(config: Config, words: Messages): string {
  const links = [
    ...siteFeeds(config).map((feed) => `<a href="${esc(feed.href)}">${esc(feed.label)}</a>`),
    `<a href="${esc(`${config.http.publicUrl}subscribe`)}">${esc(words.subscribeByEmail)}</a>`,
    `<a href="${esc(`${config.site.url}${config.archive.path}/`)}">${esc(words.archiveTitle)}</a>`,
  ]
  return `<footer class="site"><div class="wrap"><nav aria-label="${esc(words.feedsLabel)}">${links.join(' · ')}</nav></div></footer>`
}
