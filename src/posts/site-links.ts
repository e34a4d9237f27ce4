import type { Config } from '../config.js'
import { formatLocated } from '../errors.js'
import { escapeHtml } from '../html.js'
import { problemMarker } from './rst-session.js'
import { slugify } from './slug.js'
import { listingPath } from './sources.js'
import type { Post } from './types.js'
import { encodeLink } from './urls.js'

/*
 * The second pass over rendered posts, once every post is known: Nikola's `link://kind/name` URLs (which Nikola
 * itself resolves when it writes pages and feeds), `:doc:` links and `post-list` blocks become absolute URLs and
 * lists of this site's posts. Rendering stays pure and cacheable; this pass is cheap string work.
 */

/** What resolving needs to know about the site. */
export interface SiteIndex {
  readonly config: Config
  readonly posts: readonly Post[]
  /** Clock for `post-list` (which lists posts live now). */
  readonly now: number
}

const LINK = /(\s(?:href|src)=")link:\/\/([a-z_]+)\/?([^"#?]*)(?:\?[^"#]*)?(#[^"]*)?"/g
const DOC = /<a ([^>]*?)href="(https?:\/\/[^"]*|[^"]*)" data-herald-doc="(title|text)" data-herald-line="(\d+)">([\s\S]*?)<\/a>/g
const POST_LIST = /<div class="post-list" data-herald-post-list="([^"]*)" data-herald-line="(\d+)"><\/div>/g

function unescapeHtml(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|#39);/g, (_w, entity: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[entity]!)
}

/** Finds a post by slug as written, then slugified (Nikola's `:doc:` and `link://slug` rule). */
export function findBySlug(posts: readonly Post[], slug: string): Post | undefined {
  const decoded = safeDecode(slug)
  const exact = posts.find((post) => post.slug === decoded)
  if (exact) return exact
  const slugified = slugify(decoded)
  return posts.find((post) => post.slug === slugified)
}

