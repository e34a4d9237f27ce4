import path from 'node:path'
import { stateDir } from '../config.js'
import { loadPosts } from '../posts/load.js'
import { FileRenderCache } from '../posts/render-cache.js'
import { createPooledRenderer } from '../posts/render-pool.js'
import { createRstRenderer } from '../posts/rst.js'
import type { PostCollection } from '../posts/types.js'
import { publicationState } from '../publishing/live.js'
import type { AppContext } from './context.js'

/** Loads a site's posts with the on-disk render cache, so unchanged posts are not rendered again. */
export async function loadSitePosts(context: AppContext, onProgress?: (done: number, total: number) => void): Promise<PostCollection> {
  const cache = await FileRenderCache.open(path.join(stateDir(context.config.siteDir), 'cache', 'render.json'))
  const renderer = createPooledRenderer(createRstRenderer())
  let collection: PostCollection
  try {
    collection = await loadPosts({ config: context.config, renderer, cache, ...(onProgress ? { onProgress } : {}) })
  } finally {
    await renderer.close()
  }
  await cache.save().catch((error: Error) => context.logger.warn(`could not save the render cache: ${error.message}`))
  return collection
}

/** Counts of posts by what happened to them in this run. */
export interface PostCounts {
  readonly live: number
  readonly scheduled: number
  /** Posts that failed to load (errors were logged); feeds and editions are made from the others. */
  readonly skipped: number
}

/** Loads the posts, logs their problems, counts them. */
export async function loadAndReport(
  context: AppContext,
  now: Date,
  onProgress?: (done: number, total: number) => void,
): Promise<{ collection: PostCollection; counts: PostCounts }> {
  const collection = await loadSitePosts(context, onProgress)
  for (const post of collection.posts) for (const warning of post.warnings) context.logger.warn(warning)
  for (const failure of collection.failures) for (const error of failure.errors) context.logger.error(`skipped: ${error}`)
  const states = collection.posts.map((post) => publicationState(post, now))
  return {
    collection,
    counts: {
      live: states.filter((state) => state === 'live').length,
      scheduled: states.filter((state) => state === 'scheduled').length,
      skipped: collection.failures.length,
    },
  }
}

/** Tags of the live posts, for the subscribe page's checkboxes (read once at start: restart to refresh). */
export async function siteTags(context: AppContext, now: Date = new Date()): Promise<string[]> {
  try {
    const collection = await loadSitePosts(context)
    const tags = new Map<string, string>()
    for (const post of collection.posts) {
      if (publicationState(post, now) !== 'live') continue
      for (const tag of post.tags) if (!tags.has(tag.toLowerCase())) tags.set(tag.toLowerCase(), tag)
    }
    return [...tags.values()].sort((a, b) => a.localeCompare(b, context.config.site.language))
  } catch (error) {
    context.logger.warn(`could not read the posts for the subscribe page's tags: ${(error as Error).message}`)
    return []
  }
}
