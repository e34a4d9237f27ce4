import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { CONFIG_FILE } from '../config.js'
import { parseConfig } from '../config-parse.js'
import { HeraldError } from '../errors.js'
import { BUILTIN_TEMPLATES_DIR } from '../mail/render.js'

/** What {@link scaffoldSite} needs. */
export interface ScaffoldOptions {
  /** Absolute path of the site folder; created when missing. */
  readonly dir: string
  /** `site.url`. Default `https://blog.example.org/` (a placeholder to edit). */
  readonly url?: string
  /** `site.title`. Default `My Blog`. */
  readonly title?: string
  /** Overwrite an existing `herald.yml`. Posts, templates and `.gitignore` already there are always kept. Default false. */
  readonly force?: boolean
  /** Date of the example post. Default now. */
  readonly now?: Date
  /** Where the email templates are copied from. Default Herald's own `templates/`. */
  readonly templatesDir?: string
}

/** What happened to each file of the scaffold, by path relative to the site folder. */
export interface ScaffoldResult {
  readonly dir: string
  readonly created: string[]
  readonly overwritten: string[]
  /** Files (or, for the example post, the posts folder) left as they were, with why. */
  readonly kept: Array<{ file: string; reason: string }>
}

/** Defaults of `herald init`: placeholders the new owner is told to edit. */
export const SCAFFOLD_DEFAULTS = { url: 'https://blog.example.org/', title: 'My Blog' } as const

/** Path of the example post inside a new site. */
export const EXAMPLE_POST = 'posts/hello-herald.rst'

/**
 * Creates a site folder a new user can start from: `herald.yml` with every key (set to its default, or
 * commented out where the default is derived), an example post, the email templates, and a `.gitignore`
 * that keeps Herald's state (the generated link-signing secret) out of version control.
 *
 * Refuses (`HeraldError('USAGE')`, exit status 2) when `herald.yml` exists, unless `force`. The generated
 * configuration is validated before anything is written.
 */
export async function scaffoldSite(options: ScaffoldOptions): Promise<ScaffoldResult> {
  const dir = path.resolve(options.dir)
  const configFile = path.join(dir, CONFIG_FILE)
  const configText = siteConfigText({ url: options.url ?? SCAFFOLD_DEFAULTS.url, title: options.title ?? SCAFFOLD_DEFAULTS.title })
  checkConfig(configText, dir)

  const dirInfo = await stat(dir).catch(() => null)
  if (dirInfo && !dirInfo.isDirectory()) throw new HeraldError('USAGE', 'exists and is not a folder', { file: dir })
  const configExists = await exists(configFile)
  if (configExists && !options.force) {
    throw new HeraldError(
      'USAGE',
      'already exists; nothing was changed (add --force to replace it; posts and templates are never overwritten)',
      { file: configFile },
    )
  }

  const result: ScaffoldResult = { dir, created: [], overwritten: [], kept: [] }
  await mkdir(dir, { recursive: true })
  await writeFile(configFile, configText, { flag: options.force ? 'w' : 'wx' })
  ;(configExists ? result.overwritten : result.created).push(CONFIG_FILE)

  const existingPosts = await listVisible(path.join(dir, 'posts'))
  if (existingPosts.length > 0) {
    // An existing blog (a Nikola posts folder): an example post would be published and mailed with it.
    result.kept.push({ file: 'posts/', reason: `already holds ${existingPosts.length} file(s); no example post added` })
  } else {
    await writeNew(dir, EXAMPLE_POST, examplePostText(options.now ?? new Date()), result)
  }

  const templatesDir = options.templatesDir ?? BUILTIN_TEMPLATES_DIR
  for (const name of (await readdir(templatesDir)).filter((file) => file.endsWith('.mjml')).sort()) {
    await writeNew(dir, `templates/${name}`, await readFile(path.join(templatesDir, name), 'utf8'), result)
  }
  await writeNew(dir, '.gitignore', GITIGNORE, result)
  return result
}

