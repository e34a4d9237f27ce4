import path from 'node:path'
import type { Config, FeedFormat } from '../config.js'
import type { Logger } from '../log.js'
import type { Post } from '../posts/types.js'
import { livePosts } from '../publishing/live.js'
import { renderAtom } from './atom.js'
import { feedEntry } from './entry.js'
import { renderJsonFeed } from './jsonfeed.js'
import { type FeedManifest, feedFileKey, isUpToDate, recordOf } from './manifest.js'
import { type FeedPlan, planFeeds } from './plan.js'
import { renderRss } from './rss.js'
import type { FeedDocument, FeedEntry } from './types.js'
import { type NotifyHubResult, notifyHub } from './websub.js'
import { type FailedFeedFile, type RenderedFeedFile, type WriteFeedsResult, writeFeedFiles } from './write.js'

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
}

/** What {@link buildFeeds} did. Paths are relative to the output folder. */
export interface BuildFeedsResult {
  readonly feeds: WriteFeedsResult
  /** Posts live at `now`. */
  readonly livePosts: number
  /** Outcome of the WebSub pings, or null when no hub is configured or no feed changed. */
  readonly websub: NotifyHubResult | null
}

const RENDERERS: Record<FeedFormat, (document: FeedDocument) => string> = {
  rss: renderRss,
  atom: renderAtom,
  json: renderJsonFeed,
}

/** Renders one feed document in one format. Pure. */
export function renderFeed(format: FeedFormat, document: FeedDocument): string {
  return RENDERERS[format](document)
}

/** One file of a planned feed: what to render and where it goes. */
interface FeedJob {
  readonly format: FeedFormat
  readonly path: string
  readonly document: FeedDocument
  readonly posts: readonly Post[]
}

/** The document of every file of `plan`, entries shared between the files and feeds a post is in. Pure. */
function feedJobs(plan: FeedPlan, config: Pick<Config, 'site' | 'feeds' | 'websubHub'>): FeedJob[] {
  const entries = new Map<Post, FeedEntry>()
  const entryOf = (post: Post) => {
    let entry = entries.get(post)
    if (!entry) {
      entry = feedEntry(post, { teasers: config.feeds.teasers, language: config.site.language })
      entries.set(post, entry)
    }
    return entry
  }
  return plan.feeds.flatMap((feed) => {
    let feedEntries: FeedEntry[] | null = null
    return feed.files.map((file) => ({
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
        // Built on first use, so files skipped thanks to the manifest cost no entry rendering.
        get entries() {
          feedEntries ??= feed.posts.map(entryOf)
          return feedEntries
        },
      },
    }))
  })
}

function renderJobs(jobs: readonly FeedJob[]): { files: RenderedFeedFile[]; failed: FailedFeedFile[] } {
  const files: RenderedFeedFile[] = []
  const failed: FailedFeedFile[] = []
  for (const job of jobs) {
    try {
      files.push({ format: job.format, path: job.path, content: renderFeed(job.format, job.document) })
    } catch (error) {
      failed.push({ path: job.path, error: `could not render: ${(error as Error).message}` })
    }
  }
  return { files, failed }
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

  const jobs = feedJobs(plan, config)
  const target = (job: FeedJob) => path.resolve(config.outputDir, job.path)
  const keys = manifest ? jobs.map((job) => feedFileKey(job.format, job.document, config.feeds, job.posts)) : []
  const upToDate = manifest ? jobs.map((job, index) => isUpToDate(target(job), manifest.get(job.path), keys[index]!)) : []

  const rendered = renderJobs(jobs.filter((_, index) => !upToDate[index]))
  const written = await writeFeedFiles(config.outputDir, rendered.files)
  const failed = [...rendered.failed, ...written.failed]
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
