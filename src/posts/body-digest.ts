import { createHash } from 'node:crypto'
import type { Post } from './types.js'

const digests = new WeakMap<object, string>()

/**
 * A hash of what a feed shows of a post's body (`html` and `teaserHtml`). Posts taken from the post index come with
 * theirs (see {@link knownBodyDigest}), so asking does not read their body; any other post object is hashed once.
 */
export function bodyDigest(post: Pick<Post, 'html' | 'teaserHtml'>): string {
  let digest = digests.get(post)
  if (digest === undefined) {
    digest = digestOf(post.html, post.teaserHtml)
    digests.set(post, digest)
  }
  return digest
}

/** The digest of these body strings: what {@link bodyDigest} gives for a post that has them. */
export function digestOf(html: string, teaserHtml: string | null): string {
  return createHash('sha256')
    .update(html)
    .update(teaserHtml === null ? '\u0001' : `\0${teaserHtml}`)
    .digest('base64url')
}

/** Records the digest of a post whose body is read only on use (it was computed when the body was made). */
export function knownBodyDigest(post: object, digest: string): void {
  digests.set(post, digest)
}
