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
    .default(['posts/*.rst', 'posts/*.txt']),
  permalink: nonEmpty('a permalink pattern')
    .refine((value) => value.includes('{slug}'), { error: 'expected a pattern containing {slug}, such as posts/{slug}/' })
    .default('posts/{slug}/'),
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
      transport: z.enum(['smtp', 'outbox'], { error: 'expected smtp or outbox' }).optional(),
      outbox: nonEmpty('a folder').default('outbox'),
      content: z.enum(['teaser', 'full'], { error: 'expected teaser or full' }).default('teaser'),
      default_cadence: z.enum(['instant', 'daily', 'weekly'], { error: 'expected instant, daily or weekly' }).default('instant'),
      subject: headerSafe('a subject pattern').default(''),
      rate_limit: z.number({ error: 'expected messages per second (a number, 0 for no limit)' }).min(0).default(0),
      attempts: positiveInt('the number of attempts per recipient').default(6),
      backoff_ms: positiveInt('the first retry delay in milliseconds').default(30_000),
      message_timeout_s: positiveInt('seconds one message may take').default(120),
      run_wait_s: z.number({ error: 'expected seconds (a whole number, 0: do not wait)' }).int().min(0).default(300),
      breaker_failures: positiveInt('failures in a row that pause an edition').default(5),
      unsubscribe_mailto: headerSafe('an address for mailto: unsubscribe requests').optional(),
      max_edition_posts: z.number({ error: 'expected a whole number (0 for no limit)' }).int().min(0).default(10),
      bounce_address: headerSafe('an address such as bounces@blog.example.org')
        .refine((value) => bounceAddressProblem(value) === null, { error: (issue) => bounceAddressProblem(String(issue.input)) ?? '' })
        .optional(),
      bounces: z
        .strictObject({
          soft_limit: positiveInt('soft bounces that make an address bounced').default(2),
          soft_editions: positiveInt('how many of the latest editions soft bounces are counted over').default(5),
          flood_share: z
            .number({ error: 'expected a share of the recipients, from 0.01 to 1' })
            .min(0.01, { error: 'expected a share of the recipients, from 0.01 to 1' })
            .max(1, { error: 'expected a share of the recipients, from 0.01 to 1' })
            .default(0.2),
          flood_min: positiveInt('the fewest bounces from one domain that can be a flood').default(5),
        })
        .prefault({}),
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
  /**
   * How mail leaves: `smtp` (SMTP_URL), `outbox` (`.eml` files, nothing is sent), or null when neither was chosen —
   * then every command that sends refuses to start. `SMTP_URL=outbox:` chooses the outbox too.
   */
  readonly transport: 'smtp' | 'outbox' | null
  /** Absolute folder for `.eml` files of the outbox transport. Default `<site>/outbox`. */
  readonly outboxDir: string
  /** Teaser or full text in digests. Default teaser. */
  readonly content: 'teaser' | 'full'
  /** Cadence of subscribers who do not choose one. Default instant. */
  readonly defaultCadence: 'instant' | 'daily' | 'weekly'
  /** Subject for multi-post digests; `{count}` and `{site}` are replaced. Default from the site language. */
  readonly subject: string
  /** Messages per second across all workers; 0 = unlimited. Default 0. */
  readonly rateLimit: number
  /** Attempts per recipient for transient failures. Default 6. */
  readonly attempts: number
  /** First retry delay, doubled each attempt. Default 30 s: six attempts span ~15 min, past typical greylisting. */
  readonly backoffMs: number
  /** Longest one message may take, connection and transaction included. Default 120 s. */
  readonly messageTimeoutMs: number
  /** Longest `herald run` waits for its sends before leaving the rest (retries) to the next run or a worker. Default 300 s. */
  readonly runWaitMs: number
  /** Failures in a row with the same reply, for different recipients, that pause an edition. Default 5. */
  readonly breakerFailures: number
  /**
   * Address for a `mailto:` in List-Unsubscribe, or null (the default): only offered when someone reads that mailbox,
   * since a request mailed there would otherwise go unanswered.
   */
  readonly unsubscribeMailto: string | null
  /**
   * Most posts one edition may hold (0: no limit). Default 10. More at once usually means post ids changed
   * (new `site.url` or permalink pattern): `run` refuses instead of mailing the archive again.
   */
  readonly maxEditionPosts: number
  /**
   * Envelope sender base for VERP (`bounces@blog.example.org`: each message goes out from `bounces+<tag>@…`), and the
   * one address the SMTP listener accepts mail for. Null (the default): the envelope sender is the From address and
   * returned mail cannot be attributed.
   */
  readonly bounceAddress: string | null
  readonly bounces: BounceConfig
  readonly dkim: { readonly domain: string; readonly selector: string; readonly privateKeyFile: string } | null
}

/** What returned mail may change, and when it is held for review instead. */
export interface BounceConfig {
  /** Soft bounces, in different editions, that make a subscriber bounced. Default 2 (listmonk's soft count). */
  readonly softLimit: number
  /** …counted over the latest this many editions sent to the subscriber. Default 5. */
  readonly softEditions: number
  /**
   * Share of an edition's recipients at one receiving domain whose bounces make that domain a flood: its bounces are
   * held for `herald bounces review` instead of applied (the receiver's outage, not dead addresses). Default 0.2.
   */
  readonly floodShare: number
  /** Fewest bounces from one domain that can be a flood (small domains are judged one bounce at a time). Default 5. */
  readonly floodMinimum: number
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
  /** Globs relative to the site folder. */
  readonly posts: readonly string[]
  readonly permalink: string
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
  /** `SMTP_URL`; null when unset. `outbox:` chooses the outbox folder instead of a server. */
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
  /** Secrets of the sending services' bounce webhooks; a webhook whose secret is unset answers 404. */
  readonly webhooks: WebhookSecrets
}