/** `herald.yml` for a new site: every key with its default and what it means. */
export function siteConfigText(site: { url: string; title: string }): string {
  // JSON strings are valid YAML double-quoted scalars; replacer functions keep "$&" in a title literal.
  return CONFIG_TEMPLATE.replace('@URL@', () => JSON.stringify(site.url)).replace('@TITLE@', () => JSON.stringify(site.title))
}

/** The example post: Nikola's metadata comments, a teaser ending at TEASER_END, and some reST to copy from. */
export function examplePostText(now: Date): string {
  // An explicit offset keeps the post live whatever site.timezone is changed to.
  const date = `${now.toISOString().slice(0, 19).replace('T', ' ')} UTC+00:00`
  return `.. title: Hello from Herald
.. slug: hello-herald
.. date: ${date}
.. tags: herald, example
.. category: news
.. description: The first post of a new Herald site.

This is an example post. Herald reads reStructuredText files with Nikola's
metadata comments at the top (or in a \`\`hello-herald.meta\`\` file beside the
post). \`\`title\`\` and \`\`date\`\` are required; \`\`slug\`\` sets the address
(\`\`posts/hello-herald/\`\` with the default \`\`permalink\`\`).

Everything above the \`\`TEASER_END\`\` comment below is the *teaser*: digests
(\`\`email.content: teaser\`\`) show only this part with a button to the whole
post, and so do feeds with \`\`feeds.teasers: true\`\`.

.. TEASER_END

The rest of the post
--------------------

Write as you would for Nikola or Sphinx:

- **bold**, *italic* and \`\`code\`\`,
- links such as \`reStructuredText primer <https://docutils.sourceforge.io/docs/user/rst/quickstart.html>\`_,
- code blocks:

.. code-block:: sh

   herald posts     # lists this post as live
   herald run       # builds the feeds and mails new posts to subscribers

Delete this file when you write your first post. Set \`\`.. status: draft\`\`
on a post to keep it out of the feeds and the digests while you work on it.
`
}

const GITIGNORE = `# Herald's state: the generated link-signing secret (.herald/secret) and caches. Never commit it.
.herald/
# Emails written when SMTP_URL is not set.
outbox/
`

