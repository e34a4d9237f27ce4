import { isUtf8 } from 'node:buffer'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import type { Config } from '../config.js'
import { formatLocated } from '../errors.js'
import { messagesFor } from '../i18n/messages.js'
import { digestOf, knownBodyDigest } from './body-digest.js'
import { type PostDate, readPostDate } from './dates.js'
import { type MetadataField, normaliseText, parseSidecar, splitMetadata } from './metadata.js'
import { type FileStamp, FileStamps, type IndexedPost, type PostBodyField, type PostIndex } from './post-index.js'
import type { RenderCache } from './render-cache.js'
import { resolveSiteLinks, type SiteIndex } from './site-links.js'
import { slugify } from './slug.js'
import { readReferencedFiles, referencedFiles } from './sources.js'
import {
  type BodyFormat,
  POST_STATUSES,
  type Post,
  type PostCollection,
  type PostFailure,
  type PostStatus,
  type RenderContext,
  type RenderedBody,
} from './types.js'
import { absoluteLink, absolutizeHtml, encodeLink } from './urls.js'

/**
 * Turns a post body (reStructuredText, or Markdown when `context.format` says so) into HTML. `id` changes whenever
 * the output for the same input may change (cache key).
 */
export interface RstRenderer {
  readonly id: string
  render(body: string, context?: RenderContext): Promise<RenderedBody>
  /** Told how many bodies may come (posts not in the index) before the first, so it can get ready (threads). */
  expect?(count: number): void
}

/** What `loadPosts` needs. */
export interface LoadPostsOptions {
  readonly config: Config
  readonly renderer: RstRenderer
  /** Rendered bodies by content hash, so unchanged posts are not rendered again. Optional. */
  readonly cache?: RenderCache
  /**
   * What each post file gave last time (with `cache`): unchanged files are not even read, and their bodies are read
   * from the cache only when something shows them. Optional.
   */
  readonly index?: PostIndex
  /** Looks up file sizes and mtimes for the index (shared with the caller's own checks). Default: a fresh one. */
  readonly stamps?: FileStamps
  /** Called after each file, for progress display. */
  readonly onProgress?: (done: number, total: number) => void
  /** Clock for what `post-list` shows (posts live at this moment). Default: now. */
  readonly now?: number
}