/** What each bounce webhook is checked with (from the environment). Null: that webhook is off. */
export interface WebhookSecrets {
  /** `HERALD_SES_TOPIC_ARN`: the SNS topic ARNs (comma-separated) SES publishes to; messages of others are refused. */
  readonly sesTopicArns: readonly string[]
  /** `HERALD_POSTMARK_WEBHOOK_AUTH`: `user:password` for HTTP Basic auth (Postmark signs nothing). */
  readonly postmarkAuth: string | null
  /** `HERALD_MAILGUN_SIGNING_KEY`: Mailgun's webhook signing key (HMAC-SHA256). */
  readonly mailgunSigningKey: string | null
  /** `HERALD_SENDGRID_VERIFICATION_KEY`: SendGrid's ECDSA public key, base64 (DER) or PEM. */
  readonly sendgridVerificationKey: string | null
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
  const postmarkAuth = blankToNull(env.HERALD_POSTMARK_WEBHOOK_AUTH)
  if (postmarkAuth !== null && !/^[^:]+:.+$/.test(postmarkAuth)) {
    throw new HeraldError('CONFIG_INVALID', 'expected user:password (the credentials in the webhook URL you give Postmark)', {
      field: 'HERALD_POSTMARK_WEBHOOK_AUTH',
    })
  }
  const topics = (blankToNull(env.HERALD_SES_TOPIC_ARN) ?? '')
    .split(',')
    .map((topic) => topic.trim())
    .filter(Boolean)
  const badTopic = topics.find((topic) => !/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]{1,256}$/.test(topic))
  if (badTopic !== undefined) {
    throw new HeraldError(
      'CONFIG_INVALID',
      `expected SNS topic ARNs such as arn:aws:sns:us-east-1:123456789012:ses-bounces, got ${JSON.stringify(badTopic)}`,
      {
        field: 'HERALD_SES_TOPIC_ARN',
      },
    )
  }
  return Object.freeze({
    stallMs,
    redisUrl: blankToNull(env.REDIS_URL),
    smtpUrl: blankToNull(env.SMTP_URL),
    secret: blankToNull(env.HERALD_SECRET),
    prefix,
    webhooks: Object.freeze({
      sesTopicArns: Object.freeze(topics),
      postmarkAuth,
      mailgunSigningKey: blankToNull(env.HERALD_MAILGUN_SIGNING_KEY),
      sendgridVerificationKey: blankToNull(env.HERALD_SENDGRID_VERIFICATION_KEY),
    }),
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
  let value: unknown
  try {
    // herald.yml needs no aliases at all; a handful is allowed, a "billion laughs" bomb is refused (yaml's limit).
    value = document.toJS({ maxAliasCount: 50 }) ?? {}
  } catch (error) {
    throw new HeraldError('CONFIG_INVALID', `not usable YAML: ${(error as Error).message}; write the values out instead of using aliases`, {
      file: fileLabel,
    })
  }
  const parsed = rawSchema.safeParse(value)
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
    outputDir: path.resolve(siteDir, raw.output),
    feeds: raw.feeds,
    websubHub: raw.websub.hub,
    email: {
      from,
      replyTo: raw.email.reply_to ?? null,
      postalAddress: raw.email.postal_address,
      transport: env.smtpUrl === 'outbox:' ? 'outbox' : env.smtpUrl ? 'smtp' : (raw.email.transport ?? null),
      outboxDir: path.resolve(siteDir, raw.email.outbox),
      content: raw.email.content,
      defaultCadence: raw.email.default_cadence,
      subject: raw.email.subject,
      rateLimit: raw.email.rate_limit,
      attempts: raw.email.attempts,
      backoffMs: raw.email.backoff_ms,
      messageTimeoutMs: raw.email.message_timeout_s * 1000,
      runWaitMs: raw.email.run_wait_s * 1000,
      breakerFailures: raw.email.breaker_failures,
      unsubscribeMailto: raw.email.unsubscribe_mailto ?? null,
      maxEditionPosts: raw.email.max_edition_posts,
      bounceAddress: raw.email.bounce_address?.trim().toLowerCase() ?? null,
      bounces: {
        softLimit: raw.email.bounces.soft_limit,
        softEditions: raw.email.bounces.soft_editions,
        floodShare: raw.email.bounces.flood_share,
        floodMinimum: raw.email.bounces.flood_min,
      },
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

/**
 * What is wrong with an `email.bounce_address`, or null: it must be a bare address (no name), whose local part has no
 * `+` (the tag follows one) and is short enough for the tag to fit RFC 5321's 64-octet local part.
 */
export function bounceAddressProblem(value: string): string | null {
  const address = value.trim()
  const match = /^([A-Za-z0-9._-]+)@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)$/.exec(address)
  if (!match) return 'expected a bare address such as bounces@blog.example.org (letters, digits, ".", "_" and "-" before the @)'
  if (match[1]!.length > MAX_BOUNCE_LOCAL) {
    return `the part before "@" may be at most ${MAX_BOUNCE_LOCAL} characters: a 43-character tag is added to it`
  }
  return null
}

/** Longest local part of `email.bounce_address` (bounces/verp.ts: `+` and a 42-character tag make 64). */
const MAX_BOUNCE_LOCAL = 21

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
