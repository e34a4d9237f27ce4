import { type Config, extractAddress } from '../config.js'
import { digestOrder, type PostSnapshot } from '../editions/snapshot.js'
import { escapeHtml } from '../html.js'
import { fill, formatPostDate, messagesFor } from '../i18n/messages.js'
import type { MailMessage } from '../mail/message.js'
import { compileMjml, type EmailTemplate, fillTemplate, htmlToPlainText } from '../mail/render.js'
import type { TokenSigner } from '../subscribers/tokens.js'

/** Per-recipient values are put into the compiled email through these markers (they survive Mustache, MJML and html-to-text). */
const SLOTS = {
  unsubscribeUrl: 'HERALD-SLOT-UNSUBSCRIBE-URL-7c1f',
  email: 'HERALD-SLOT-RECIPIENT-EMAIL-7c1f',
} as const
type Slot = keyof typeof SLOTS
const SLOT_PATTERN = new RegExp(`(${Object.values(SLOTS).join('|')})`)
const SLOT_BY_MARKER = new Map<string, Slot>(Object.entries(SLOTS).map(([slot, marker]) => [marker, slot as Slot]))

/** A compiled digest: static text with holes for the recipient's values. Compiled once per distinct post list. */
export interface CompiledDigest {
  readonly subject: string
  /** Feed ids of the posts in it, digest order. */
  readonly feedIds: readonly string[]
  /** Alternating literal text and slot names: `[text, slot, text, slot, text]`. */
  readonly html: readonly (string | Slot)[]
  readonly text: readonly (string | Slot)[]
}

/** The recipient of one message. */
export interface DigestRecipient {
  readonly subscriberId: string
  readonly email: string
}

/** What the composer needs. */
export interface DigestComposerOptions {
  readonly config: Config
  /** `digest.mjml`, from the site's `templates/` or Herald's. */
  readonly template: EmailTemplate
  readonly tokens: TokenSigner
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
  private readonly fromDomain: string
  private readonly listId: string
  private readonly envelopeSender: ((editionId: string, subscriberId: string) => string) | null

  constructor(options: DigestComposerOptions) {
    if (!options?.template) throw new TypeError('DigestComposer needs the digest template (options.template)')
    if (!options.tokens) throw new TypeError('DigestComposer needs a TokenSigner (options.tokens)')
    this.config = options.config
    this.template = options.template
    this.tokens = options.tokens
    this.fromDomain = extractAddress(options.config.email.from).split('@')[1] ?? new URL(options.config.site.url).hostname
    this.listId = listId(options.config)
    this.envelopeSender = options.envelopeSender ?? null
  }

  /** Subject line: the post's title for one post, otherwise `email.subject` or the language's "N new posts on …". */
  subjectFor(posts: readonly PostSnapshot[]): string {
    const site = this.config.site.title
    if (posts.length === 1) return posts[0]!.title.replace(/[\r\n]+/g, ' ')
    const pattern = this.config.email.subject || messagesFor(this.config.site.language).digestSubject(posts.length)
    return fill(pattern, { site, count: posts.length }).replace(/[\r\n]+/g, ' ')
  }

  /** Mustache + MJML (strict) + html-to-text for these posts. */
  async compile(posts: readonly PostSnapshot[]): Promise<CompiledDigest> {
    if (posts.length === 0) throw new TypeError('a digest needs at least one post')
    const ordered = digestOrder(posts)
    const subject = this.subjectFor(ordered)
    const mjml = fillTemplate(this.template, this.view(ordered, subject))
    const html = await compileMjml(mjml, this.template.file)
    return { subject, feedIds: ordered.map((post) => post.feedId), html: splitSlots(html), text: splitSlots(htmlToPlainText(html)) }
  }

  /** One recipient's message, with its unsubscribe link, list headers and a Message-ID fixed by edition and recipient. */
  personalise(digest: CompiledDigest, recipient: DigestRecipient, editionId: string): MailMessage {
    const unsubscribeUrl = this.unsubscribeUrl(recipient.subscriberId)
    const values: Record<Slot, string> = { unsubscribeUrl, email: recipient.email }
    return {
      from: this.config.email.from,
      to: recipient.email,
      replyTo: this.config.email.replyTo,
      subject: digest.subject,
      html: joinSlots(digest.html, values, escapeHtml),
      text: joinSlots(digest.text, values, (value) => value),
      messageId: `<${editionId}.${recipient.subscriberId}@${this.fromDomain}>`,
      ...(this.envelopeSender ? { envelopeFrom: this.envelopeSender(editionId, recipient.subscriberId) } : {}),
      headers: {
        'List-Unsubscribe': this.listUnsubscribe(unsubscribeUrl),
        'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
        'List-Id': this.listId,
        Precedence: 'bulk',
        'X-Herald-Edition': editionId,
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

  private view(posts: readonly PostSnapshot[], subject: string): object {
    const { site, email, feeds } = this.config
    const words = messagesFor(site.language)
    const feedPath = feeds.formats.includes('atom') ? feeds.paths.atom : feeds.formats.includes('rss') ? feeds.paths.rss : feeds.paths.json
    const fullText = email.content === 'full'
    return {
      lang: site.language,
      subject,
      preview: posts.map((post) => post.title).join(' · '),
      site: { title: site.title, url: site.url, description: site.description },
      intro: fill(words.digestIntro(posts.length), { site: site.title }),
      posts: posts.map((post) => {
        const teaser = !fullText && post.teaserHtml !== null
        return {
          title: post.title,
          url: post.permalink,
          date: formatPostDate(post.date, site.language, site.timezone),
          author: post.author,
          image: post.previewImage,
          tags: post.tags,
          content: teaser ? post.teaserHtml : post.html,
          readMore: teaser ? post.readMoreLabel : null,
        }
      }),
      reason: fill(words.unsubscribeReason, { site: site.title }),
      unsubscribeUrl: SLOTS.unsubscribeUrl,
      unsubscribeLabel: words.unsubscribe,
      recipientEmail: SLOTS.email,
      feedUrl: site.url + feedPath,
      feedLabel: words.viewFeed,
      postalAddress: email.postalAddress,
    }
  }
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