// Lines "# key: value" are examples of keys without a fixed default; uncommented, they load as they are.
// Prose comment lines never start with "lowercase_word:", so the two can be told apart.
const CONFIG_TEMPLATE = `# Herald site settings. Every key is listed with its default: change what you need, delete what you
# do not (a missing key takes the default shown). Keys that are commented out have no fixed default.
# Endpoints and secrets (REDIS_URL, SMTP_URL, HERALD_SECRET, HERALD_PREFIX, HERALD_STALL_MS, the webhook
# secrets) are environment variables, never settings here: see docs/deployment.md.

site:
  # Base URL of the blog (required). Feed links and entry ids are made from it: when moving a Nikola
  # blog, use its SITE_URL so feed readers see the same entries.
  url: @URL@
  # Site title (required): feeds, emails, the subscribe page.
  title: @TITLE@
  # One line about the blog (feed subtitle). Default "".
  description: ""
  # Author of posts without an ".. author:" line. Default "".
  author: ""
  # Language of the posts and of Herald's own words (dates, "read more", emails, pages); en, ru, de, es, fr, zh are
  # shipped, other languages get English words. Default en.
  language: en
  # IANA time zone for post dates written without an offset, such as Europe/Moscow. Default UTC.
  timezone: UTC
  # Who builds the post pages "Read more" links lead to. true: Herald writes a simple page per post and an index of
  # posts into the output folder (a site without Nikola). false: Nikola (or another tool) builds them at the
  # permalinks. Default false when the key is missing (Herald never writes over pages it did not make); new sites: true.
  pages: true

# Post files: a glob or a list of globs, relative to this folder. Like Nikola's POSTS, each glob also matches in
# every folder below its own (posts/2020/x.rst is matched by posts/*.rst, and 2020/ goes into its address);
# names starting with a dot are skipped; x.de.rst beside x.rst is a translation, not a post. .md files are
# Markdown. Default posts/*.rst, posts/*.txt and posts/*.md.
posts:
  - posts/*.rst
  - posts/*.txt
  - posts/*.md

# Post address relative to site.url, with {slug} and optionally {year}, {month}, {day}; a post's sub-folder
# goes before {slug}. Default posts/{slug}/ (Nikola's default).
permalink: posts/{slug}/

# Nikola's PRETTY_URLS: true gives posts/{slug}/, false gives posts/{slug}.html (a post's ".. pretty_url:"
# overrides it). Default true.
pretty_urls: true

# Largest post file read, in kilobytes; a bigger one is refused with an error. Default 2048 (2 MB).
max_post_kb: 2048

# Folder the feeds are written to, relative to this folder. Default public.
output: public

feeds:
  # Entries per feed. Default 10.
  length: 10
  # Entries hold the teaser and a read-more link (true) or the whole post (false). Default false.
  teasers: false
  # Which formats to write: rss, atom, json. Default all three.
  formats: [rss, atom, json]
  # Which feeds exist: the whole site, one per tag, one per category. Default true for each.
  site: true
  tags: true
  categories: true
  # Paths relative to the output folder. tag and category need {slug}; the format's extension is added.
  # The defaults are Nikola's paths, so readers of a Nikola blog's feeds keep their addresses.
  paths:
    rss: rss.xml
    atom: feed.atom
    json: feed.json
    tag: categories/{slug}
    category: categories/cat_{slug}

# The web archive of emails: a page per edition ("View in browser" in every email links to it), an index and
# an Atom feed, in this folder under the output folder. Default archive.
archive:
  path: archive

subscribe:
  # Tags offered as checkboxes on the subscribe form, such as [python, travel]. Default null: the 12 tags with the
  # most live posts. The preferences page always offers every tag.
  tags: null

websub:
  # WebSub hub told about changed feeds, such as https://pubsubhubbub.appspot.com/. Default null (none).
  hub: null

email:
  # From header of digests and confirmation emails. Default: "<site.title>" <noreply@<host of site.url>>.
  # from: "My Blog <news@blog.example.org>"
  # Reply-To header. Default: none.
  # reply_to: editor@blog.example.org
  # Postal address in every email footer (anti-spam laws such as CAN-SPAM ask for one). Default "".
  postal_address: ""
  # How mail leaves: smtp (the server in the SMTP_URL environment variable) or outbox (.eml files in the
  # folder below: nothing is really sent). SMTP_URL wins when set. Default: none, and then "herald run" refuses
  # to send rather than guess.
  # transport: smtp
  # Folder for .eml files of the outbox transport. Default outbox.
  outbox: outbox
  # What a digest holds of each post: teaser (up to TEASER_END, with a read-more button) or full.
  # Default teaser.
  content: teaser
  # How often a new subscriber hears from the blog unless they choose: instant (an email from each run with new
  # posts), daily or weekly. Default instant.
  default_cadence: instant
  # Send a welcome email (templates/welcome.mjml, with the latest posts) when a subscriber confirms. Default false.
  welcome: false
  # When the daily digest goes out, on the site's clock (site.timezone): the first run at or after this time
  # makes it, with every post announced since the last one. Default 08:00.
  daily_at: "08:00"
  # Day and time of the weekly digest. Default Monday 08:00.
  weekly_on: Monday 08:00
  # Subject of a digest of several posts; {count}, {site} and {date} (the day of a daily digest, the first day of
  # a weekly one's week) are replaced. Default "": the language's own ("{count} new posts on {site}", with
  # " — {date}" or " — week of {date}" for daily and weekly digests). A digest of one post is titled with that post.
  subject: ""
  # Messages per second across all workers of this site; 0 = no limit. Default 0.
  rate_limit: 0
  # Attempts per recipient for temporary failures (4xx replies, timeouts); 5xx is never retried. Default 6.
  attempts: 6
  # First retry delay in milliseconds, doubled on each further attempt (6 attempts span ~15 minutes,
  # past usual greylisting). Default 30000.
  backoff_ms: 30000
  # Longest one message may take, connection and the whole SMTP transaction included. Default 120.
  message_timeout_s: 120
  # Longest "herald run" waits for its emails; retries still pending then are left to the next run or a
  # worker (the run says how many and when). 0 = queue and exit. Default 300.
  run_wait_s: 300
  # Failures in a row with the same server reply, for different recipients, that pause an edition instead of
  # failing the whole list (authentication, relay and TLS refusals pause it at once). Default 5.
  breaker_failures: 5
  # A mailbox someone reads, offered as a mailto: in List-Unsubscribe beside the one-click link. Default: none.
  # unsubscribe_mailto: unsubscribe@blog.example.org
  # Most posts one digest may hold; more new posts at once usually means post ids changed (a new site.url
  # or permalink), so "herald run" mails nobody and says so ("herald run --record-only" records them without
  # mailing). 0 = no limit. Default 10.
  max_edition_posts: 10
  # Where bounces go: each digest is sent from its own address, bounces+<tag>@... (VERP; the From header does
  # not change), so returned mail says which edition and which subscriber it is about. Needed by
  # "herald bounces ingest", "herald serve --smtp-port" and the webhooks. At most 21 characters before the @.
  # Default: none (the envelope sender is the From address; returned mail cannot be attributed).
  # bounce_address: bounces@blog.example.org
  bounces:
    # Soft bounces (full mailbox, temporary failures reported after retries), in different editions, that make
    # a subscriber bounced... Default 2.
    soft_limit: 2
    # ...counted over this many of the latest editions sent to them. Default 5.
    soft_editions: 5
    # When an edition's bounces from one receiving domain reach this share of its recipients there, they are held
    # for "herald bounces review" instead of applied: the receiver's outage, not dead addresses. Default 0.2.
    flood_share: 0.2
    # Fewest bounces from one domain that can be a flood (smaller domains are judged one bounce at a time).
    # Default 5.
    flood_min: 5
  # DKIM signing of every email. Default: none (no signing).
  # dkim:
  #   domain: blog.example.org
  #   selector: herald
  #   private_key_file: dkim-private.pem

http:
  # Where "herald serve" is reachable from outside: confirm and unsubscribe links in emails point here.
  # Default: site.url. For a local trial with docker compose: http://localhost:8080/
  # public_url: https://news.blog.example.org/
  # Subscribe requests allowed per client IP address in each window. Default 5.
  subscribe_rate_limit: 5
  # That window, in seconds. Default 3600.
  subscribe_rate_window_s: 3600

# Days a confirmation link stays valid. Default 7.
confirm_ttl_days: 7

# Cron pattern (in site.timezone) on which "herald worker" runs the publish cycle itself, such as
# "*/10 * * * *". Default null: none; call "herald run" from cron or a systemd timer instead (not both).
schedule: null
`

/** A bad url or title fails here, before anything is written, naming the option rather than a line of the template. */
function checkConfig(configText: string, dir: string): void {
  try {
    parseConfig(configText, dir, {}, CONFIG_FILE)
  } catch (error) {
    if (!(error instanceof HeraldError) || error.code !== 'CONFIG_INVALID') throw error
    const problems = error.message
      .split('\n')
      .slice(1)
      .map((line) =>
        line
          .trim()
          .replace(/^herald\.yml(?::\d+)?: /, '')
          .replace(/^site\.url:/, '--url:')
          .replace(/^site\.title:/, '--title:'),
      )
    throw new HeraldError('USAGE', problems.join('; ') || error.message, {}, { cause: error })
  }
}

async function writeNew(dir: string, relative: string, content: string, result: ScaffoldResult): Promise<void> {
  const file = path.join(dir, relative)
  await mkdir(path.dirname(file), { recursive: true })
  try {
    await writeFile(file, content, { flag: 'wx' })
    result.created.push(relative)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    result.kept.push({ file: relative, reason: 'already exists' })
  }
}

async function exists(file: string): Promise<boolean> {
  return (await stat(file).catch(() => null)) !== null
}

async function listVisible(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((name) => !name.startsWith('.'))
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw error
  }
}
