import type { Config, FeedFormat } from '../config.js'
import { slugify } from '../posts/slug.js'
import type { Post } from '../posts/types.js'
import { encodeLink } from '../posts/urls.js'

/** Which posts a feed collects: all of them, those with one tag, or those in one category. */
export type FeedScope =
  | { readonly kind: 'site' }
  | { readonly kind: 'tag'; readonly name: string; readonly slug: string }
  | { readonly kind: 'category'; readonly name: string; readonly slug: string }

/** One file of a feed: the feed in one format. */
export interface FeedFile {
  readonly format: FeedFormat
  /** Relative to the output folder, `/`-separated (`categories/docker.xml`). */
  readonly path: string
  /** Absolute URL of the file, percent-encoded as Nikola does. */
  readonly url: string
}

/** A feed the site has, in every configured format. */
export interface PlannedFeed {
  readonly scope: FeedScope
  /** `Site title` for the site feed, `Site title (tag)` for a tag or category, as Nikola names them. */
  readonly title: string
  readonly description: string
  /** The HTML page the feed stands for: the front page, or Nikola's tag/category page. */
  readonly homeUrl: string
  readonly files: readonly FeedFile[]
  /** The newest `feeds.length` posts in scope, newest first (ties by file). */
  readonly posts: readonly Post[]
}

/** A feed file that was not planned because an earlier feed already has its path. */
export interface FeedPathConflict {
  readonly path: string
  /** Titles of the feed that keeps the path and of the one left out. */
  readonly kept: string
  readonly dropped: string
}

/** Every feed of a site, in a stable order: the site feed, tags by slug, categories by slug. */
export interface FeedPlan {
  readonly feeds: readonly PlannedFeed[]
  readonly conflicts: readonly FeedPathConflict[]
}

const EXTENSIONS: Record<FeedFormat, string> = { rss: '.xml', atom: '.atom', json: '.json' }
const FORMAT_ORDER: readonly FeedFormat[] = ['rss', 'atom', 'json']

/**
 * Decides which feeds exist for `posts` (the live ones) under `config.feeds`: the site feed, one per tag
 * and one per category that has a live post. Tags whose slugs are equal (`Docker`, `docker`) share one feed,
 * named after the spelling of the newest post that uses it. Pure.
 */
export function planFeeds(config: Pick<Config, 'site' | 'feeds'>, posts: readonly Post[]): FeedPlan {
  const { site, feeds } = config
  const ordered = [...posts].sort(newestFirst)
  const formats = FORMAT_ORDER.filter((format) => feeds.formats.includes(format))
  const planned: PlannedFeed[] = []

  const feedOf = (
    scope: FeedScope,
    title: string,
    homePath: string,
    paths: (format: FeedFormat) => string,
    inScope: readonly Post[],
  ): PlannedFeed => ({
    scope,
    title,
    description: site.description,
    homeUrl: encodeLink(site.url + homePath),
    files: formats.map((format) => {
      const path = paths(format).replace(/^\/+/, '')
      return { format, path, url: encodeLink(site.url + path) }
    }),
    posts: inScope.slice(0, feeds.length),
  })

  if (feeds.site) planned.push(feedOf({ kind: 'site' }, site.title, '', (format) => feeds.paths[format], ordered))

  const taxonomy = (kind: 'tag' | 'category', namesOf: (post: Post) => readonly string[], pattern: string) => {
    const groups = new Map<string, { name: string; posts: Post[] }>()
    for (const post of ordered) {
      const slugs = new Set<string>()
      for (const name of namesOf(post)) {
        const slug = slugify(name)
        if (slugs.has(slug)) continue
        slugs.add(slug)
        const group = groups.get(slug)
        if (group) group.posts.push(post)
        else groups.set(slug, { name, posts: [post] })
      }
    }
    const at = (slug: string) => pattern.replace(/\{slug\}/g, slug)
    for (const slug of [...groups.keys()].sort()) {
      const { name, posts: inScope } = groups.get(slug)!
      planned.push(
        feedOf({ kind, name, slug }, `${site.title} (${name})`, `${at(slug)}/`, (format) => at(slug) + EXTENSIONS[format], inScope),
      )
    }
  }
  if (feeds.tags) taxonomy('tag', (post) => post.tags, feeds.paths.tag)
  if (feeds.categories) taxonomy('category', (post) => (post.category?.trim() ? [post.category.trim()] : []), feeds.paths.category)

  return withoutConflicts(planned)
}

/** Newest first; posts dated the same instant in file order, so the order never depends on how they were read. */
export function newestFirst(a: Pick<Post, 'date' | 'file'>, b: Pick<Post, 'date' | 'file'>): number {
  return b.date.ms - a.date.ms || (a.file < b.file ? -1 : a.file > b.file ? 1 : 0)
}

function withoutConflicts(planned: readonly PlannedFeed[]): FeedPlan {
  const owners = new Map<string, string>()
  const conflicts: FeedPathConflict[] = []
  const feeds = planned.map((feed) => {
    const files = feed.files.filter((file) => {
      const owner = owners.get(file.path)
      if (owner === undefined) {
        owners.set(file.path, feed.title)
        return true
      }
      conflicts.push({ path: file.path, kept: owner, dropped: feed.title })
      return false
    })
    return files.length === feed.files.length ? feed : { ...feed, files }
  })
  return { feeds: feeds.filter((feed) => feed.files.length > 0), conflicts }
}
