import type { FeedFormat } from '../config.js'
import { renderAtom } from './atom.js'
import { type FeedEntryOptions, feedEntry } from './entry.js'
import { renderJsonFeed } from './jsonfeed.js'
import type { EntryInput } from './manifest.js'
import { renderRss } from './rss.js'
import type { FeedDocument, FeedEntry } from './types.js'
import { type FailedFeedFile, type RenderedFeedFile, type WriteFeedsResult, writeFeedFiles } from './write.js'

/** One feed file to render: its document without entries, and its posts as indexes into {@link FeedRenderRequest.posts}. */
export interface FeedFileJob {
  readonly format: FeedFormat
  /** Relative to the output folder, `/`-separated. */
  readonly path: string
  readonly document: Omit<FeedDocument, 'entries'>
  /** Newest first. */
  readonly posts: readonly number[]
}

/**
 * Everything needed to render and write some feed files: plain data, so that it can be posted to a thread.
 * Each post appears once however many files show it.
 */
export interface FeedRenderRequest {
  readonly outputDir: string
  readonly entryOptions: FeedEntryOptions
  readonly posts: readonly EntryInput[]
  readonly files: readonly FeedFileJob[]
}

const RENDERERS: Record<FeedFormat, (document: FeedDocument) => string> = {
  rss: renderRss,
  atom: renderAtom,
  json: renderJsonFeed,
}

/** Renders one feed document in one format. Pure. */
function renderFeed(format: FeedFormat, document: FeedDocument): string {
  return RENDERERS[format](document)
}

/**
 * Renders the files of `request` and writes those whose bytes changed (see {@link writeFeedFiles}: each is parsed
 * first, and a bad one leaves the previous file in place). Never throws for one bad file: it is in `failed`.
 */
export async function renderFeedFiles(request: FeedRenderRequest): Promise<WriteFeedsResult> {
  const entries = new Array<FeedEntry | undefined>(request.posts.length)
  const entryOf = (index: number) => {
    entries[index] ??= feedEntry(request.posts[index]!, request.entryOptions)
    return entries[index]
  }
  const rendered: RenderedFeedFile[] = []
  const failed: FailedFeedFile[] = []
  for (const file of request.files) {
    try {
      const document: FeedDocument = { ...file.document, entries: file.posts.map(entryOf) }
      rendered.push({ format: file.format, path: file.path, content: renderFeed(file.format, document) })
    } catch (error) {
      failed.push({ path: file.path, error: `could not render: ${(error as Error).message}` })
    }
  }
  const written = await writeFeedFiles(request.outputDir, rendered)
  return { written: written.written, unchanged: written.unchanged, failed: [...failed, ...written.failed] }
}
