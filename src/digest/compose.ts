import { type Config, extractAddress } from '../config.js'
import { digestOrder, type PostSnapshot } from '../editions/snapshot.js'
import { escapeHtml } from '../html.js'
import { fill, formatPostDate, messagesFor } from '../i18n/messages.js'
import type { Logger } from '../log.js'
import { normaliseEmail } from '../mail/address.js'
import { EMAIL_CONTENT_WIDTH, hardenEmailHtml, type ImageSizeLookup } from '../mail/email-html.js'
import type { MailMessage } from '../mail/message.js'
import { type BufferPool, buildMessageTemplate, type RawMessage } from '../mail/mime-template.js'
import { compileMjml, type EmailTemplate, fillTemplate, htmlToPlainText } from '../mail/render.js'
import type { TokenSigner } from '../subscribers/tokens.js'
import { excerptHtml, summaryHtml } from './excerpt.js'

/** Per-recipient values are put into the compiled email through these markers (they survive Mustache, MJML and html-to-text). */
const SLOTS = {
  unsubscribeUrl: 'HERALD-SLOT-UNSUBSCRIBE-URL-7c1f',
  preferencesUrl: 'HERALD-SLOT-PREFERENCES-URL-7c1f',
  email: 'HERALD-SLOT-RECIPIENT-EMAIL-7c1f',
} as const
type Slot = keyof typeof SLOTS
const SLOT_PATTERN = new RegExp(`(${Object.values(SLOTS).join('|')})`)
const SLOT_PATTERN_GLOBAL = new RegExp(Object.values(SLOTS).join('|'), 'g')
const SLOT_BY_MARKER = new Map<string, Slot>(Object.entries(SLOTS).map(([slot, marker]) => [marker, slot as Slot]))

/**
 * How much of each post a digest shows. `configured`: what `email.content` says (the teaser up to `TEASER_END`, or
 * the whole post); `excerpt`: every post cut to its teaser or opening paragraphs; `summary`: a description or a few
 * sentences. The composer steps down only when a digest would pass its size limit.
 */
export type DigestLength = 'configured' | 'excerpt' | 'summary'
const LENGTHS: readonly DigestLength[] = ['configured', 'excerpt', 'summary']

/** Largest HTML part a digest may have: under Gmail's clipping point (about 102 KB), with room for encoding. */
export const DIGEST_MAX_BYTES = 100_000

/** A compiled digest: static text with holes for the recipient's values. Compiled once per distinct post list. */
export interface CompiledDigest {
  readonly subject: string
  /** Feed ids of the posts in it, digest order. */
  readonly feedIds: readonly string[]
  /** Alternating literal text and slot names: `[text, slot, text, slot, text]`. */
  readonly html: readonly (string | Slot)[]
  readonly text: readonly (string | Slot)[]
  /** Bytes of the HTML part with the longest per-recipient values in place (what Gmail's clipping counts). */
  readonly htmlBytes: number
  /** How much of each post it shows: `configured` unless the full digest would have passed the size limit. */
  readonly length: DigestLength
}

/** A digest built once for an edition; `render` makes one recipient's copy (the bytes and the envelope). */
export interface DigestTemplate {
  /** The recipient's copy, in a buffer from `buffers` when given. */
  render(recipient: DigestRecipient, buffers?: BufferPool): RawMessage
}

/** The recipient of one message. */
export interface DigestRecipient {
  readonly subscriberId: string
  readonly email: string
}

/** Which edition a digest is for: its cadence and, for a daily or weekly one, the local date it fell due. */
export interface DigestOccasion {
  readonly cadence: 'instant' | 'daily' | 'weekly'
  readonly slot: string | null
}

const INSTANT: DigestOccasion = { cadence: 'instant', slot: null }

const occasionOf = (edition: Partial<DigestOccasion> | undefined): DigestOccasion => ({
  cadence: edition?.cadence ?? 'instant',
  slot: edition?.slot ?? null,
})

/** `YYYY-MM-DD` plus `days` (calendar arithmetic, no time zone involved). */
function addDays(localDate: string, days: number): string {
  const date = new Date(`${localDate}T12:00:00Z`)
  date.setUTCDate(date.getUTCDate() + days)
  return date.toISOString().slice(0, 10)
}

