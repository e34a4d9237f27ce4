import path from 'node:path'
import type { Config } from '../config.js'
import { buildFeeds, type BuildFeedsResult } from '../feeds/build.js'
import { FileFeedManifest } from '../feeds/manifest.js'
import type { Post } from '../posts/types.js'
import type { SiteContext } from '../cli/runtime.js'
import { stateDir } from './site-posts.js'

/**
 * Builds the site's feeds with the on-disk manifest of what each file was made from, so a feed whose posts
 * did not change is not even rendered (see feeds/manifest.ts).
 */
export async function buildSiteFeeds(context: SiteContext, posts: readonly Post[], now: Date, config: Config = context.config): Promise<BuildFeedsResult> {
  const manifest = await FileFeedManifest.open(path.join(stateDir(config.siteDir), 'cache', 'feeds.json'))
  const result = await buildFeeds({ config, posts, now, logger: context.logger, manifest })
  await manifest.save().catch((error: Error) => context.logger.warn(`could not save the feed manifest: ${error.message}`))
  return result
}
