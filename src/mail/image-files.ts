import { open } from 'node:fs/promises'
import path from 'node:path'
import { imageSize } from 'image-size'
import type { ImageSize, ImageSizeLookup } from './email-html.js'

/** Bytes read from the start of an image file: enough for the size of every format image-size reads. */
const HEADER_BYTES = 256 * 1024

/**
 * Real sizes of the site's own images, read from the files: a URL under `siteUrl` is looked for at the same path in
 * each folder of `roots` (the output folder, then the site folder, where Nikola keeps `images/` and `files/`).
 * Anything else (another host, a missing or unreadable file) is unknown. Answers are remembered per process.
 */
export function localImageSizes(siteUrl: string, roots: readonly string[]): ImageSizeLookup {
  const known = new Map<string, Promise<ImageSize | null>>()
  const base = new URL(siteUrl)
  return (url) => {
    let hit = known.get(url)
    if (!hit) {
      hit = find(url)
      known.set(url, hit)
      if (known.size > 2000) known.delete(known.keys().next().value!)
    }
    return hit
  }

  async function find(url: string): Promise<ImageSize | null> {
    let target: URL
    try {
      target = new URL(url)
    } catch {
      return null
    }
    if (target.origin !== base.origin || !target.pathname.startsWith(base.pathname)) return null
    let relative: string
    try {
      relative = decodeURIComponent(target.pathname.slice(base.pathname.length))
    } catch {
      return null
    }
    for (const root of roots) {
      const file = path.resolve(root, relative)
      if (!file.startsWith(path.resolve(root) + path.sep)) continue
      const size = await readSize(file)
      if (size) return size
    }
    return null
  }
}

async function readSize(file: string): Promise<ImageSize | null> {
  let handle: Awaited<ReturnType<typeof open>> | undefined
  try {
    handle = await open(file, 'r')
    const buffer = Buffer.alloc(HEADER_BYTES)
    const { bytesRead } = await handle.read(buffer, 0, HEADER_BYTES, 0)
    const size = imageSize(buffer.subarray(0, bytesRead))
    if (!size.width || !size.height) return null
    // EXIF orientations 5–8 turn the picture a quarter: the displayed width is the stored height.
    const turned = (size.orientation ?? 1) >= 5
    return turned ? { width: size.height, height: size.width } : { width: size.width, height: size.height }
  } catch {
    return null
  } finally {
    await handle?.close()
  }
}