/** What the composer needs. */
export interface DigestComposerOptions {
  readonly config: Config
  /** `digest.mjml`, from the site's `templates/` or Herald's. */
  readonly template: EmailTemplate
  readonly tokens: TokenSigner
  /** Says when a digest is shortened to stay under the size limit. Default: silent. */
  readonly logger?: Logger
  /** Real sizes of the posts' images, so each gets `width` and `height`. Default: none known. */
  readonly imageSize?: ImageSizeLookup
  /** Largest HTML part in bytes before posts are shortened. Default {@link DIGEST_MAX_BYTES}. */
  readonly maxBytes?: number
  /**
   * The envelope sender of one edition's message to one subscriber (a VERP address, `bounces/verp.ts`), or none: the
   * envelope sender is then the From address.
   */
  readonly envelopeSender?: (editionId: string, subscriberId: string) => string
}

/**
 * Renders digests: `compile` runs Mustache and MJML once for a list of posts; `personalise` makes one
 * recipient's message from that by substitution (no template work per recipient).
 */
export class DigestComposer {
  private readonly config: Config
  private readonly template: EmailTemplate
  private readonly tokens: TokenSigner
  private readonly fromAddress: string
  private readonly fromDomain: string
  private readonly listId: string
  private readonly options: DigestComposerOptions
  private readonly envelopeSender: ((editionId: string, subscriberId: string) => string) | null

  constructor(options: DigestComposerOptions) {
    if (!options?.template) throw new TypeError('DigestComposer needs the digest template (options.template)')
    if (!options.tokens) throw new TypeError('DigestComposer needs a TokenSigner (options.tokens)')
    this.config = options.config
    this.template = options.template
    this.tokens = options.tokens
    this.fromAddress = extractAddress(options.config.email.from)
    this.fromDomain = this.fromAddress.split('@')[1] ?? new URL(options.config.site.url).hostname
    this.listId = listId(options.config)
    this.options = options
    this.envelopeSender = options.envelopeSender ?? null
  }

  /**
   * Subject line: the post's title for one post; otherwise `email.subject` (`{count}`, `{site}`, `{date}`) or the
   * language's "N new posts on …", with the day of a daily digest or the week of a weekly one.
   */
  subjectFor(posts: readonly PostSnapshot[], occasion: DigestOccasion = INSTANT): string {
    const site = this.config.site.title
    if (posts.length === 1) return posts[0]!.title.replace(/[\r\n]+/g, ' ')
    const messages = messagesFor(this.config.site.language)
    const date = occasion.slot ? this.dayLabel(occasion.cadence === 'weekly' ? addDays(occasion.slot, -7) : occasion.slot) : ''
    const pattern =
      this.config.email.subject ||
      (occasion.slot === null || occasion.cadence === 'instant'
        ? messages.digestSubject(posts.length)
        : occasion.cadence === 'daily'
          ? messages.digestSubjectDaily(posts.length, date)
          : messages.digestSubjectWeekly(posts.length, date))
    return fill(pattern, { site, count: posts.length, date }).replace(/[\r\n]+/g, ' ')
  }

  /** "12 January" in the site's language, for a local date `YYYY-MM-DD`. */
  private dayLabel(localDate: string): string {
    const format = new Intl.DateTimeFormat(this.config.site.language, { day: 'numeric', month: 'long', timeZone: 'UTC' })
    return format.format(new Date(`${localDate}T12:00:00Z`))
  }

