import { rm } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { siteTags } from '../../src/app/site-posts.js'
import { loadConfig } from '../../src/config-load.js'
import { silentLogger } from '../../src/log.js'
import { makeSite, post, siteConfig } from '../support/site.js'

/** 15 tags: tag-00 on 15 posts, tag-01 on 14 … tag-14 on one. */
function posts(): Record<string, string> {
  const files: Record<string, string> = {}
  for (let index = 0; index < 15; index++) {
    const tags = Array.from({ length: index + 1 }, (_, tag) => `tag-${String(tag).padStart(2, '0')}`).join(', ')
    files[`posts/p${index}.rst`] = post({ title: `P${index}`, slug: `p${index}`, date: '2024-01-01 10:00', tags })
  }
  return files
}

describe('the tags of the web service', () => {
  it('offers every live tag on the preferences page and the 12 most used on the subscribe form', async () => {
    const site = await makeSite(posts())
    try {
      const tags = await siteTags({ config: await loadConfig(site, {}), logger: silentLogger() })
      expect(tags.all).toHaveLength(15)
      expect(tags.form).toEqual(Array.from({ length: 12 }, (_, index) => `tag-${String(index).padStart(2, '0')}`))
    } finally {
      await rm(site, { recursive: true, force: true })
    }
  })

  it('offers exactly subscribe.tags when the site chooses them', async () => {
    const site = await makeSite(posts(), siteConfig('subscribe:\n  tags: [tag-14, tag-03]'))
    try {
      expect((await siteTags({ config: await loadConfig(site, {}), logger: silentLogger() })).form).toEqual(['tag-14', 'tag-03'])
    } finally {
      await rm(site, { recursive: true, force: true })
    }
  })
})
