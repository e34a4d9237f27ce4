import { createHash } from 'node:crypto'
import type { Post } from '../posts/types.js'
import { renderAtom } from './atom.js'
import { feedEntry } from './entry.js'
import { renderJsonFeed } from './jsonfeed.js'
import { renderRss } from './rss.js'
import type { FeedDocument } from './types.js'

const sha256 = (text: string) => createHash('sha256').update(text).digest('base64url')

let fingerprint: string | null = null

/**
 * Hash of what the renderers make of a small document full of edge cases. Part of every key, so that a
 * change in Herald's renderers or in the `feed` package that shows in that output invalidates every record.
 */
export function renderersFingerprint(): string {
  if (fingerprint === null) {
    const at = { iso: '2014-07-13T15:23:14+04:00', ms: Date.parse('2014-07-13T15:23:14+04:00') }
    const post = {
      file: 'posts/canary.rst',
      slug: 'canary',
      title: 'A & <b> "q" ]]>',
      date: at,
      updated: at,
      status: 'published',
      tags: ['x<y', 'Ü'],
      category: 'c',
      author: 'Ä',
      description: null,
      link: 'https://example.org/x',
      type: null,
      guid: 'urn:x',
      previewImage: 'https://example.org/a.jpg',
      permalink: 'https://example.org/posts/%D0%9A/',
      feedId: 'urn:x',
      html: '<p>a ]]> b ]]> c</p><p>d</p>',
      teaserHtml: '<p>a</p>',
      emailHtml: '',
      emailTeaserHtml: null,
      translations: [],
      dependencies: [],
      readMoreLabel: 'More',
      meta: {},
      contentHash: '',
      warnings: [],
    } satisfies Post
    const document: FeedDocument = {
      title: 'T',
      description: 'D',
      language: 'en',
      author: 'A',
      homeUrl: 'https://example.org/',
      selfUrl: 'https://example.org/f',
      hubUrl: 'https://hub.example.org/',
      entries: [feedEntry(post, { teasers: false, language: 'en' }), feedEntry(post, { teasers: true, language: 'en' })],
    }
    fingerprint = sha256([renderAtom(document), renderRss(document), renderJsonFeed(document)].join('\0'))
  }
  return fingerprint
}
