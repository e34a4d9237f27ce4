import path from 'node:path'
import { type FeedFormat, parseTimeOfDay, parseWeeklyOn, type TimeOfDay } from './config-common.js'
import type { RawConfig } from './config-schema.js'
import { HeraldError } from './errors.js'

export {
  CONFIG_FILE,
  extractAddress,
  type FeedFormat,
  stateDir,
  type TimeOfDay,
} from './config-common.js'

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
  /** When the daily edition is due, on the site's clock (`email.daily_at`). Default 08:00. */
  readonly dailyAt: TimeOfDay
  /** When the weekly edition is due: ISO weekday (1 = Monday) and time (`email.weekly_on`). Default Monday 08:00. */
  readonly weeklyOn: TimeOfDay & { readonly weekday: number }
  /** Send `welcome.mjml` (with the latest posts) when a subscriber confirms. Default false. */
  readonly welcome: boolean
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
    /**
     * Herald writes a page per post and an index into the output folder (true), or another tool (Nikola) builds the
     * pages at the permalinks (false). Default false for a configuration without the key; `herald init` writes true.
     */
    readonly pages: boolean
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
  /** The web archive of editions: a page per edition, an index and an Atom feed, in `path` under the output folder. */
  readonly archive: { readonly path: string }
  /** The subscribe form. `tags`: the tags it offers, or null for the 12 most used live tags. */
  readonly subscribe: { readonly tags: readonly string[] | null }
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

/** The configuration Herald uses, from validated `herald.yml` settings (see config-schema.ts) and the environment. */
export function resolveConfig(raw: RawConfig, siteDir: string, env: EnvConfig): Config {
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
    archive: { path: raw.archive.path },
    subscribe: { tags: raw.subscribe.tags },
    email: {
      from,
      replyTo: raw.email.reply_to ?? null,
      postalAddress: raw.email.postal_address,
      transport: env.smtpUrl === 'outbox:' ? 'outbox' : env.smtpUrl ? 'smtp' : (raw.email.transport ?? null),
      outboxDir: path.resolve(siteDir, raw.email.outbox),
      content: raw.email.content,
      defaultCadence: raw.email.default_cadence,
      dailyAt: parseTimeOfDay(raw.email.daily_at) ?? { hour: 8, minute: 0 },
      weeklyOn: parseWeeklyOn(raw.email.weekly_on) ?? { weekday: 1, hour: 8, minute: 0 },
      welcome: raw.email.welcome,
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

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const inner of Object.values(value)) deepFreeze(inner)
  }
  return value
}