  /**
   * Mustache + MJML (strict) + the email hardening + html-to-text for these posts. With the edition, the digest links
   * to its page in the web archive ("View in browser"). When the HTML part would pass the size limit, posts are
   * shortened (teasers or opening paragraphs with "Read more", then summaries) and the logger says so.
   */
  async compile(posts: readonly PostSnapshot[], edition?: { readonly id: string } & Partial<DigestOccasion>): Promise<CompiledDigest> {
    if (posts.length === 0) throw new TypeError('a digest needs at least one post')
    const ordered = digestOrder(posts)
    const subject = this.subjectFor(ordered, occasionOf(edition))
    const maxBytes = this.options.maxBytes ?? DIGEST_MAX_BYTES
    const archiveUrl = edition ? this.archiveUrl(edition.id) : null
    let compiled: CompiledDigest | undefined
    for (const length of LENGTHS) {
      const html = await this.render(ordered, subject, { length, personal: true, archiveUrl })
      const htmlBytes = Buffer.byteLength(joinSlots(splitSlots(html), this.longestValues(), escapeHtml))
      const previous = compiled
      compiled = { subject, feedIds: ordered.map((post) => post.feedId), html: splitSlots(html), text: [], htmlBytes, length }
      if (previous) {
        this.options.logger?.warn(
          { edition: edition?.id, bytes: previous.htmlBytes, limit: maxBytes, now: htmlBytes, length },
          `a digest of ${ordered.length} post(s) would be ${kilobytes(previous.htmlBytes)} (over ${kilobytes(maxBytes)}; Gmail ` +
            'clips messages past about 102 KB, hiding the unsubscribe link): posts shown as ' +
            `${length === 'excerpt' ? 'teasers' : 'summaries'} with "Read more" (${kilobytes(htmlBytes)})`,
        )
      }
      if (htmlBytes <= maxBytes) break
    }
    const final = compiled!
    return { ...final, text: splitSlots(htmlToPlainText(joinSlots(final.html, markerValues(), (value) => value))) }
  }

  /**
   * The edition's page for the web archive: the same template with the posts as `email.content` says (never shortened
   * for size: a web page is not clipped), and no recipient's data (no unsubscribe or preferences link).
   */
  async archivePage(posts: readonly PostSnapshot[], edition?: Partial<DigestOccasion>): Promise<string> {
    if (posts.length === 0) throw new TypeError('an archive page needs at least one post')
    const ordered = digestOrder(posts)
    const html = await this.render(ordered, this.subjectFor(ordered, occasionOf(edition)), {
      length: 'configured',
      personal: false,
      archiveUrl: null,
    })
    // A site's older copy of digest.mjml may use the recipient's values outside {{#personal}}: leave them empty.
    return html.replace(SLOT_PATTERN_GLOBAL, '')
  }

  /** Where an edition's page is in the web archive (under `site.url`). */
  archiveUrl(editionId: string): string {
    return `${this.config.site.url}${archivePath(this.config, editionId)}`
  }

  /** The recipient's preferences page (served by `herald serve`). */
  preferencesUrl(subscriberId: string): string {
    return `${this.config.http.publicUrl}preferences?token=${encodeURIComponent(this.tokens.preferencesToken(subscriberId))}`
  }

  private async render(
    posts: readonly PostSnapshot[],
    subject: string,
    mode: { length: DigestLength; personal: boolean; archiveUrl: string | null },
  ): Promise<string> {
    const mjml = fillTemplate(this.template, this.view(posts, subject, mode))
    const compiled = await compileMjml(mjml, this.template.file)
    return hardenEmailHtml(compiled, {
      contentWidth: EMAIL_CONTENT_WIDTH,
      ...(this.options.imageSize ? { imageSize: this.options.imageSize } : {}),
    })
  }

  /** Per-recipient values as long as they get, for measuring a digest before anyone's values are known. */
  private longestValues(): Record<Slot, string> {
    const id = 'f'.repeat(32)
    return {
      unsubscribeUrl: this.unsubscribeUrl(id),
      preferencesUrl: this.preferencesUrl(id),
      email: `${'x'.repeat(64)}@${'x'.repeat(60)}.org`,
    }
  }

  /** One recipient's message, with its unsubscribe link, list headers and a Message-ID fixed by edition and recipient. */
  personalise(digest: CompiledDigest, recipient: DigestRecipient, editionId: string): MailMessage {
    const unsubscribeUrl = this.unsubscribeUrl(recipient.subscriberId)
    const values: Record<Slot, string> = {
      unsubscribeUrl,
      preferencesUrl: this.preferencesUrl(recipient.subscriberId),
      email: recipient.email,
    }
    return {
      from: this.config.email.from,
      to: recipient.email,
      replyTo: this.config.email.replyTo,
      subject: digest.subject,
      html: joinSlots(digest.html, values, escapeHtml),
      text: joinSlots(digest.text, values, (value) => value),
      messageId: this.messageId(editionId, recipient.subscriberId),
      ...(this.envelopeSender ? { envelopeFrom: this.envelopeSender(editionId, recipient.subscriberId) } : {}),
      headers: { 'List-Unsubscribe': this.listUnsubscribe(unsubscribeUrl), ...this.bulkHeaders(editionId) },
    }
  }

