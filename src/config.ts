import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { CronExpressionParser } from 'cron-parser'
import addressparser from 'nodemailer/lib/addressparser/index.js'
import { isNode, LineCounter, parseDocument } from 'yaml'
import { z } from 'zod'
import { HeraldError } from './errors.js'

/** Where Herald keeps its own state inside a site folder (caches, the generated secret, a private Redis). */
export const stateDir = (siteDir: string): string => path.join(siteDir, '.herald')

/** Name of the site configuration file inside a site folder. */
export const CONFIG_FILE = 'herald.yml'

const FEED_FORMATS = ['rss', 'atom', 'json'] as const
/** A feed format Herald writes. */
export type FeedFormat = (typeof FEED_FORMATS)[number]

const isTimeZone = (zone: string): boolean => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone })
    return true
  } catch {
    return false
  }
}

const isCronPattern = (pattern: string): boolean => {
  try {
    CronExpressionParser.parse(pattern)
    return true
  } catch {
    return false
  }
}

const httpUrl = z
  .string({ error: 'expected an absolute http(s) URL' })
  .refine((value) => /^https?:\/\/[^/\s]+/i.test(value) && URL.canParse(value), {
    error: 'expected an absolute http(s) URL such as https://blog.example.org/',
  })
const text = (what: string) => z.string({ error: `expected ${what} (a string)` })
const nonEmpty = (what: string) =>
  text(what)
    .trim()
    .min(1, { error: `expected ${what}, got an empty string` })
const positiveInt = (what: string) =>
  z
    .number({ error: `expected ${what} (a whole number)` })
    .int({ error: `expected ${what} (a whole number)` })
    .positive({ error: `expected ${what} greater than 0` })
/** Config values that end up in mail headers may never contain a line break (header injection). */
const headerSafe = (what: string) => text(what).refine((value) => !/[\r\n]/.test(value), { error: `${what} may not contain a line break` })

const slugPattern = nonEmpty('a path pattern with {slug}').refine((value) => value.includes('{slug}'), {
  error: 'expected a path pattern containing {slug}, such as categories/{slug}',
})

const rawSchema = z.strictObject({
  site: z.strictObject({
    url: httpUrl,
    title: nonEmpty('the site title'),
    description: text('a one-line description').default(''),
    author: text("the default author's name").default(''),
    language: z
      .string({ error: 'expected a language code such as en or ru' })
      .regex(/^[a-z]{2,3}(-[A-Za-z0-9]+)*$/, { error: 'expected a language code such as en or ru' })
      .default('en'),
    timezone: z
      .string({ error: 'expected an IANA time zone name such as Europe/Moscow' })
      .refine(isTimeZone, { error: 'expected an IANA time zone name such as Europe/Moscow or UTC' })
      .default('UTC'),
  }),
  posts: z
    .union([nonEmpty('a glob'), z.array(nonEmpty('a glob')).min(1, { error: 'expected at least one glob' })], {
      error: 'expected a glob or a list of globs such as posts/*.rst',
    })
    .default(['posts/*.rst', 'posts/*.txt', 'posts/*.md']),
  permalink: nonEmpty('a permalink pattern')
    .refine((value) => value.includes('{slug}'), { error: 'expected a pattern containing {slug}, such as posts/{slug}/' })
    .default('posts/{slug}/'),
  pretty_urls: z.boolean({ error: 'expected true or false' }).default(true),
  max_post_kb: positiveInt('the largest post file in kilobytes').default(2048),
  output: nonEmpty('a folder').default('public'),
  feeds: z
    .strictObject({
      length: positiveInt('the number of entries per feed').default(10),
      teasers: z.boolean({ error: 'expected true or false' }).default(false),
      formats: z.array(z.enum(FEED_FORMATS, { error: 'expected rss, atom or json' })).default([...FEED_FORMATS]),
      site: z.boolean({ error: 'expected true or false' }).default(true),
      tags: z.boolean({ error: 'expected true or false' }).default(true),
      categories: z.boolean({ error: 'expected true or false' }).default(true),
      paths: z
        .strictObject({
          rss: nonEmpty('a path').default('rss.xml'),
          atom: nonEmpty('a path').default('feed.atom'),
          json: nonEmpty('a path').default('feed.json'),
          tag: slugPattern.default('categories/{slug}'),
          category: slugPattern.default('categories/cat_{slug}'),
        })
        .default({ rss: 'rss.xml', atom: 'feed.atom', json: 'feed.json', tag: 'categories/{slug}', category: 'categories/cat_{slug}' }),
    })
    .prefault({}),
  websub: z.strictObject({ hub: httpUrl.nullable().default(null) }).prefault({}),
  email: z
    .strictObject({
      from: headerSafe('a From address such as "My Blog <news@example.org>"')
        .refine((value) => mailboxOf(value) !== null, { error: 'expected one address such as "My Blog <news@example.org>"' })
        .optional(),
      reply_to: headerSafe('a Reply-To address').optional(),
      postal_address: text('a postal address').default(''),
      outbox: nonEmpty('a folder').default('outbox'),
      content: z.enum(['teaser', 'full'], { error: 'expected teaser or full' }).default('teaser'),
      subject: headerSafe('a subject pattern').default(''),
      rate_limit: z.number({ error: 'expected messages per second (a number, 0 for no limit)' }).min(0).default(0),
      attempts: positiveInt('the number of attempts per recipient').default(6),
      backoff_ms: positiveInt('the first retry delay in milliseconds').default(30_000),
      unsubscribe_mailto: headerSafe('an address for mailto: unsubscribe requests').optional(),
      max_edition_posts: z.number({ error: 'expected a whole number (0 for no limit)' }).int().min(0).default(10),
      dkim: z
        .strictObject({
          domain: nonEmpty('the signing domain'),
          selector: nonEmpty('the DKIM selector'),
          private_key_file: nonEmpty('the path of the PEM private key'),
        })
        .optional(),
    })
    .prefault({}),
  http: z
    .strictObject({
      public_url: httpUrl.optional(),
      subscribe_rate_limit: positiveInt('requests per IP per window').default(5),
      subscribe_rate_window_s: positiveInt('the window in seconds').default(3600),
    })
    .prefault({}),
  confirm_ttl_days: positiveInt('days a confirmation link stays valid').default(7),
  schedule: z
    .string({ error: 'expected a cron pattern such as "*/10 * * * *"' })
    .refine(isCronPattern, { error: 'expected a cron pattern such as "*/10 * * * *" (minute hour day month weekday)' })
    .nullable()
    .default(null),
})

