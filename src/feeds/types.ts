import type { PostDate } from '../posts/dates.js'

/** What every feed format says about one post; built once per post by `feedEntry`, text already sanitized. */
export interface FeedEntry {
  /** Atom `id`, RSS `guid`, JSON `id`: the post's `guid` metadata, otherwise its permalink (as Nikola). */
  readonly id: string
  /** True when `id` is the permalink (RSS `isPermaLink="true"`). */
  readonly idIsPermalink: boolean
  /** The post's permalink, percent-encoded the way Nikola does it. */
  readonly link: string
  /** Nikola's `link` metadata (the page the post is about), or null. */
  readonly externalUrl: string | null
  /** Plain text. */
  readonly title: string
  /** Author's name, or '' when the post has none. */
  readonly author: string
  readonly published: PostDate
  readonly updated: PostDate
  /** Tags as written, each once. */
  readonly tags: readonly string[]
  /** Entry content: the whole post, or (teaser mode) the teaser followed by a read-more link. HTML, absolute links. */
  readonly contentHtml: string
  /** The teaser: the part before `.. TEASER_END`, else the description, else the first paragraph. HTML. */
  readonly summaryHtml: string
  /** Plain-text summary: the description, else the text of the teaser. */
  readonly summaryText: string
  /** `previewimage` as an enclosure, or null. */
  readonly image: { readonly url: string; readonly type: string } | null
}

/** Everything a renderer needs for one feed document. Renderers are pure: this in, a string out. */
export interface FeedDocument {
  /** Plain text. */
  readonly title: string
  /** Plain text; may be ''. */
  readonly description: string
  /** Language code of the site (`ru`, `en-GB`). */
  readonly language: string
  /** Site author's name for the feed level; may be ''. */
  readonly author: string
  /** The HTML page the feed is about (site front page, tag page). */
  readonly homeUrl: string
  /** Where this very file is published. */
  readonly selfUrl: string
  /** WebSub hub, or null. */
  readonly hubUrl: string | null
  /** Newest first. */
  readonly entries: readonly FeedEntry[]
}
