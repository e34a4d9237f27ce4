import { createHash } from 'node:crypto'
import { readFile, realpath, stat } from 'node:fs/promises'
import path from 'node:path'
import { promisify } from 'node:util'
import { gzip as gzipCallback } from 'node:zlib'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { FeedsConfig } from '../config.js'
import { HttpError } from './errors.js'

const gzip = promisify(gzipCallback)

/** Feed media types (with charset), by format. */
export const FEED_CONTENT_TYPES = {
  rss: 'application/rss+xml; charset=utf-8',
  atom: 'application/atom+xml; charset=utf-8',
  json: 'application/feed+json; charset=utf-8',
} as const

const BY_EXTENSION: Record<string, string> = {
  '.xml': FEED_CONTENT_TYPES.rss,
  '.rss': FEED_CONTENT_TYPES.rss,
  '.atom': FEED_CONTENT_TYPES.atom,
  '.json': FEED_CONTENT_TYPES.json,
}

/** Options for {@link registerFeedRoutes}. */
export interface FeedRoutesOptions {
  /** Absolute output folder (`config.outputDir`). */
  readonly outputDir: string
  readonly feeds: FeedsConfig
  /** Default `public, max-age=300`. */
  readonly cacheControl?: string
  readonly notFound: string
}

interface CachedFeed {
  readonly signature: string
  readonly body: Buffer
  readonly etag: string
  readonly lastModified: Date
  gzipped?: Promise<Buffer>
}

/**
 * Serves feed files from the output folder at their paths (`rss.xml`, `feed.atom`, `feed.json`, and tag
 * and category feeds by extension), nothing else. Strong ETag from the bytes (a different one for the
 * gzip encoding, as strong validators must differ per representation), Last-Modified from the file,
 * 304 for If-None-Match (preferred) or If-Modified-Since, gzip when the client accepts it. Files are
 * re-read only when their size, mtime or inode change (feeds are replaced atomically by rename).
 */
export function registerFeedRoutes(app: FastifyInstance, options: FeedRoutesOptions): void {
  const cache = new Map<string, CachedFeed>()
  const exact = new Map<string, string>(
    (['rss', 'atom', 'json'] as const).map((format) => [options.feeds.paths[format].replace(/^\/+/, ''), FEED_CONTENT_TYPES[format]]),
  )
  const cacheControl = options.cacheControl ?? 'public, max-age=300'

  app.get('/*', async (request: FastifyRequest<{ Params: { '*': string } }>, reply: FastifyReply) => {
    const relative = request.params['*'] ?? ''
    const contentType = exact.get(relative) ?? BY_EXTENSION[path.extname(relative).toLowerCase()]
    const file = contentType ? await resolveInside(options.outputDir, relative) : null
    if (!contentType || !file) throw new HttpError(404, options.notFound)
    const feed = await load(cache, file)
    if (!feed) throw new HttpError(404, options.notFound)

    const useGzip = acceptsGzip(request.headers['accept-encoding'])
    const etag = useGzip ? `${feed.etag.slice(0, -1)}-gz"` : feed.etag
    reply
      .header('Content-Type', contentType)
      .header('ETag', etag)
      .header('Last-Modified', feed.lastModified.toUTCString())
      .header('Cache-Control', cacheControl)
      .header('Vary', 'Accept-Encoding')
    if (notModified(request, feed)) return reply.code(304).send()
    if (!useGzip) return reply.send(feed.body)
    feed.gzipped ??= gzip(feed.body)
    return reply.header('Content-Encoding', 'gzip').send(await feed.gzipped)
  })
}

/** A path inside `root`, following symlinks, or null for anything that escapes it or names a hidden file. */
async function resolveInside(root: string, relative: string): Promise<string | null> {
  if (relative === '' || relative.includes('\0') || relative.includes('\\')) return null
  if (relative.split('/').some((segment) => segment === '' || segment.startsWith('.'))) return null
  try {
    const realRoot = await realpath(root)
    const real = await realpath(path.resolve(root, relative))
    return real.startsWith(realRoot + path.sep) ? real : null
  } catch {
    return null
  }
}

async function load(cache: Map<string, CachedFeed>, file: string): Promise<CachedFeed | null> {
  let info: Awaited<ReturnType<typeof stat>>
  try {
    info = await stat(file)
  } catch {
    return null
  }
  if (!info.isFile()) return null
  const signature = `${info.size}:${info.mtimeMs}:${info.ino}`
  const cached = cache.get(file)
  if (cached?.signature === signature) return cached
  const body = await readFile(file)
  const feed: CachedFeed = {
    signature,
    body,
    etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 32)}"`,
    lastModified: new Date(Math.floor(info.mtimeMs / 1000) * 1000),
  }
  cache.set(file, feed)
  return feed
}

function notModified(request: FastifyRequest, feed: CachedFeed): boolean {
  const ifNoneMatch = request.headers['if-none-match']
  if (ifNoneMatch !== undefined) {
    // Weak comparison (RFC 9110 §13.1.2), against both encodings: a client's cached copy in either is current.
    const opaque = feed.etag.slice(1, -1)
    return ifNoneMatch.split(',').some((candidate) => {
      const tag = candidate.trim().replace(/^W\//, '')
      return tag === '*' || tag === `"${opaque}"` || tag === `"${opaque}-gz"`
    })
  }
  const ifModifiedSince = request.headers['if-modified-since']
  if (ifModifiedSince === undefined) return false
  const since = Date.parse(ifModifiedSince)
  return !Number.isNaN(since) && feed.lastModified.getTime() <= since
}

/** Whether an Accept-Encoding header allows gzip (`gzip` or `*` with q > 0). */
export function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false
  let star: boolean | null = null
  for (const part of header.toLowerCase().split(',')) {
    const [coding = '', ...params] = part.trim().split(';')
    const q = params.map((param) => /^\s*q=([\d.]+)\s*$/.exec(param)?.[1]).find((value) => value !== undefined)
    const allowed = q === undefined || Number(q) > 0
    if (coding.trim() === 'gzip' || coding.trim() === 'x-gzip') return allowed
    if (coding.trim() === '*') star = allowed
  }
  return star ?? false
}