type RawConfig = z.infer<typeof rawSchema>

/** Feed options, resolved. */
export interface FeedsConfig {
  /** Entries per feed. Default 10, like Nikola. */
  readonly length: number
  /** Teaser-only entries with a read-more link. Default false (full posts). */
  readonly teasers: boolean
  /** Which formats to write. Default all three. */
  readonly formats: readonly FeedFormat[]
  /** Whether the site-wide, per-tag and per-category feeds exist. Default true for each. */
  readonly site: boolean
  readonly tags: boolean
  readonly categories: boolean
  /** Output paths relative to the output folder; tag/category patterns take `{slug}` and get the format's extension. */
  readonly paths: { readonly rss: string; readonly atom: string; readonly json: string; readonly tag: string; readonly category: string }
}

/** Email options, resolved. */
export interface EmailConfig {
  /** From header. Default `"<site title>" <noreply@<site host>>`. */
  readonly from: string
  readonly replyTo: string | null
  /** Shown in every email footer (anti-spam laws ask for it). Default empty, which `herald run` warns about. */
  readonly postalAddress: string
  /** Absolute folder for `.eml` files when `SMTP_URL` is unset. Default `<site>/outbox`. */
  readonly outboxDir: string
  /** Teaser or full text in digests. Default teaser. */
  readonly content: 'teaser' | 'full'
  /** Subject for multi-post digests; `{count}` and `{site}` are replaced. Default from the site language. */
  readonly subject: string
  /** Messages per second across all workers; 0 = unlimited. Default 0. */
  readonly rateLimit: number
  /** Attempts per recipient for transient failures. Default 6. */
  readonly attempts: number
  /** First retry delay, doubled each attempt. Default 30 s: six attempts span ~15 min, past typical greylisting. */
  readonly backoffMs: number
  /** Address for `mailto:` in List-Unsubscribe. Default: the From address. */
  readonly unsubscribeMailto: string
  /**
   * Most posts one edition may hold (0: no limit). Default 10. More at once usually means post ids changed
   * (new `site.url` or permalink pattern): `run` refuses instead of mailing the archive again.
   */
  readonly maxEditionPosts: number
  readonly dkim: { readonly domain: string; readonly selector: string; readonly privateKeyFile: string } | null
}

