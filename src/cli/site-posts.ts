import path from 'node:path'
import { loadPosts } from '../posts/load.js'
import { FileRenderCache } from '../posts/render-cache.js'
import { createRstRenderer } from '../posts/rst.js'
import type { PostCollection } from '../posts/types.js'
import type { SiteContext } from './runtime.js'

/** Where Herald keeps its own state inside a site folder. */
export const stateDir = (siteDir: string) => path.join(siteDir, '.herald')

/** Loads a site's posts with the on-disk render cache, so unchanged posts are not rendered again. */
export async function loadSitePosts(context: SiteContext, onProgress?: (done: number, total: number) => void): Promise<PostCollection> {
  const cache = await FileRenderCache.open(path.join(stateDir(context.config.siteDir), 'cache', 'render.json'))
  const collection = await loadPosts({ config: context.config, renderer: createRstRenderer(), cache, ...(onProgress ? { onProgress } : {}) })
  await cache.save().catch((error: Error) => context.logger.warn(`could not save the render cache: ${error.message}`))
  return collection
}
