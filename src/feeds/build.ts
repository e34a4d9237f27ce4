import path from 'node:path'
import type { Config, FeedFormat } from '../config.js'
import type { Logger } from '../log.js'
import type { Post } from '../posts/types.js'
import { livePosts } from '../publishing/live.js'
import { type FeedFileRenderer, inlineFeedRenderer } from './feed-renderer.js'
import { type EntryInput, entryInput, type FeedManifest, feedFileKey, isUpToDate, recordOf } from './manifest.js'
import { type FeedPlan, planFeeds } from './plan.js'
import type { FeedFileJob, FeedRenderRequest } from './render-files.js'
import type { FeedDocument } from './types.js'
import { type NotifyHubResult, notifyHub } from './websub.js'
import type { WriteFeedsResult } from './write.js'

/** The parts of the configuration the feeds depend on. */
export type FeedsBuildConfig = Pick<Config, 'site' | 'feeds' | 'websubHub' | 'outputDir'>

/** Options for {@link buildFeeds}. */
export interface BuildFeedsOptions {
  readonly config: FeedsBuildConfig
  /** Every post that loaded; the live ones at `now` are picked here. */
  readonly posts: readonly Post[]
  readonly now: Date
  readonly logger: Logger
  /** For WebSub pings. Default: the global `fetch`. Only used when `websub.hub` is set. */
  readonly fetch?: typeof globalThis.fetch
  /**
   * What the previous builds wrote (see `FileFeedManifest`). Optional: without it every feed is rendered and
   * compared byte for byte: always correct, but seconds of work on a site with hundreds of tags.
   */
  readonly manifest?: FeedManifest
  /**
   * Renders and writes the files (`threadedFeedRenderer` for a command that builds once). Default: in this thread,
   * the feed libraries loaded on first use.
   */
  readonly renderer?: FeedFileRenderer
  /**
   * Identifies the code and packages that render feeds (Herald's code, Node, the installed packages), so that the
   * renderers' fingerprint recorded in the manifest under the same stamp is used instead of rendering the canary
   * document again. Without it the canary is rendered on every build.
   */
  readonly renderersStamp?: string
  /** Work to do while the files are rendered (a build saves its caches); awaited before this returns. Must not throw. */
  readonly whileRendering?: () => Promise<void>
}

/** What {@link buildFeeds} did. Paths are relative to the output folder. */
export interface BuildFeedsResult {
  readonly feeds: WriteFeedsResult
  /** Posts live at `now`. */
  readonly livePosts: number
  /** Outcome of the WebSub pings, or null when no hub is configured or no feed changed. */
  readonly websub: NotifyHubResult | null
}

/** One file of a planned feed: where it goes and what it is made of. */
interface FeedJob {
  readonly format: FeedFormat
  readonly path: string
  readonly document: Omit<FeedDocument, 'entries'>
  readonly posts: readonly Post[]
}

/** The files of every feed of `plan`. Pure. */
function feedJobs(plan: FeedPlan, config: Pick<Config, 'site' | 'websubHub'>): FeedJob[] {
  return plan.feeds.flatMap((feed) =>
    feed.files.map((file) => ({
      format: file.format,
      path: file.path,
      posts: feed.posts,
      document: {
        title: feed.title,
        description: feed.description,
        language: config.site.language,
        author: config.site.author,
        homeUrl: feed.homeUrl,
        selfUrl: file.url,
        hubUrl: config.websubHub,
      },
    })),
  )
}

/** The renderers' fingerprint: the one the manifest has under `stamp`, else a fresh one, recorded under `stamp`. */
async function renderersFingerprint(manifest: FeedManifest, renderer: FeedFileRenderer, stamp: string | undefined): Promise<string> {
  const known = stamp === undefined ? undefined : manifest.renderers(stamp)
  if (known !== undefined) return known
  const fingerprint = await renderer.fingerprint()
  if (stamp !== undefined) manifest.setRenderers(stamp, fingerprint)
  return fingerprint
}