/** Everything Herald needs to know about a site, validated and frozen. */
export interface Config {
  /** Absolute path of the site folder. */
  readonly siteDir: string
  readonly site: {
    /** Base URL, always with a trailing slash. */
    readonly url: string
    readonly title: string
    readonly description: string
    readonly author: string
    readonly language: string
    readonly timezone: string
  }
  /** Globs relative to the site folder; each matches in its folder and every folder below (Nikola's rule). */
  readonly posts: readonly string[]
  readonly permalink: string
  /** Nikola's `PRETTY_URLS`: `posts/foo/` (true, default) or `posts/foo.html`; a post's `pretty_url` overrides it. */
  readonly prettyUrls: boolean
  /** Post files larger than this are refused (bytes). Default 2 MB (`max_post_kb: 2048`). */
  readonly maxPostBytes: number
  /** Absolute output folder for feeds. */
  readonly outputDir: string
  readonly feeds: FeedsConfig
  readonly websubHub: string | null
  readonly email: EmailConfig
  readonly http: {
    /** Where `herald serve` is reachable from the outside; links in emails point here. Default: site.url. */
    readonly publicUrl: string
    readonly subscribeRateLimit: number
    readonly subscribeRateWindowSeconds: number
  }
  readonly confirmTtlDays: number
  /** Cron pattern for `herald worker`'s job scheduler, or null. */
  readonly schedule: string | null
  readonly env: EnvConfig
}

/** Endpoints and secrets: from the environment only, never from herald.yml. */
export interface EnvConfig {
  /** `REDIS_URL`; null when unset (Herald then tries redis://127.0.0.1:6379 and may start a private server). */
  readonly redisUrl: string | null
  /** `SMTP_URL`; null when unset (mail goes to the outbox folder). */
  readonly smtpUrl: string | null
  /** `HERALD_SECRET`; null when unset (a generated one is kept in `<site>/.herald/secret`). */
  readonly secret: string | null
  /** `HERALD_PREFIX` for Redis keys and queue names. Default `herald`. */
  readonly prefix: string
  /**
   * `HERALD_STALL_MS`: how long a job (or a worker's heartbeat) may go silent before another worker takes
   * it over. Default 30000. Lower only to recover faster from killed workers (tests).
   */
  readonly stallMs: number
}

/** Reads the environment variables Herald uses. Pure: pass `process.env`. */
export function readEnv(env: NodeJS.ProcessEnv): EnvConfig {
  const blankToNull = (value: string | undefined) => (value === undefined || value.trim() === '' ? null : value.trim())
  const prefix = blankToNull(env.HERALD_PREFIX) ?? 'herald'
  if (!/^[A-Za-z0-9_.{}-]+$/.test(prefix)) {
    throw new HeraldError('CONFIG_INVALID', `expected letters, digits, "_", "-", "." or "{}" (got ${JSON.stringify(prefix)})`, {
      field: 'HERALD_PREFIX',
    })
  }
  const stallText = blankToNull(env.HERALD_STALL_MS)
  const stallMs = stallText === null ? 30_000 : Number(stallText)
  if (!Number.isInteger(stallMs) || stallMs < 200) {
    throw new HeraldError('CONFIG_INVALID', `expected milliseconds, at least 200 (got ${JSON.stringify(stallText)})`, {
      field: 'HERALD_STALL_MS',
    })
  }
  return Object.freeze({
    stallMs,
    redisUrl: blankToNull(env.REDIS_URL),
    smtpUrl: blankToNull(env.SMTP_URL),
    secret: blankToNull(env.HERALD_SECRET),
    prefix,
  })
}

/**
 * Loads and validates `<siteDir>/herald.yml` and the environment.
 * Every problem is reported at once, each naming the key (and line) and what is expected.
 */
export function loadConfig(siteDir: string, env: NodeJS.ProcessEnv = process.env): Config {
  const absoluteSite = path.resolve(siteDir)
  const file = path.join(absoluteSite, CONFIG_FILE)
  if (!existsSync(file)) {
    throw new HeraldError('CONFIG_MISSING', `no ${CONFIG_FILE} here; pass --site DIR or create one with "herald init"`, { file })
  }
  return parseConfig(readFileSync(file, 'utf8'), absoluteSite, env, file)
}

