import { isUtf8 } from 'node:buffer'
import { type Dirent, readdirSync, realpathSync, statSync } from 'node:fs'
import path from 'node:path'
import picomatch from 'picomatch'
import { glob } from 'tinyglobby'
import { formatLocated } from '../errors.js'

/*
 * Where posts are, as Nikola's scan_posts finds them: each glob `DIR/PATTERN` matches PATTERN in DIR and in every
 * folder below it (the sub-folder becomes part of the URL), names starting with a dot are skipped, and
 * `foo.LANG.ext` beside `foo.ext` is a translation of that post, not a post of its own.
 */

/** A post file found by the globs. */
export interface PostSource {
  /** Path relative to the site folder, `/` separators. */
  readonly file: string
  /** Sub-folder below the glob's folder (`2020/05` for `posts/2020/05/x.rst` matched by `posts/*.rst`), or ''. */
  readonly folder: string
  /** Translations found beside it: language → site-relative path (`{path}.{lang}.{ext}`, Nikola's default pattern). */
  readonly translations: Readonly<Record<string, string>>
}

/** What discovery found: the posts, and the paths it could not use (each message names the path). */
export interface Discovery {
  readonly sources: readonly PostSource[]
  readonly problems: ReadonlyArray<{ file: string; message: string }>
  /** The names in each folder walked (site-relative, '' for the site folder), as listed: a name not there was not there. */
  readonly listed: ReadonlyMap<string, ReadonlySet<string>>
}

const GLOB_CHARS = /[*?[\]{}!]/
const TRANSLATION = /^(.+)\.([a-z]{2,3}(?:[_-][A-Za-z]{2,4})?)\.([^./]+)$/

/** Finds the post files of a site for its `posts` globs. Every file is listed once, sorted by path. */
export async function discoverPosts(siteDir: string, globs: readonly string[]): Promise<Discovery> {
  const found = new Map<string, string>()
  const problems: Array<{ file: string; message: string }> = []
  const listed = new Map<string, Set<string>>()
  // The globs of one folder (`posts/*.rst`, `posts/*.txt`, `posts/*.md`: the default) are matched in one walk of it,
  // at the place of the first of them (the first glob to find a file decides its sub-folder).
  const steps: Array<{ glob: string } | { folder: string; bases: string[] }> = []
  const walks = new Map<string, string[]>()
  for (const pattern of globs) {
    const clean = pattern.replace(/\\/g, '/').replace(/^\.\/+/, '')
    const directory = path.posix.dirname(clean)
    const folder = directory === '.' ? '' : directory
    if (GLOB_CHARS.test(directory)) steps.push({ glob: clean })
    else if (walks.has(folder)) walks.get(folder)!.push(path.posix.basename(clean))
    else {
      const bases = [path.posix.basename(clean)]
      walks.set(folder, bases)
      steps.push({ folder, bases })
    }
  }
  for (const step of steps) {
    if ('folder' in step) {
      walk(siteDir, step.folder, '', picomatch(step.bases, { dot: false }), { found, problems, listed, seen: new Set() })
      continue
    }
    // A wildcard in the folder part: matched as written, without Nikola's recursion.
    for (const file of await glob([step.glob], { cwd: siteDir, onlyFiles: true, dot: false })) {
      const relative = file.split(path.sep).join('/')
      if (!found.has(relative)) found.set(relative, '')
    }
  }
  const files = [...found.keys()].filter((file) => !file.endsWith('.meta'))
  const all = new Set(files)
  const sources: PostSource[] = []
  const translationsOf = new Map<string, Record<string, string>>()
  for (const file of files) {
    const translation = TRANSLATION.exec(file)
    const original = translation ? `${translation[1]}.${translation[3]}` : null
    if (original && all.has(original)) {
      const record = translationsOf.get(original) ?? {}
      record[translation![2]!] = file
      translationsOf.set(original, record)
    }
  }
  const translated = new Set([...translationsOf.values()].flatMap((record) => Object.values(record)))
  for (const file of files.sort(compareNames)) {
    if (translated.has(file)) continue
    sources.push({ file, folder: found.get(file) ?? '', translations: translationsOf.get(file) ?? {} })
  }
  return { sources, problems, listed }
}

const compareNames = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

// Synchronous on purpose, like the stamps (infra/file-stat.ts): each awaited call was a trip through libuv's thread pool,
// and the main thread has nothing else to do meanwhile.
function walk(
  siteDir: string,
  root: string,
  folder: string,
  matches: (name: string) => boolean,
  walked: {
    found: Map<string, string>
    problems: Array<{ file: string; message: string }>
    listed: Map<string, Set<string>>
    seen: Set<string>
  },
): void {
  const { found, problems, listed, seen } = walked
  const relativeDir = [root, folder].filter(Boolean).join('/')
  const absoluteDir = path.join(siteDir, relativeDir)
  let real: string
  try {
    real = realpathSync.native(absoluteDir)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ELOOP')
      problems.push({ file: relativeDir, message: formatLocated('is a symbolic link loop; skipped', { file: relativeDir }) })
    return
  }
  if (seen.has(real)) {
    problems.push({
      file: relativeDir,
      message: formatLocated('is a symbolic link back into a folder already read (a loop); skipped', { file: relativeDir }),
    })
    return
  }
  seen.add(real)
  let entries: Dirent<Buffer>[]
  try {
    entries = readdirSync(absoluteDir, { withFileTypes: true, encoding: 'buffer' })
  } catch {
    return
  }
  // In byte order (a latin1 string compares as its bytes do), without a Buffer.compare call per comparison (~10 ms for a
  // folder of 1,000 posts).
  const ordered = entries.map((entry) => ({ entry, key: entry.name.toString('latin1') })).sort((a, b) => compareNames(a.key, b.key))
  const names = new Set<string>()
  listed.set(relativeDir, names)
  for (const { entry } of ordered) {
    if (!isUtf8(entry.name)) {
      const shown = `${relativeDir ? `${relativeDir}/` : ''}${entry.name.toString('latin1')}`
      problems.push({ file: shown, message: formatLocated('the file name is not valid UTF-8; rename it', { file: shown }) })
      continue
    }
    const name = entry.name.toString('utf8')
    names.add(name)
    if (name.startsWith('.')) continue
    const relative = relativeDir ? `${relativeDir}/${name}` : name
    const subFolder = folder ? `${folder}/${name}` : name
    let kind: 'file' | 'directory' | 'other' | 'loop'
    if (entry.isSymbolicLink()) {
      try {
        const target = statSync(path.join(absoluteDir, name))
        kind = target.isFile() ? 'file' : target.isDirectory() ? 'directory' : 'other'
      } catch (error) {
        kind = (error as NodeJS.ErrnoException).code === 'ELOOP' ? 'loop' : 'other'
        if (kind === 'other' && !matches(name)) continue
      }
    } else kind = entry.isFile() ? 'file' : entry.isDirectory() ? 'directory' : 'other'
    if (kind === 'directory') {
      if (matches(name))
        problems.push({ file: relative, message: formatLocated('matches the posts glob but is a folder; not a post', { file: relative }) })
      walk(siteDir, root, subFolder, matches, walked)
    } else if (matches(name)) {
      if (kind === 'file') {
        if (!found.has(relative)) found.set(relative, folder)
      } else if (kind === 'loop')
        problems.push({ file: relative, message: formatLocated('is a symbolic link loop; not a post', { file: relative }) })
      else
        problems.push({
          file: relative,
          message: formatLocated('matches the posts glob but is not a regular file (a FIFO, socket, device or broken link); not a post', {
            file: relative,
          }),
        })
    }
  }
}