  /** Fixed by edition and recipient, so a resend after a crash carries the same Message-ID (docs/reliability.md). */
  private messageId(editionId: string, subscriberId: string): string {
    return `<${editionId}.${subscriberId}@${this.fromDomain}>`
  }

  /** The headers every copy of an edition has (the recipient's List-Unsubscribe aside). */
  private bulkHeaders(editionId: string): Record<string, string> {
    return {
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
      'List-Id': this.listId,
      Precedence: 'bulk',
      'X-Herald-Edition': editionId,
    }
  }

  /**
   * The digest of an edition as one message built once (`mail/mime-template.ts`): each recipient's copy differs only
   * in To, Message-ID, the unsubscribe link and the address shown, and is made by substitution, never built again.
   */
  async messageTemplate(digest: CompiledDigest, editionId: string): Promise<DigestTemplate> {
    const toParts = (parts: readonly (string | Slot)[]) => parts.map((part, index) => (index % 2 === 1 ? { slot: part } : part))
    const message = await buildMessageTemplate({
      from: this.config.email.from,
      replyTo: this.config.email.replyTo,
      subject: digest.subject,
      headers: this.bulkHeaders(editionId),
      html: toParts(digest.html),
      text: toParts(digest.text),
    })
    const fromAddress = this.fromAddress
    const envelopeSender = this.envelopeSender
    return {
      render: (recipient, buffers) => {
        const unsubscribeUrl = this.unsubscribeUrl(recipient.subscriberId)
        const preferencesUrl = this.preferencesUrl(recipient.subscriberId)
        const ascii = normaliseEmail(recipient.email).ascii
        return message.render(
          {
            to: ascii,
            messageId: this.messageId(editionId, recipient.subscriberId),
            listUnsubscribe: this.listUnsubscribe(unsubscribeUrl),
            html: {
              unsubscribeUrl: escapeHtml(unsubscribeUrl),
              preferencesUrl: escapeHtml(preferencesUrl),
              email: escapeHtml(recipient.email),
            },
            text: { unsubscribeUrl, preferencesUrl, email: recipient.email },
          },
          envelopeSender ? envelopeSender(editionId, recipient.subscriberId) : fromAddress,
          buffers,
        )
      },
    }
  }

  /** RFC 2369 / 8058: the one-click URL, and a `mailto:` only when `email.unsubscribe_mailto` names a mailbox someone reads. */
  private listUnsubscribe(unsubscribeUrl: string): string {
    const mailto = this.config.email.unsubscribeMailto
    return mailto ? `<${unsubscribeUrl}>, <mailto:${mailto}?subject=unsubscribe>` : `<${unsubscribeUrl}>`
  }

  /** The recipient's one-click unsubscribe URL (served by `herald serve`). */
  unsubscribeUrl(subscriberId: string): string {
    return `${this.config.http.publicUrl}unsubscribe?token=${encodeURIComponent(this.tokens.unsubscribeToken(subscriberId))}`
  }

  private view(
    posts: readonly PostSnapshot[],
    subject: string,
    mode: { length: DigestLength; personal: boolean; archiveUrl: string | null },
  ): object {
    const { site, email } = this.config
    const words = messagesFor(site.language)
    return {
      lang: site.language,
      subject,
      preview: posts.map((post) => post.title).join(' · '),
      site: { title: site.title, url: site.url, description: site.description },
      intro: fill(words.digestIntro(posts.length), { site: site.title }),
      posts: posts.map((post) => {
        const { content, readMore } = postContent(post, mode.length, email.content, excerptChars(posts.length))
        return {
          title: post.title,
          url: post.permalink,
          date: formatPostDate(post.date, site.language, site.timezone),
          author: post.author,
          image: post.previewImage,
          tags: post.tags,
          content,
          readMore: readMore ? post.readMoreLabel : null,
        }
      }),
      archiveUrl: mode.archiveUrl,
      viewInBrowserLabel: words.viewInBrowser,
      personal: mode.personal,
      reason: fill(words.unsubscribeReason, { site: site.title }),
      unsubscribeUrl: SLOTS.unsubscribeUrl,
      unsubscribeLabel: words.unsubscribe,
      preferencesUrl: SLOTS.preferencesUrl,
      preferencesLabel: words.preferencesLink,
      recipientEmail: SLOTS.email,
      feedUrl: siteFeedUrl(this.config),
      feedLabel: words.viewFeed,
      postalAddress: email.postalAddress,
    }
  }
}

