import type { Post } from '../posts/types.js'

/**
 * What an edition keeps of a post: enough to render the digest long after the post file changed or moved
 * (a send job retried tomorrow mails what was announced today, and a worker on another machine needs no
 * copy of the site).
 */
export interface PostSnapshot {
  readonly feedId: string
  readonly title: string
  readonly permalink: string
  /** ISO 8601 with the post's own offset. */
  readonly date: string
  readonly author: string
  readonly tags: readonly string[]
  readonly category: string | null
  readonly description: string | null
  readonly previewImage: string | null
  /** Absolute-linked email HTML of the teaser (`Post.emailTeaserHtml`), or null when the post has no `.. TEASER_END`. */
  readonly teaserHtml: string | null
  /** Absolute-linked email HTML of the whole post (`Post.emailHtml`). */
  readonly html: string
  readonly readMoreLabel: string
}

/** The snapshot of a loaded post. */
export function snapshotPost(post: Post): PostSnapshot {
  return {
    feedId: post.feedId,
    title: post.title,
    permalink: post.permalink,
    date: post.date.iso,
    author: post.author,
    tags: [...post.tags],
    category: post.category,
    description: post.description,
    previewImage: post.previewImage,
    // Snapshots only ever feed emails: they keep the email rendering (no iframes, math as TeX, inline code colours).
    teaserHtml: post.emailTeaserHtml,
    html: post.emailHtml,
    readMoreLabel: post.readMoreLabel,
  }
}

/**
 * The posts of an edition a subscriber gets: all of them when the subscriber follows every post, otherwise
 * those with at least one of the subscriber's tags (tags compare case-insensitively).
 */
export function postsForSubscriber(posts: readonly PostSnapshot[], subscriberTags: readonly string[]): PostSnapshot[] {
  if (subscriberTags.length === 0) return [...posts]
  const wanted = new Set(subscriberTags.map((tag) => tag.toLowerCase()))
  return posts.filter((post) => post.tags.some((tag) => wanted.has(tag.toLowerCase())))
}

/** Newest first, then by feed id: the order posts appear in a digest. */
export function digestOrder(posts: readonly PostSnapshot[]): PostSnapshot[] {
  return [...posts].sort((a, b) => Date.parse(b.date) - Date.parse(a.date) || (a.feedId < b.feedId ? -1 : a.feedId > b.feedId ? 1 : 0))
}