/** Validates config text; `fileLabel` is used in messages. Exposed for tests. */
export function parseConfig(source: string, siteDir: string, env: NodeJS.ProcessEnv, fileLabel = CONFIG_FILE): Config {
  const lineCounter = new LineCounter()
  const document = parseDocument(source, { lineCounter, prettyErrors: false })
  if (document.errors.length > 0) {
    const first = document.errors[0]!
    const line = first.linePos?.[0]?.line
    throw new HeraldError('CONFIG_INVALID', `not valid YAML: ${first.message.split('\n')[0]}`, {
      file: fileLabel,
      ...(line ? { line } : {}),
    })
  }
  const parsed = rawSchema.safeParse(document.toJS() ?? {})
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      let keyPath = issue.path.map(String)
      let message = issue.message
      if (issue.code === 'unrecognized_keys') {
        keyPath = [...keyPath, issue.keys[0] ?? '']
        message = `unknown key (keys allowed here: ${allowedKeys(issue.path)})`
      }
      const node = document.getIn(keyPath, true)
      if (issue.code === 'invalid_type' && node === undefined) message = `missing; ${message}`
      const offset = isNode(node) && node.range ? node.range[0] : undefined
      const line = offset === undefined ? undefined : lineCounter.linePos(offset).line
      return `${fileLabel}${line ? `:${line}` : ''}: ${keyPath.join('.') || '(top level)'}: ${message}`
    })
    throw new HeraldError('CONFIG_INVALID', `invalid configuration:\n  ${problems.join('\n  ')}`)
  }
  return resolve(parsed.data, siteDir, readEnv(env))
}

function allowedKeys(keyPath: PropertyKey[]): string {
  let schema: z.ZodType = rawSchema
  for (const key of keyPath) {
    const shape = unwrapObject(schema)?.shape as Record<string, z.ZodType> | undefined
    if (!shape?.[String(key)]) return '?'
    schema = shape[String(key)]!
  }
  const shape = unwrapObject(schema)?.shape
  return shape ? Object.keys(shape).join(', ') : '?'
}

function unwrapObject(schema: z.ZodType): z.ZodObject | undefined {
  let current: unknown = schema
  for (let depth = 0; depth < 5 && current; depth++) {
    if (current instanceof z.ZodObject) return current
    current = (current as { def?: { innerType?: unknown } }).def?.innerType
  }
  return undefined
}

function resolve(raw: RawConfig, siteDir: string, env: EnvConfig): Config {
  const siteUrl = raw.site.url.endsWith('/') ? raw.site.url : `${raw.site.url}/`
  const host = new URL(siteUrl).hostname
  const from = raw.email.from ?? `"${raw.site.title.replace(/["\\\r\n]/g, '')}" <noreply@${host}>`
  const config: Config = {
    siteDir,
    site: { ...raw.site, url: siteUrl },
    posts: typeof raw.posts === 'string' ? [raw.posts] : raw.posts,
    permalink: raw.permalink,
    prettyUrls: raw.pretty_urls,
    maxPostBytes: raw.max_post_kb * 1024,
    outputDir: path.resolve(siteDir, raw.output),
    feeds: raw.feeds,
    websubHub: raw.websub.hub,
    email: {
      from,
      replyTo: raw.email.reply_to ?? null,
      postalAddress: raw.email.postal_address,
      outboxDir: path.resolve(siteDir, raw.email.outbox),
      content: raw.email.content,
      subject: raw.email.subject,
      rateLimit: raw.email.rate_limit,
      attempts: raw.email.attempts,
      backoffMs: raw.email.backoff_ms,
      unsubscribeMailto: raw.email.unsubscribe_mailto ?? extractAddress(from),
      maxEditionPosts: raw.email.max_edition_posts,
      dkim: raw.email.dkim
        ? {
            domain: raw.email.dkim.domain,
            selector: raw.email.dkim.selector,
            privateKeyFile: path.resolve(siteDir, raw.email.dkim.private_key_file),
          }
        : null,
    },
    http: {
      publicUrl: withSlash(raw.http.public_url ?? siteUrl),
      subscribeRateLimit: raw.http.subscribe_rate_limit,
      subscribeRateWindowSeconds: raw.http.subscribe_rate_window_s,
    },
    confirmTtlDays: raw.confirm_ttl_days,
    schedule: raw.schedule,
    env,
  }
  return deepFreeze(config)
}

const withSlash = (url: string) => (url.endsWith('/') ? url : `${url}/`)

/** The address of a mailbox such as `"My Blog" <news@example.org>` (nodemailer's RFC 5322 parser), or null. */
export function mailboxOf(mailbox: string): string | null {
  const parsed = addressparser(mailbox, { flatten: true })
  const address = parsed.length === 1 ? parsed[0]!.address : ''
  return /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(address) ? address : null
}

/** The address of a mailbox that passed validation (`email.from`). */
export function extractAddress(mailbox: string): string {
  return mailboxOf(mailbox) ?? mailbox.trim()
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const inner of Object.values(value)) deepFreeze(inner)
  }
  return value
}
