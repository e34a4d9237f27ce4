import type { Post } from '../posts/types.js'

/** Where a post stands at a given moment, in `herald posts` words. */
export type PublicationState = 'live' | 'scheduled' | 'draft' | 'private'

/** `live`: published or featured and its date has come; `scheduled`: published or featured, date still ahead. */
export function publicationState(post: Pick<Post, 'status' | 'date'>, now: Date): PublicationState {
  if (post.status === 'draft' || post.status === 'private') return post.status
  return post.date.ms <= now.getTime() ? 'live' : 'scheduled'
}

/** The posts readers may see at `now`, newest first (the input order is kept). */
export function livePosts<T extends Pick<Post, 'status' | 'date'>>(posts: readonly T[], now: Date): T[] {
  return posts.filter((post) => publicationState(post, now) === 'live')
}

/** The scheduled post that goes live next after `now`, if any. */
export function nextScheduled<T extends Pick<Post, 'status' | 'date'>>(posts: readonly T[], now: Date): T | null {
  let next: T | null = null
  for (const post of posts) {
    if (publicationState(post, now) === 'scheduled' && (!next || post.date.ms < next.date.ms)) next = post
  }
  return next
}
