import { siteImageSizes } from '../../src/app/services.js'
import { loadSitePosts } from '../../src/app/site-posts.js'
import { loadConfig } from '../../src/config-load.js'
import { DigestComposer } from '../../src/digest/compose.js'
import { snapshotPost } from '../../src/editions/snapshot.js'
import { silentLogger } from '../../src/log.js'
import { loadTemplate } from '../../src/mail/render.js'
import { livePosts } from '../../src/publishing/live.js'
import { TokenSigner } from '../../src/subscribers/tokens.js'

/**
 * One recipient's digest of every live post of a site folder (at `now`), rendered the way a send job renders it:
 * the site's template, its image sizes, compiled once and personalised.
 */
export async function siteDigest(site: string, now = new Date('2026-11-26T00:00:00Z'), env: NodeJS.ProcessEnv = {}) {
  const config = await loadConfig(site, env)
  const posts = livePosts((await loadSitePosts({ config, logger: silentLogger() })).posts, now).map(snapshotPost)
  const composer = new DigestComposer({
    config,
    template: await loadTemplate('digest', { siteDir: site }),
    tokens: new TokenSigner({ secret: 'digest-support-secret-0123456789abcdefghij' }),
    imageSize: siteImageSizes(config),
  })
  const compiled = await composer.compile(posts, { id: '0123456789abcdef0123' })
  const message = composer.personalise(compiled, { subscriberId: 'ab'.repeat(16), email: 'reader@example.org' }, '0123456789abcdef0123')
  return { config, posts, compiled, message }
}
