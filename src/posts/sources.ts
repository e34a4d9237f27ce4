import { readFile, realpath } from 'node:fs/promises'
import path from 'node:path'
import { normaliseText } from './metadata.js'

/*
 * Files a post body reads besides itself: `.. include::` (docutils) and `.. listing::` (Nikola, from listings/).
 * They are read before rendering, so the render stays a pure function of the body and these files (its cache key
 * holds their hashes), and never from outside the site folder.
 */

/** Where an include may be: relative to the site folder (Nikola runs docutils there), then to the post's folder. */
export function includeCandidates(argument: string, postFile: string): string[] {
  const clean = argument.trim().replace(/\\/g, '/')
  if (clean === '' || /^<.*>$/.test(clean)) return []
  const fromRoot = path.posix.normalize(clean.replace(/^\/+/, ''))
  const fromPost = path.posix.normalize(path.posix.join(path.posix.dirname(postFile), clean))
  return [...new Set([fromRoot, fromPost])]
}

const INCLUDE = /^([ \t]*)\.\.[ \t]+include::[ \t]*(.*)$/
const LISTING = /^[ \t]*\.\.[ \t]+listing::[ \t]*(\S+)/
const LISTING_SHORTCODE = /\{\{%\s*listing\s+(\S+)/

const REFERENCE_HINT = /include::|listing/

/** Site-relative paths a reST (or Markdown) text may read, to be loaded before rendering. */
export function referencedFiles(text: string, postFile: string): string[] {
  const found: string[] = []
  if (!REFERENCE_HINT.test(text)) return found
  for (const line of text.split('\n')) {
    const include = INCLUDE.exec(line)
    if (include) found.push(...includeCandidates(include[2]!, postFile))
    const listing = LISTING.exec(line) ?? LISTING_SHORTCODE.exec(line)
    if (listing) found.push(listingPath(listing[1]!))
  }
  return found
}

/**
 * The site file a listing names, as Nikola finds it: `hello.py` (its old syntax) and `listings/hello.py` (its new one)
 * both name `listings/hello.py`; `./hello.py` and `a\\b.py` too, normalised. The one rule for reading a listing,
 * showing it and linking to it.
 */
export function listingPath(name: string): string {
  const clean = name.replace(/\\/g, '/').replace(/^\/+/, '')
  return path.posix.normalize(clean.startsWith('listings/') ? clean : `listings/${clean}`)
}

/** A site-relative path inside the site folder, or null for one that leaves it (`..`, absolute, a symlink out). */
async function insideSite(siteDir: string, relative: string): Promise<string | null> {
  if (relative.startsWith('../') || relative === '..' || path.posix.isAbsolute(relative)) return null
  const absolute = path.resolve(siteDir, relative)
  try {
    const [real, root] = await Promise.all([realpath(absolute), realpath(siteDir)])
    return real === root || real.startsWith(root + path.sep) ? real : null
  } catch {
    return absolute
  }
}

/**
 * Files a post (and what it includes) reads, by site-relative path; null when missing, unreadable or outside the site.
 * `beforeRead` is told each path just before it is read (the post index stamps it then).
 */
export async function readReferencedFiles(
  siteDir: string,
  body: string,
  postFile: string,
  beforeRead: (relative: string) => void = () => {},
): Promise<Record<string, string | null>> {
  const files: Record<string, string | null> = {}
  let pending = referencedFiles(body, postFile)
  for (let depth = 0; depth < 8 && pending.length > 0; depth++) {
    const next: string[] = []
    for (const relative of pending) {
      if (relative in files) continue
      beforeRead(relative)
      const absolute = await insideSite(siteDir, relative)
      const text = absolute === null ? null : await readFile(absolute, 'utf8').catch(() => null)
      files[relative] = text === null ? null : normaliseText(text)
      if (text !== null) next.push(...referencedFiles(files[relative]!, relative))
    }
    pending = next
  }
  return files
}

/** The `:start-line:`, `:end-line:`, `:start-after:`, `:end-before:` options of `include` and `listing`. */
export interface IncludeRange {
  readonly startLine?: string | null
  readonly endLine?: string | null
  readonly startAfter?: string | null
  readonly endBefore?: string | null
}

/** The part of an included file the options select (docutils' semantics: 0-based line slices, then text markers). */
export function sliceIncluded(text: string, range: IncludeRange): string {
  let lines = text.split('\n')
  if (lines.at(-1) === '') lines = lines.slice(0, -1)
  const start = range.startLine ? Number(range.startLine) : 0
  const end = range.endLine ? Number(range.endLine) : undefined
  let content = lines.slice(Number.isFinite(start) ? start : 0, end !== undefined && Number.isFinite(end) ? end : undefined).join('\n')
  if (range.startAfter) {
    const at = content.indexOf(range.startAfter)
    if (at >= 0) content = content.slice(at + range.startAfter.length)
  }
  if (range.endBefore) {
    const at = content.indexOf(range.endBefore)
    if (at >= 0) content = content.slice(0, at)
  }
  return content
}

// Lines map to themselves when nothing was included (ExpandedSource.origin falls back to the line itself).
const IDENTITY: readonly number[] = []

/** A reST source with its includes expanded, and for each of its lines the line of the post it comes from. */
export interface ExpandedSource {
  readonly text: string
  /** `origin[i]` = 1-based line in the original body of expanded line i+1. */
  readonly origin: readonly number[]
  /** Includes that could not be expanded: the body line and why. */
  readonly problems: ReadonlyArray<{ line: number; message: string; shown: string }>
}

/**
 * Replaces every `.. include::` with the file's text (indented like the directive), as docutils does, so the
 * substitutions and targets an included file defines work in the post. `:literal:` and `:code:` includes become a
 * literal block or a code block. Missing or refused files leave a marker directive in place.
 */
export function expandIncludes(body: string, postFile: string, files: Readonly<Record<string, string | null>>, depth = 0): ExpandedSource {
  if (!body.includes('include::')) return { text: body, origin: IDENTITY, problems: [] }
  const lines = body.split('\n')
  if (!lines.some((line) => INCLUDE.test(line))) return { text: body, origin: IDENTITY, problems: [] }
  const out: string[] = []
  const origin: number[] = []
  const problems: Array<{ line: number; message: string; shown: string }> = []
  for (let index = 0; index < lines.length; index++) {
    const match = INCLUDE.exec(lines[index]!)
    if (!match) {
      out.push(lines[index]!)
      origin.push(index + 1)
      continue
    }
    const indent = match[1]!
    const argument = match[2]!.trim()
    const options: Record<string, string> = {}
    let next = index + 1
    for (; next < lines.length; next++) {
      const optionLine = /^[ \t]+:([\w-]+):[ \t]*(.*)$/.exec(lines[next]!)
      if (!optionLine || lines[next]!.length - lines[next]!.trimStart().length <= indent.length) break
      options[optionLine[1]!] = optionLine[2]!.trim()
    }
    const candidates = includeCandidates(argument, postFile)
    const found = candidates.find((candidate) => typeof files[candidate] === 'string')
    const push = (text: string) => {
      out.push(text)
      origin.push(index + 1)
    }
    if (found === undefined || depth > 6) {
      const refused = candidates.length > 0 && candidates.every((candidate) => candidate.startsWith('..'))
      problems.push({
        line: index + 1,
        message: refused
          ? `include ${argument} is outside the site folder; refused`
          : candidates.length === 0
            ? `include ${argument}: standard docutils includes are not available`
            : `include ${argument} not found (looked for ${candidates.join(', ')})`,
        shown: `include ${argument}`,
      })
      push(`${indent}.. herald-problem:: ${problems.length - 1}`)
      index = next - 1
      continue
    }
    const slice = sliceIncluded(files[found]!, {
      startLine: options['start-line'] ?? null,
      endLine: options['end-line'] ?? null,
      startAfter: options['start-after'] ?? null,
      endBefore: options['end-before'] ?? null,
    })
    if ('literal' in options || 'code' in options) {
      push(`${indent}${'code' in options ? `.. code-block:: ${options.code}` : '.. code-block:: text'}`)
      if ('number-lines' in options) push(`${indent}   :number-lines: ${options['number-lines']}`)
      push('')
      for (const line of slice.split('\n')) push(line === '' ? '' : `${indent}   ${line}`)
      push('')
    } else {
      const inner = expandIncludes(slice, found, files, depth + 1)
      const offset = problems.length
      const text = inner.text.replace(
        /(\.\. herald-problem:: )(\d+)/g,
        (_whole, head: string, at: string) => `${head}${Number(at) + offset}`,
      )
      for (const line of text.split('\n')) push(line === '' ? '' : `${indent}${line}`)
      for (const problem of inner.problems) problems.push({ ...problem, line: index + 1 })
      push('')
    }
    index = next - 1
  }
  return { text: out.join('\n'), origin, problems }
}
