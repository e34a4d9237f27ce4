import { readdirSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { statIfPresent } from '../infra/file-stat.js'
import { PACKAGE_ROOT } from '../infra/paths.js'

// Herald's own code that shapes posts and feeds (with the shared modules at the top and the messages), and the chunks
// of the bundled dist/ (scripts/bundle.mjs): a changed renderer or feed writer must not be mistaken for "nothing changed".
const CODE_FOLDERS = ['', 'posts', 'feeds', 'pages', 'i18n', 'publishing', '../chunks'].map((folder) =>
  fileURLToPath(new URL(`../${folder}${folder ? '/' : ''}`, import.meta.url)),
)

let version: Promise<string> | undefined

function listFiles(folder: string): string[] {
  try {
    return readdirSync(folder).sort()
  } catch {
    return []
  }
}

/**
 * Names, sizes and mtimes of the code that renders posts and feeds, and Node's version (its time-zone data dates
 * posts): read once per process.
 */
export function codeVersion(): Promise<string> {
  version ??= (async () => {
    // Synchronous on purpose: ~150 files, and each awaited stat was a round trip through libuv's thread pool (the
    // main thread sat idle ~10 ms of every build for them).
    const stamps: string[] = [process.version]
    for (const folder of CODE_FOLDERS) {
      for (const entry of listFiles(folder)) {
        const info = statIfPresent(path.join(folder, entry))
        if (info?.isFile()) stamps.push(`${entry}:${info.size}:${info.mtimeMs}`)
      }
    }
    return stamps.join(',')
  })()
  return version
}

/**
 * {@link codeVersion} plus the identity of the installed packages (npm's `node_modules/.package-lock.json`, rewritten
 * by every install): what the feed renderers' output can depend on. Null when the packages cannot be identified that
 * way; the renderers are then fingerprinted on every build.
 */
export async function feedCodeStamp(): Promise<string | null> {
  const installed = statIfPresent(path.join(PACKAGE_ROOT, 'node_modules', '.package-lock.json'))
  if (!installed?.isFile()) return null
  return `${await codeVersion()}|packages:${installed.size}:${installed.mtimeMs}`
}