/** A metadata value and where it was written (the post file or its `.meta` sidecar). */
interface SourcedField extends MetadataField {
  readonly file: string
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

/**
 * Reads every post matched by `config.posts` the way Nikola does and renders it.
 * A broken post becomes a `PostFailure` naming file, line and field; it never stops the others.
 */
export async function loadPosts(options: LoadPostsOptions): Promise<PostCollection> {
  const { config } = options
  const stamps = options.stamps ?? new FileStamps(config.siteDir)
  const discovery = await stamps.discovery(config.posts)
  const total = discovery.sources.length
  let done = 0
  const indexed = discovery.sources.map((source) => fromIndex(source.file, Object.values(source.translations), stamps, options))
  options.renderer.expect?.(indexed.filter((result) => result === null).length)
  const loading: Promise<LoadResult>[] = []
  for (const [at, source] of discovery.sources.entries()) {
    loading.push(
      (async () => {
        const result = indexed[at] ?? (await loadAndIndex(source.file, source.folder, Object.values(source.translations), stamps, options))
        options.onProgress?.(++done, total)
        return result
      })(),
    )
    // Each post is read and handed to the renderer in one go; every few posts the event loop gets a turn, so that
    // render threads that finished are given the next body instead of waiting until every post has been read.
    if (indexed[at] === null && loading.length % YIELD_EVERY === 0) await new Promise((resolve) => setImmediate(resolve))
  }
  const results = await Promise.all(loading)
  const collection = resolveDuplicates(results)
  const sources = new Map(
    results.flatMap((result) => (result.ok && result.siteLinks !== null ? [[result.post.file, result.siteLinks]] : [])),
  )
  const failures = [
    ...collection.failures,
    ...discovery.problems.map((problem) => ({ file: problem.file, slug: null, title: null, errors: [problem.message], warnings: [] })),
  ].sort((a, b) => compareFileNames(a.file, b.file))
  return { posts: resolveAcrossPosts(collection.posts, config, options.now ?? Date.now(), sources), failures }
}

/** Posts read between two turns of the event loop while loading (see `loadPosts`). */
const YIELD_EVERY = 8

const compareFileNames = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

const MARKDOWN = /\.(?:md|mdown|markdown)$/i

/** The markup of a post file, by extension (Nikola's COMPILERS: `.md`, `.mdown`, `.markdown` are Markdown). */
export const formatOf = (file: string): BodyFormat => (MARKDOWN.test(file) ? 'markdown' : 'rst')

/**
 * A post that loaded, or why not. `siteLinks` is the post's source when its body links to other posts (resolved once
 * all are known), else null.
 */
type LoadResult = { ok: true; post: Post; siteLinks: string | null } | { ok: false; failure: PostFailure }

/** A loaded post with what the index keeps of how its body was made. */
type FreshResult = (LoadResult & { ok: true; renderKey: string; bodyStartLine: number }) | (LoadResult & { ok: false })

const sidecarOf = (file: string) => `${file.replace(/\.[^./]+$/, '')}.meta`

/** The post as the index has it, when none of its files changed and its body is still in the render cache. */
function fromIndex(file: string, translations: string[], stamps: FileStamps, options: LoadPostsOptions): LoadResult | null {
  const { index, cache } = options
  if (!index || !cache) return null
  const entry = index.lookup(file, stamps)
  if (!entry || !cache.has(entry.renderKey)) return null
  const post = lazyPost(entry, translations, () => cache.readSync(entry.renderKey))
  // A post linking to others is read in this run anyway (to resolve the links): a body that cannot be read makes it new.
  if (entry.siteLinks !== null && !readable(() => post.html)) return null
  knownBodyDigest(post, entry.bodyDigest)
  return { ok: true, post, siteLinks: entry.siteLinks }
}

function readable(read: () => unknown): boolean {
  try {
    read()
    return true
  } catch {
    return false
  }
}

/** A post whose body fields read and finish the cached body on first use (most runs show only a few posts). */
function lazyPost(entry: IndexedPost, translations: string[], read: () => RenderedBody): Post {
  let body: Pick<Post, PostBodyField> | undefined
  const bodyOf = () => {
    if (!body) {
      let rendered: RenderedBody
      try {
        rendered = read()
      } catch (error) {
        throw new Error(`${entry.head.file}: ${(error as Error).message}`)
      }
      body = finishBody(shiftLines(rendered, entry.bodyStartLine), entry.head.permalink)
    }
    return body
  }
  return {
    ...entry.head,
    translations,
    get html() {
      return bodyOf().html
    },
    get teaserHtml() {
      return bodyOf().teaserHtml
    },
    get emailHtml() {
      return bodyOf().emailHtml
    },
    get emailTeaserHtml() {
      return bodyOf().emailTeaserHtml
    },
  }
}

/** Loads a post from its files and tells the index what it was made from (stamps taken before reading). */
async function loadAndIndex(
  file: string,
  folder: string,
  translations: string[],
  stamps: FileStamps,
  options: LoadPostsOptions,
): Promise<LoadResult> {
  const { index } = options
  const own = index ? [stamps.of(file), stamps.of(sidecarOf(file))] : []
  const result = await loadOne(file, folder, translations, stamps, options)
  if (!result.ok) return result
  const { post } = result
  const digest = digestOf(post.html, post.teaserHtml)
  knownBodyDigest(post, digest)
  if (index) {
    const read: FileStamp[] = post.dependencies.map((name) => stamps.of(name))
    const { html: _html, teaserHtml: _teaser, emailHtml: _email, emailTeaserHtml: _emailTeaser, translations: _t, ...head } = post
    index.record(file, {
      stamps: [...own, ...read],
      checkedAt: stamps.since,
      head,
      renderKey: result.renderKey,
      bodyStartLine: result.bodyStartLine,
      bodyDigest: digest,
      siteLinks: result.siteLinks,
    })
  }
  return { ok: true, post, siteLinks: result.siteLinks }
}

/** The body fields of a post from its rendered body: links made absolute against the permalink. */
function finishBody(rendered: RenderedBody, permalink: string): Pick<Post, PostBodyField> {
  const html = absolutizeHtml(rendered.html, permalink)
  const teaserHtml = rendered.teaserHtml === null ? null : absolutizeHtml(rendered.teaserHtml, permalink)
  return {
    html,
    teaserHtml,
    emailHtml: rendered.emailHtml === null ? html : absolutizeHtml(rendered.emailHtml, permalink),
    emailTeaserHtml: rendered.emailTeaserHtml === null ? teaserHtml : absolutizeHtml(rendered.emailTeaserHtml, permalink),
  }
}

async function loadOne(
  file: string,
  folder: string,
  translations: string[],
  stamps: FileStamps,
  options: LoadPostsOptions,
): Promise<FreshResult> {
  const { config } = options
  const absolute = path.join(config.siteDir, file)
  const sidecarFile = sidecarOf(file)
  const errors: string[] = []
  const warnings: string[] = []
  const fail = (slug: string | null = null, title: string | null = null): FreshResult => ({
    ok: false,
    failure: { file, slug, title, errors, warnings },
  })

  const source = readText(absolute, file, errors, config.maxPostBytes)
  if (source === null) return fail()
  // Most posts have no sidecar: the stamp (already taken) says so without a failed open per post.
  const sidecarBytes = stamps.of(sidecarFile)[1] === null ? null : readIfPresent(path.join(config.siteDir, sidecarFile))
  const sidecar = sidecarBytes ? decode(sidecarBytes, sidecarFile, errors) : null
  if (sidecarBytes && sidecar === null) return fail()

  const split = splitMetadata(source)
  const fields = new Map<string, SourcedField>()
  for (const [key, field] of split.fields) fields.set(key, { ...field, file })
  if (sidecar !== null) for (const [key, field] of parseSidecar(sidecar)) fields.set(key, { ...field, file: sidecarFile })
  if (fields.size === 0) {
    errors.push(
      formatLocated(`no metadata: start the file with ".. title: …" and ".. date: …" lines, or put them in ${sidecarFile}`, {
        file,
        line: 1,
      }),
    )
    return fail()
  }

  const problem = (field: string, message: string) => {
    const where = fields.get(field)
    errors.push(formatLocated(message, { file: where?.file ?? file, ...(where ? { line: where.line } : {}), field }))
  }
  const value = (key: string) => fields.get(key)?.value ?? null

  const title = value('title')
  if (title === null) problem('title', 'missing: every post needs ".. title: …"')
  const dateWarning = (field: string, message: string) => {
    const where = fields.get(field)
    warnings.push(formatLocated(message, { file: where?.file ?? file, ...(where ? { line: where.line } : {}), field }))
  }
  const date = readDate(fields, 'date', config.site.timezone, problem, dateWarning)
  if (!fields.has('date')) problem('date', 'missing: every post needs ".. date: YYYY-MM-DD HH:MM[:SS]"')
  const updated = fields.has('updated') ? readDate(fields, 'updated', config.site.timezone, problem, dateWarning) : date

  let slug = value('slug')?.trim() ?? ''
  if (slug === '') {
    slug = slugify(path.basename(file).replace(/\.[^.]+$/, ''))
    warnings.push(formatLocated(`no slug; using "${slug}" from the file name`, { file, field: 'slug' }))
  }
  if (/[/?#\\]/.test(slug)) problem('slug', `"${slug}" may not contain "/", "?", "#" or "\\"`)

  const rawTags = splitTags(value('tags') ?? '')
  let status: PostStatus = 'published'
  const statusValue = value('status')?.toLowerCase() ?? null
  if (statusValue !== null) {
    if ((POST_STATUSES as readonly string[]).includes(statusValue)) status = statusValue as PostStatus
    else problem('status', `"${value('status')}" is not a status; expected one of ${POST_STATUSES.join(', ')}`)
  }
  // Nikola's older convention: a `draft` or `private` tag sets the status and is not a real tag.
  const tags = rawTags.filter((tag) => {
    const special = tag.toLowerCase()
    if (special !== 'draft' && special !== 'private') return true
    if (statusValue === null) status = special
    return false
  })

  if (errors.length > 0 || title === null || date === null || updated === null) return fail(slug, title)

  const permalink = buildPermalink(config, slug, date, folder, prettyUrl(value('pretty_url'), config.prettyUrls, slug))
  const files =
    referencedFiles(split.body, file).length > 0
      ? await readReferencedFiles(config.siteDir, split.body, file, (name) => stamps.of(name))
      : {}
  const { rendered: raw, key: renderKey } = await renderBody(split.body, { format: formatOf(file), file, files }, options)
  const rendered = shiftLines(raw, split.bodyStartLine)
  for (const warning of rendered.warnings)
    warnings.push(formatLocated(warning.message, { file, ...(warning.line ? { line: warning.line } : {}) }))
  const body = finishBody(rendered, permalink)
  const guid = value('guid')
  const previewImage = value('previewimage')
  const meta: Record<string, string> = {}
  for (const [key, field] of fields) meta[key] = field.value

  const siteLinks = body.html.includes('link://') || body.html.includes('data-herald-post-list') ? source : null
  return {
    ok: true,
    renderKey,
    bodyStartLine: split.bodyStartLine,
    siteLinks,
    post: {
      file,
      slug,
      title,
      date,
      updated,
      status,
      tags,
      category: value('category'),
      author: value('author') ?? config.site.author,
      description: value('description'),
      link: value('link'),
      type: value('type'),
      guid,
      previewImage: previewImage ? absoluteLink(previewImage, permalink) : null,
      permalink,
      feedId: guid ?? permalink,
      ...body,
      translations,
      dependencies: Object.keys(files),
      readMoreLabel: rendered.readMoreLabel ?? messagesFor(config.site.language).readMore,
      meta,
      // The render key already stands for the body and the files it reads: no need to hash the body twice.
      contentHash: createHash('sha256')
        .update(renderKey)
        .update('\0')
        .update(source.slice(0, source.length - split.body.length))
        .update('\0')
        .update(sidecar ?? '')
        .digest('hex'),
      warnings,
    },
  }
}

// Post files are read synchronously: a few microseconds each, where a trip through libuv's thread pool costs more.
function readIfPresent(file: string): Buffer | null {
  try {
    return readFileSync(file)
  } catch {
    return null
  }
}

function readText(absolute: string, file: string, errors: string[], limit: number): string | null {
  try {
    // Reading even a big file takes milliseconds; rendering it is what takes minutes.
    const bytes = readFileSync(absolute)
    if (bytes.length > limit) {
      const sizeMb = (bytes.length / 1024 / 1024).toFixed(1)
      errors.push(
        formatLocated(`is ${sizeMb} MB, over the ${(limit / 1024).toFixed(0)} KB limit (max_post_kb in herald.yml); not rendered`, {
          file,
        }),
      )
      return null
    }
    return decode(bytes, file, errors)
  } catch (error) {
    errors.push(formatLocated(`cannot read: ${(error as Error).message}`, { file }))
    return null
  }
}

function decode(bytes: Uint8Array, file: string, errors: string[]): string | null {
  // Checked, then decoded: several times faster than a fatal TextDecoder on a thousand posts.
  if (isUtf8(bytes)) return normaliseText(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'))
  const { line, offset } = firstInvalidUtf8(bytes)
  errors.push(formatLocated(`not valid UTF-8 (first bad byte at offset ${offset}); save the file as UTF-8`, { file, line }))
  return null
}

/** Finds the first byte that breaks UTF-8, and its line, by decoding growing prefixes line by line. */
function firstInvalidUtf8(bytes: Uint8Array): { line: number; offset: number } {
  let lineStart = 0
  let line = 1
  for (let index = 0; index <= bytes.length; index++) {
    if (index === bytes.length || bytes[index] === 0x0a) {
      try {
        utf8.decode(bytes.subarray(lineStart, index))
      } catch {
        for (let end = lineStart + 1; end <= index; end++) {
          try {
            new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(lineStart, end), { stream: true })
          } catch {
            return { line, offset: end - 1 }
          }
        }
        return { line, offset: lineStart }
      }
      lineStart = index + 1
      line++
    }
  }
  return { line: 1, offset: 0 }
}

function readDate(
  fields: ReadonlyMap<string, SourcedField>,
  key: string,
  timeZone: string,
  problem: (field: string, message: string) => void,
  warning: (field: string, message: string) => void,
): PostDate | null {
  const field = fields.get(key)
  if (!field) return null
  const parsed = readPostDate(field.value, timeZone)
  if ('error' in parsed) {
    problem(key, parsed.error)
    return null
  }
  if (parsed.warning) warning(key, parsed.warning)
  return parsed.date
}

/** Nikola's tag rule: split on commas, trim, drop empties; we also drop repeats (first spelling wins). */
export function splitTags(value: string): string[] {
  const seen = new Set<string>()
  const tags: string[] = []
  for (const raw of value.split(',')) {
    const tag = raw.trim()
    if (tag === '' || seen.has(tag)) continue
    seen.add(tag)
    tags.push(tag)
  }
  return tags
}

/** Nikola's `bool_from_meta` for `pretty_url`: yes/true/1 and no/false/0; empty → the site default (not for slug `index`). */
export function prettyUrl(meta: string | null, siteDefault: boolean, slug: string): boolean {
  const value = meta?.trim().toLowerCase() ?? ''
  if (value === '') return siteDefault && slug !== 'index'
  return ['true', 'yes', '1'].includes(value)
}

/**
 * `site.url` + the permalink pattern (`{slug}`, `{year}`, `{month}`, `{day}`), percent-encoded as Nikola does. The
 * post's sub-folder below its glob's folder goes right before `{slug}` (Nikola puts it in the URL); without a pretty
 * URL a pattern ending in `/` ends in `.html` instead, and `…/index.html` is shortened to `…/`, as Nikola does.
 */
export function buildPermalink(config: Config, slug: string, date: PostDate, folder = '', pretty = true): string {
  const [year = '', month = '', day = ''] = date.iso.slice(0, 10).split('-')
  let pattern = folder ? config.permalink.replace('{slug}', `${folder}/{slug}`) : config.permalink
  if (!pretty && pattern.endsWith('/')) pattern = `${pattern.slice(0, -1)}.html`
  const relative = pattern
    .replace(/\{slug\}/g, slug)
    .replace(/\{year\}/g, year)
    .replace(/\{month\}/g, month)
    .replace(/\{day\}/g, day)
    .replace(/^\/+/, '')
    .replace(/(^|\/)index\.html$/, '$1')
  return encodeLink(config.site.url + relative)
}

/** Renders a body, or takes it from the cache; lines are relative to the body. */
async function renderBody(
  body: string,
  context: RenderContext,
  options: LoadPostsOptions,
): Promise<{ rendered: RenderedBody; key: string }> {
  const hash = createHash('sha256')
    .update(options.renderer.id)
    .update('\0')
    .update(context.format ?? 'rst')
    .update('\0')
    .update(body)
  // What the body includes or lists is part of its input: a changed listing re-renders the post.
  for (const [name, text] of Object.entries(context.files ?? {}))
    hash
      .update('\0')
      .update(name)
      .update('\0')
      .update(text ?? '\u0001missing')
  if (context.file && Object.keys(context.files ?? {}).length > 0) hash.update('\0').update(context.file)
  const key = hash.digest('hex')
  // A miss goes to the renderer before this function first awaits (the cache is read synchronously): awaiting first held
  // every render back until the last post was read (render threads idle for the first ~0.6 s of a build).
  const cached = options.cache?.get(key)
  const rendered = cached ?? (await options.renderer.render(body, context))
  if (!cached) options.cache?.set(key, rendered)
  return { rendered, key }
}

/** Makes a rendered body's line numbers (marks and warnings) count from the top of the post file. */
function shiftLines(rendered: RenderedBody, bodyStartLine: number): RenderedBody {
  if (bodyStartLine === 1) return rendered
  const shift = (html: string) =>
    html.replace(/data-herald-line="(\d+)"/g, (_whole, line: string) => `data-herald-line="${Number(line) + bodyStartLine - 1}"`)
  return {
    ...rendered,
    html: shift(rendered.html),
    teaserHtml: rendered.teaserHtml === null ? null : shift(rendered.teaserHtml),
    emailHtml: rendered.emailHtml === null ? null : shift(rendered.emailHtml),
    emailTeaserHtml: rendered.emailTeaserHtml === null ? null : shift(rendered.emailTeaserHtml),
    warnings: rendered.warnings.map((warning) => (warning.line ? { ...warning, line: warning.line + bodyStartLine - 1 } : warning)),
  }
}

/** Resolves `link://`, `:doc:` and `post-list` placeholders now that every post is known (site-links.ts). */
function resolveAcrossPosts(posts: readonly Post[], config: Config, now: number, sources: ReadonlyMap<string, string>): Post[] {
  const index: SiteIndex = { config, posts, now }
  return posts.map((post) => {
    const source = sources.get(post.file)
    if (source === undefined) return post
    const resolved = new Map<string, string>()
    const warnings = [...post.warnings]
    const lineOf = (needle: string) => {
      const at = source.indexOf(needle)
      return at < 0 ? undefined : source.slice(0, at).split('\n').length
    }
    const resolve = (html: string, collect: boolean) => {
      const known = resolved.get(html)
      if (known !== undefined) return known
      const out = resolveSiteLinks(html, post, index, collect ? warnings : [], lineOf)
      resolved.set(html, out)
      return out
    }
    return {
      ...post,
      html: resolve(post.html, true),
      teaserHtml: post.teaserHtml === null ? null : resolve(post.teaserHtml, false),
      emailHtml: resolve(post.emailHtml, false),
      emailTeaserHtml: post.emailTeaserHtml === null ? null : resolve(post.emailTeaserHtml, false),
      warnings,
    }
  })
}

function resolveDuplicates(results: readonly LoadResult[]): PostCollection {
  const posts: Post[] = []
  const failures: PostFailure[] = []
  const slugOwner = new Map<string, string>()
  const idOwner = new Map<string, string>()
  for (const result of results) {
    if (!result.ok) {
      failures.push(result.failure)
      continue
    }
    const { post } = result
    const slugKey = post.slug.normalize('NFC')
    const slugTaken = slugOwner.get(slugKey)
    const idTaken = idOwner.get(post.feedId)
    if (slugTaken || idTaken) {
      const errors = [
        ...(slugTaken
          ? [
              formatLocated(`"${post.slug}" is already the slug of ${slugTaken}; give this post another slug`, {
                file: post.file,
                field: 'slug',
              }),
            ]
          : []),
        ...(idTaken && !slugTaken
          ? [formatLocated(`"${post.feedId}" is already the guid of ${idTaken}`, { file: post.file, field: 'guid' })]
          : []),
      ]
      failures.push({ file: post.file, slug: post.slug, title: post.title, errors, warnings: post.warnings })
      continue
    }
    slugOwner.set(slugKey, post.file)
    idOwner.set(post.feedId, post.file)
    posts.push(post)
  }
  posts.sort((a, b) => b.date.ms - a.date.ms || compareFileNames(a.file, b.file))
  failures.sort((a, b) => compareFileNames(a.file, b.file))
  return { posts, failures }
}
