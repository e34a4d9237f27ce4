import { CronExpressionParser } from 'cron-parser'
import { isNode, LineCounter, parseDocument } from 'yaml'
import { z } from 'zod'
import { bounceAddressProblem, CONFIG_FILE, FEED_FORMATS, mailboxOf, parseTimeOfDay, parseWeeklyOn } from './config-common.js'
import { HeraldError } from './errors.js'

// The schema of herald.yml. Loaded only when the file changed since the last command read it (config-load.ts keeps
// the validated settings), because zod and yaml are a good part of a command's start-up.

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
    pages: z.boolean({ error: 'expected true (Herald writes the post pages) or false (Nikola or another tool does)' }).default(false),
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
  archive: z
    .strictObject({
      path: nonEmpty('a folder such as archive')
        .refine((value) => /^[A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*$/.test(value) && !value.split('/').includes('..'), {
          error: 'expected a folder inside the output folder, such as archive (letters, digits, "-", "_", ".", "/")',
        })
        .default('archive'),
    })
    .prefault({}),
  subscribe: z
    .strictObject({
      tags: z.array(nonEmpty('a tag'), { error: 'expected a list of tags such as [python, travel]' }).nullable().default(null),
    })
    .prefault({}),
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
      welcome: z.boolean({ error: 'expected true or false' }).default(false),
      daily_at: z
        .string({ error: 'expected a time of day such as "08:00"' })
        .refine((value) => parseTimeOfDay(value) !== null, { error: 'expected a time of day such as "08:00" (24-hour clock)' })
        .default('08:00'),
      weekly_on: z
        .string({ error: 'expected a day and a time such as "Monday 08:00"' })
        .refine((value) => parseWeeklyOn(value) !== null, {
          error: 'expected a day of the week and a time such as "Monday 08:00" (the time may be left out: 08:00)',
        })
        .default('Monday 08:00'),
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

/** `herald.yml` validated, every default filled in: what config-load.ts keeps between commands. */
export type RawConfig = z.infer<typeof rawSchema>

/** Validates `herald.yml` text: every problem at once, each naming the key and its line. */
export function validateConfigText(source: string, fileLabel = CONFIG_FILE): RawConfig {
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
  return parsed.data
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
