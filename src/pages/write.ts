import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { writeFileAtomically } from '../infra/atomic-file.js'
import { GENERATOR_MARK } from './layout.js'

/** One HTML page to write, relative to the output folder (`/`-separated). */
export interface PageFile {
  readonly path: string
  readonly html: string
}

/** What {@link writePages} did, by path. */
export interface WritePagesResult {
  readonly written: string[]
  readonly unchanged: string[]
  /** Files that exist and were not made by Herald (no generator mark): left as they are. */
  readonly foreign: string[]
}

/**
 * Writes pages whose bytes changed (atomically), and never replaces a file Herald did not write: a Nikola page or
 * a hand-made `index.html` at the same path is left alone and reported.
 */
export async function writePages(outputDir: string, pages: readonly PageFile[]): Promise<WritePagesResult> {
  const root = path.resolve(outputDir)
  const result: WritePagesResult = { written: [], unchanged: [], foreign: [] }
  for (const page of pages) {
    const target = path.resolve(root, page.path)
    if (!target.startsWith(root + path.sep)) throw new Error(`${page.path}: the path leaves the output folder ${root}`)
    const existing = await readFile(target, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'EISDIR') return null
      throw error
    })
    if (existing === page.html) {
      result.unchanged.push(page.path)
      continue
    }
    if (existing !== null && !existing.includes(GENERATOR_MARK)) {
      result.foreign.push(page.path)
      continue
    }
    await writeFileAtomically(target, page.html)
    result.written.push(page.path)
  }
  return result
}

/** The file a page URL under `siteUrl` is served from: `posts/a/` → `posts/a/index.html`; null outside the site. */
export function pageFileFor(siteUrl: string, url: string): string | null {
  if (!url.startsWith(siteUrl)) return null
  let relative: string
  try {
    relative = decodeURIComponent(url.slice(siteUrl.length).split(/[?#]/)[0]!)
  } catch {
    return null
  }
  if (relative === '' || relative.endsWith('/')) return `${relative}index.html`
  return /\.html?$/i.test(relative) ? relative : `${relative}/index.html`
}
