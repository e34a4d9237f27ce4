import { stat } from 'node:fs/promises'
import path from 'node:path'
import { archivePath } from '../digest/compose.js'
import { digestOrder } from '../editions/snapshot.js'
import { writeFeedFiles } from '../feeds/write.js'
import { type ArchiveEntry, archiveFeed, archiveFiles, archiveIndex } from '../pages/archive.js'
import { writePages } from '../pages/write.js'
import type { SiteServices } from './services.js'

/** What {@link updateArchive} wrote. */
export interface ArchiveResult {
  /** Editions whose page was written now (new, or missing on disk). */
  readonly pagesWritten: readonly string[]
  /** The index and the feed were rewritten (their bytes changed). */
  readonly indexWritten: boolean
}

/**
 * Keeps the web archive in the output folder: a page for every edition (the digest template, whole posts, no
 * recipient's data) at `<archive.path>/<edition id>/`, an index and an Atom feed. Runs in the publish cycle right after
 * an edition is claimed and before it is queued, so the "View in browser" link of every email works when it arrives.
 * An edition's page is written once (when missing); the index and the feed are rewritten when their bytes change.
 * Cheap when nothing is new: it stops after checking that the index exists.
 */
export async function updateArchive(services: SiteServices, options: { readonly newEdition?: string | null } = {}): Promise<ArchiveResult> {
  const { config, logger } = services.context
  const files = archiveFiles(config)
  const indexFile = path.join(config.outputDir, files.index)
  const editions = await services.editions.list()
  if (!options.newEdition && (editions.length === 0 || (await exists(indexFile)))) return { pagesWritten: [], indexWritten: false }

  const composer = await services.composer()
  const entries: ArchiveEntry[] = []
  const pagesWritten: string[] = []
  for (const edition of editions) {
    const posts = digestOrder(await services.editions.posts(edition.id))
    if (posts.length === 0) continue
    const page = `${archivePath(config, edition.id)}index.html`
    if (!(await exists(path.join(config.outputDir, page)))) {
      const written = await writePages(config.outputDir, [{ path: page, html: await composer.archivePage(posts, edition) }])
      pagesWritten.push(...written.written.map(() => edition.id))
    }
    entries.push({
      editionId: edition.id,
      date: edition.createdAt,
      subject: composer.subjectFor(posts, edition),
      url: composer.archiveUrl(edition.id),
      posts: posts.map((post) => ({ title: post.title, url: post.permalink })),
    })
  }
  const index = await writePages(config.outputDir, [{ path: files.index, html: archiveIndex(config, entries) }])
  for (const foreign of index.foreign) logger.warn(`${foreign}: not written by Herald; the archive index was left as it is`)
  const feed = await writeFeedFiles(config.outputDir, [{ format: 'atom', path: files.feed, content: archiveFeed(config, entries) }])
  for (const failed of feed.failed) logger.error(`${failed.path}: the archive feed was not written: ${failed.error}`)
  if (pagesWritten.length > 0) logger.info(`archive: ${pagesWritten.length} edition page(s) written under ${config.archive.path}/`)
  return { pagesWritten, indexWritten: index.written.length > 0 || feed.written.length > 0 }
}

async function exists(file: string): Promise<boolean> {
  return (await stat(file).catch(() => null)) !== null
}