/** The HTML a digest shows of one post at a length, and whether a "Read more" button follows it. */
function postContent(
  post: PostSnapshot,
  length: DigestLength,
  content: 'teaser' | 'full',
  chars: number,
): { content: string; readMore: boolean } {
  if (length === 'summary') return { content: summaryHtml(post.description, post.teaserHtml ?? post.html), readMore: true }
  if (post.teaserHtml !== null && (length === 'excerpt' || content === 'teaser')) return { content: post.teaserHtml, readMore: true }
  if (length === 'excerpt') {
    const excerpt = excerptHtml(post.html, chars)
    return { content: excerpt, readMore: excerpt.length < post.html.length }
  }
  return { content: post.html, readMore: false }
}

/** Characters of text per post in an excerpt: the fewer posts, the longer each (about 6,000 in all, 300 to 1,500 each). */
function excerptChars(posts: number): number {
  return Math.max(300, Math.min(1500, Math.floor(6000 / Math.max(1, posts))))
}

/** The site's main feed (Atom first, then RSS, then JSON Feed), for "follow the feed" links. */
export function siteFeedUrl(config: Config): string {
  const { feeds, site } = config
  const feedPath = feeds.formats.includes('atom') ? feeds.paths.atom : feeds.formats.includes('rss') ? feeds.paths.rss : feeds.paths.json
  return site.url + feedPath
}

/** An edition's page in the archive, relative to the output folder and to `site.url`: `archive/<edition id>/`. */
export function archivePath(config: Config, editionId: string): string {
  return `${config.archive.path}/${editionId}/`
}

function kilobytes(bytes: number): string {
  return `${(bytes / 1000).toFixed(1)} KB`
}

/** Slot markers as their own values, for converting the compiled HTML to text without losing the holes. */
function markerValues(): Record<Slot, string> {
  return { ...SLOTS }
}

/**
 * `List-Id: "Site title" <digest.blog.example.org>` (RFC 2919). A non-ASCII title is written as RFC 2047
 * encoded words here, because a mail library encoding the whole value would hide the `<list-id>` inside them.
 */
export function listId(config: Config): string {
  const title = config.site.title.replace(/["\\\r\n]/g, '')
  // A phrase of plain words goes as it is; anything else (non-ASCII, quotes, specials) as encoded words.
  const phrase = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~ .-]*$/.test(title) ? title : encodedWords(title)
  return `${phrase} <digest.${new URL(config.site.url).hostname}>`
}

/** RFC 2047 B-encoded words of at most 45 bytes of text each (whole characters only). */
function encodedWords(text: string): string {
  const words: string[] = []
  let chunk = ''
  for (const char of text) {
    if (Buffer.byteLength(chunk + char) > 45) {
      words.push(chunk)
      chunk = ''
    }
    chunk += char
  }
  if (chunk) words.push(chunk)
  return words.map((word) => `=?UTF-8?B?${Buffer.from(word).toString('base64')}?=`).join(' ')
}

function splitSlots(text: string): (string | Slot)[] {
  return text.split(SLOT_PATTERN).map((part, index) => (index % 2 === 1 ? SLOT_BY_MARKER.get(part)! : part))
}

function joinSlots(parts: readonly (string | Slot)[], values: Record<Slot, string>, escapeValue: (value: string) => string): string {
  // join() builds one flat string; `+=` would hand nodemailer a rope that is slow to scan while encoding.
  return parts.map((part, index) => (index % 2 === 1 ? escapeValue(values[part as Slot]) : part)).join('')
}
