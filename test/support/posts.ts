import type { Post } from '../../src/posts/types.js'

/** A loaded post for renderer tests, with sensible defaults; override any field. */
export function makePost(overrides: Partial<Post> & { slug: string }): Post {
  const permalink = overrides.permalink ?? `https://blog.example.org/posts/${encodeURIComponent(overrides.slug)}/`
  const date = overrides.date ?? { iso: '2024-01-02T03:04:05+00:00', ms: Date.parse('2024-01-02T03:04:05Z') }
  return {
    file: `posts/${overrides.slug}.rst`,
    title: `Post ${overrides.slug}`,
    date,
    updated: overrides.updated ?? date,
    status: 'published',
    tags: [],
    category: null,
    author: 'Site Author',
    description: null,
    link: null,
    type: null,
    guid: null,
    previewImage: null,
    permalink,
    feedId: overrides.guid ?? permalink,
    html: '<p>Body of the post.</p>',
    teaserHtml: null,
    emailHtml: overrides.html ?? '<p>Body of the post.</p>',
    emailTeaserHtml: overrides.teaserHtml ?? null,
    translations: [],
    dependencies: [],
    readMoreLabel: 'Read more…',
    meta: {},
    contentHash: `hash-${overrides.slug}`,
    warnings: [],
    ...overrides,
  }
}