/** What the renderer needs for `jobs`: each post's entry inputs once, however many files show it. */
function renderRequest(jobs: readonly FeedJob[], config: FeedsBuildConfig): FeedRenderRequest {
  const indexes = new Map<Post, number>()
  const posts: EntryInput[] = []
  const indexOf = (post: Post) => {
    let index = indexes.get(post)
    if (index === undefined) {
      index = posts.push(entryInput(post)) - 1
      indexes.set(post, index)
    }
    return index
  }
  const files: FeedFileJob[] = jobs.map((job) => ({
    format: job.format,
    path: job.path,
    document: job.document,
    posts: job.posts.map(indexOf),
  }))
  return { outputDir: config.outputDir, entryOptions: { teasers: config.feeds.teasers, language: config.site.language }, posts, files }
}

/**
 * `herald build`'s feed half: picks the live posts, plans the site, tag and category feeds, renders them,
 * writes the files whose bytes changed, and pings the WebSub hub about those. Never throws for a bad feed:
 * failures are logged and returned in `feeds.failed` (the previous good file stays in place).
 * With a `manifest`, feeds whose inputs and files are unchanged since the last build are not even rendered.
 */
export async function buildFeeds(options: BuildFeedsOptions): Promise<BuildFeedsResult> {
  const { config, logger, manifest } = options
  const live = livePosts(options.posts, options.now)
  const plan = planFeeds(config, live)
  for (const conflict of plan.conflicts) {
    logger.warn(`feeds: ${conflict.path} belongs to "${conflict.kept}"; "${conflict.dropped}" is not written there (check feeds.paths)`)
  }

  const renderer = options.renderer ?? inlineFeedRenderer()
  const jobs = feedJobs(plan, config)
  const target = (job: FeedJob) => path.resolve(config.outputDir, job.path)
  const renderers = manifest ? await renderersFingerprint(manifest, renderer, options.renderersStamp) : ''
  const keys = manifest ? jobs.map((job) => feedFileKey(job.format, job.document, config.feeds, job.posts, renderers)) : []
  const upToDate = manifest ? jobs.map((job, index) => isUpToDate(target(job), manifest.get(job.path), keys[index]!)) : []

  const stale = jobs.filter((_, index) => !upToDate[index])
  const rendering =
    stale.length === 0 ? Promise.resolve({ written: [], unchanged: [], failed: [] }) : renderer.render(renderRequest(stale, config))
  const [outcome] = await Promise.allSettled([rendering, options.whileRendering?.()])
  if (outcome.status === 'rejected') throw outcome.reason
  const written = outcome.value
  const failed = written.failed
  const unchanged = new Set(written.unchanged)
  const settled = new Set([...written.written, ...written.unchanged])
  const feeds: WriteFeedsResult = {
    written: written.written,
    unchanged: jobs.filter((job, index) => upToDate[index] || unchanged.has(job.path)).map((job) => job.path),
    failed,
  }
  for (const failure of failed) logger.error(`feeds: ${failure.path} not written: ${failure.error}`)

  if (manifest) {
    jobs.forEach((job, index) => {
      if (upToDate[index]) return
      const record = settled.has(job.path) ? recordOf(target(job), keys[index]!) : null
      if (record) manifest.set(job.path, record)
      else manifest.delete(job.path)
    })
  }

  let websub: NotifyHubResult | null = null
  if (config.websubHub && feeds.written.length > 0) {
    const urls = new Map(plan.feeds.flatMap((feed) => feed.files.map((file) => [file.path, file.url] as const)))
    websub = await notifyHub({
      hubUrl: config.websubHub,
      feedUrls: feeds.written.map((file) => urls.get(file)!),
      fetch: options.fetch ?? globalThis.fetch,
      logger,
    })
  }
  return { feeds, livePosts: live.length, websub }
}
