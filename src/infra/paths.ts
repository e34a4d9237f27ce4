import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * Herald's own folder (where package.json, templates/ and patches/ are), found from this file whether it runs as
 * TypeScript sources (src/infra/) or as the compiled JavaScript (dist/src/infra/).
 */
export const PACKAGE_ROOT = findPackageRoot(path.dirname(fileURLToPath(import.meta.url)))

function findPackageRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json')
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'herald') return dir
    if (path.dirname(dir) === dir) throw new Error(`no herald package.json above ${start}`)
  }
}