const safeDecode = (text: string) => {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

/** Tag/category page and feed URLs from the feed path patterns (`categories/{slug}` → `categories/python/`). */
function taxonomyUrl(config: Config, pattern: string, name: string, suffix: string): string {
  return encodeLink(`${config.site.url}${pattern.replace(/\{slug\}/g, slugify(name))}${suffix}`)
}

/** The absolute URL a `link://kind/name` stands for, or null when nothing matches. */
export function resolveMagicLink(index: SiteIndex, post: Post, kind: string, name: string): string | null {
  const { config } = index
  const paths = config.feeds.paths
  const site = config.site.url
  const value = safeDecode(name)
  switch (kind) {
    case 'slug':
    case 'doc':
      return findBySlug(index.posts, value)?.permalink ?? null
    case 'filename': {
      const file = value.replace(/^\/+/, '')
      return index.posts.find((candidate) => candidate.file === file)?.permalink ?? null
    }
    case 'self':
      return post.permalink
    case 'root':
    case 'index':
      return site
    case 'post_path':
      return encodeLink(`${site}${value.replace(/[^/]*$/, '')}`)
    case 'tag':
      return taxonomyUrl(config, paths.tag, value, '/')
    case 'tag_rss':
      return taxonomyUrl(config, paths.tag, value, '.xml')
    case 'tag_atom':
      return taxonomyUrl(config, paths.tag, value, '.atom')
    case 'category':
      return taxonomyUrl(config, paths.category, value, '/')
    case 'category_rss':
      return taxonomyUrl(config, paths.category, value, '.xml')
    case 'category_atom':
      return taxonomyUrl(config, paths.category, value, '.atom')
    case 'tag_index':
    case 'category_index':
      return encodeLink(`${site}${paths.tag.replace(/\/?\{slug\}.*$/, '')}/`)
    case 'rss':
    case 'index_rss':
      return encodeLink(site + paths.rss)
    case 'index_atom':
      return encodeLink(site + paths.atom)
    case 'listing':
    case 'listing_source': {
      return encodeLink(`${site}${listingPath(value)}${kind === 'listing' ? '.html' : ''}`)
    }
    default:
      return null
  }
}

/** Line of the first occurrence of `needle` in the post's source, for warnings about links written in the body. */
export type LineOf = (needle: string) => number | undefined

/** Resolves the placeholders in one HTML string of `post`; problems are appended to `warnings` (file:line). */
export function resolveSiteLinks(html: string, post: Post, index: SiteIndex, warnings: string[], lineOf: LineOf): string {
  if (!html.includes('link://') && !html.includes('data-herald-post-list')) return html
  const warn = (message: string, line: number | undefined) =>
    warnings.push(formatLocated(message, { file: post.file, ...(line === undefined ? {} : { line }) }))
  const reported = new Set<string>()
  let out = html.replace(DOC, (_whole, attributes: string, href: string, mode: string, line: string, text: string) => {
    const match = /^link:\/\/doc\/([^#]*)(#.*)?$/.exec(href)
    const slug = match ? safeDecode(unescapeHtml(match[1]!)) : ''
    const target = match ? findBySlug(index.posts, slug) : undefined
    if (!target) {
      if (!reported.has(`doc:${slug}`)) warn(`:doc: link to "${slug}": no post has that slug; a marker is shown instead`, Number(line))
      reported.add(`doc:${slug}`)
      return problemMarker(`no post with the slug "${slug}"`, unescapeHtml(text), false)
    }
    const label = mode === 'title' ? escapeHtml(target.title) : text
    return `<a ${attributes}href="${escapeHtml(target.permalink + (match?.[2] ? unescapeHtml(match[2]) : ''))}">${label}</a>`
  })
  out = out.replace(LINK, (_whole, head: string, kind: string, name: string, fragment: string | undefined) => {
    const resolved = resolveMagicLink(index, post, kind, unescapeHtml(name))
    if (resolved === null) {
      const written = `link://${kind}/${unescapeHtml(name)}`
      // Nikola writes the site's address for a link it cannot resolve; so do we, with a warning.
      if (!reported.has(written))
        warn(`${written} does not resolve to anything on this site; it points at the site's home page`, lineOf(written))
      reported.add(written)
      return `${head}${escapeHtml(index.config.site.url)}"`
    }
    return `${head}${escapeHtml(resolved + (fragment ? unescapeHtml(fragment) : ''))}"`
  })
  if (out.includes('data-herald-post-list'))
    out = out.replace(POST_LIST, (_whole, json: string) => postList(index, post, JSON.parse(unescapeHtml(json))))
  return out
}

/** Nikola's post-list (plugins/shortcode/post_list.py) with its default template. */
function postList(index: SiteIndex, current: Post, options: Record<string, string>): string {
  const type = (options.post_type ?? options.type ?? 'post').toLowerCase()
  const live = (post: Post) => (post.status === 'published' || post.status === 'featured') && post.date.ms <= index.now
  let posts = index.posts.filter((post) => post.file !== current.file)
  if (type === 'post' || type === 'posts') posts = posts.filter(live)
  else if (type === 'page' || type === 'pages') posts = posts.filter((post) => !live(post))
  const list = (value: string | undefined) =>
    (value ?? '')
      .split(',')
      .map((item) => item.trim().toLowerCase())
      .filter(Boolean)
  const categories = list(options.categories)
  if (categories.length > 0) posts = posts.filter((post) => categories.includes((post.category ?? '').toLowerCase()))
  const tags = list(options.tags)
  if (tags.length > 0) {
    const all = 'require_all_tags' in options
    posts = posts.filter((post) => {
      const own = post.tags.map((tag) => tag.toLowerCase())
      return all ? tags.every((tag) => own.includes(tag)) : tags.some((tag) => own.includes(tag))
    })
  }
  if (options.sort) {
    const key = options.sort
    posts = [...posts].sort((a, b) =>
      (a.meta[key] ?? '').localeCompare(b.meta[key] ?? '', undefined, { numeric: true, sensitivity: 'base' }),
    )
  }
  const start = options.start === undefined ? undefined : Number(options.start)
  const stop = options.stop === undefined ? undefined : Number(options.stop)
  posts = pythonSlice(posts, start, stop, 'reverse' in options)
  const slugs = list(options.slugs)
  if (slugs.length > 0) posts = posts.filter((post) => slugs.includes(post.slug.toLowerCase()))
  const items = posts
    .map(
      (post) =>
        `            <li class="post-list-item">\n` +
        `            ${post.date.iso.slice(0, 10)} ${post.date.iso.slice(11, 16)}\n            \u00a0\n` +
        `            <a href="${escapeHtml(post.permalink)}">${escapeHtml(post.title)}</a>\n            </li>\n`,
    )
    .join('')
  const id = `post_list_${current.contentHash.slice(0, 32)}`
  return `<div id="${id}" class="post-list">\n${posts.length > 0 ? `    <ul class="post-list">\n${items}    </ul>\n` : ''}</div>`
}

/** Python's `list[start:stop:step]` with step 1 or −1. */
function pythonSlice<T>(items: readonly T[], start: number | undefined, stop: number | undefined, reverse: boolean): T[] {
  if (!reverse) return items.slice(start ?? 0, stop)
  const length = items.length
  const norm = (value: number) => (value < 0 ? value + length : value)
  const from = start === undefined ? length - 1 : Math.min(norm(start), length - 1)
  const to = stop === undefined ? -1 : Math.max(norm(stop), -1)
  const out: T[] = []
  for (let index = from; index > to; index--) out.push(items[index]!)
  return out
}
