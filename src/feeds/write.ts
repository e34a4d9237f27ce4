import { readFile } from 'node:fs/promises'
import path from 'node:path'
import type { FeedFormat } from '../config.js'
import { writeFileAtomically } from '../infra/atomic-file.js'
import { statIfPresent } from '../infra/file-stat.js'
import { checkXml, formatXmlProblem } from './check.js'

/** A rendered feed file, ready to be written. */
export interface RenderedFeedFile {
  readonly format: FeedFormat
  /** Relative to the output folder, `/`-separated. */
  readonly path: string
  readonly content: string
}

/** A feed file that was not written, and why. The previous file (if any) is still in place. */
export interface FailedFeedFile {
  readonly path: string
  readonly error: string
}

/** What {@link writeFeedFiles} did, each list in input order. */
export interface WriteFeedsResult {
  /** Files whose bytes changed (or that are new), written. */
  readonly written: string[]
  /** Files whose bytes were already right, left alone (mtime untouched). */
  readonly unchanged: string[]
  readonly failed: FailedFeedFile[]
}

/** Options for {@link writeFeedFiles}. */
export interface WriteFeedsOptions {
  /** Files handled at the same time. Default 16. */
  readonly concurrency?: number
}

/**
 * Writes feed files into `outputDir`, each only when its bytes differ from what is there, through a temporary
 * file in the same folder and a rename, so readers never see half a file and unchanged files keep their mtime.
 * Every XML file is parsed (and every JSON file read back) before it replaces anything: a file that does not
 * parse is not written and is reported in `failed`, and the previous good file stays.
 * Removes nothing: feeds of tags that no longer have posts stay where they are.
 */
export async function writeFeedFiles(
  outputDir: string,
  files: readonly RenderedFeedFile[],
  options: WriteFeedsOptions = {},
): Promise<WriteFeedsResult> {
  const root = path.resolve(outputDir)
  const outcomes = new Array<{ status: 'written' | 'unchanged' } | { status: 'failed'; error: string }>(files.length)
  let next = 0
  const worker = async () => {
    while (next < files.length) {
      const index = next++
      outcomes[index] = await writeOne(root, files[index]!).catch((error: Error) => ({ status: 'failed' as const, error: error.message }))
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 16, files.length)) }, worker))

  const result: WriteFeedsResult = { written: [], unchanged: [], failed: [] }
  files.forEach((file, index) => {
    const outcome = outcomes[index]!
    if (outcome.status === 'failed') result.failed.push({ path: file.path, error: outcome.error })
    else result[outcome.status].push(file.path)
  })
  return result
}

async function writeOne(
  root: string,
  file: RenderedFeedFile,
): Promise<{ status: 'written' | 'unchanged' } | { status: 'failed'; error: string }> {
  const target = path.resolve(root, file.path)
  if (!target.startsWith(root + path.sep)) return { status: 'failed', error: `the path leaves the output folder ${root}` }
  const bytes = Buffer.from(file.content, 'utf8')
  // Only a file of the same size can hold the same bytes: the others are not read (most files of a rebuild changed).
  if (statIfPresent(target)?.size === bytes.length) {
    const existing = await readFile(target).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return null
      throw error
    })
    if (existing?.equals(bytes)) return { status: 'unchanged' }
  }

  const problem = parseProblem(file)
  if (problem !== null) return { status: 'failed', error: problem }

  await writeFileAtomically(target, bytes)
  return { status: 'written' }
}

function parseProblem(file: RenderedFeedFile): string | null {
  if (file.format === 'json') {
    try {
      JSON.parse(file.content)
      return null
    } catch (error) {
      return `not valid JSON: ${(error as Error).message}`
    }
  }
  const problem = checkXml(file.content)
  return problem === null ? null : `not well-formed XML: ${formatXmlProblem(problem)}`
}
