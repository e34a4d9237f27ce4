import type { Config } from '../config.js'
import { fill, messagesFor } from '../i18n/messages.js'
import type { MailMessage } from '../mail/message.js'
import { loadTemplate, renderEmail } from '../mail/render.js'
import type { MailTransport, SendResult } from '../mail/transport.js'
import { confirmUrl } from '../subscribers/links.js'
import type { Subscriber } from '../subscribers/store.js'
import type { TokenSigner } from '../subscribers/tokens.js'

/** Options for {@link ConfirmationMailer}. */
export interface ConfirmationMailerOptions {
  readonly config: Config
  readonly transport: MailTransport
  readonly tokens: TokenSigner
  /** Herald's own templates folder. Default: the repository's `templates/`. */
  readonly builtinTemplatesDir?: string
}

/** Sends the double opt-in email, rendered from `confirm.mjml` (the site's own copy when it has one) in the site's language. */
export class ConfirmationMailer {
  constructor(private readonly options: ConfirmationMailerOptions) {
    if (!options?.config || !options.transport || !options.tokens) throw new TypeError('ConfirmationMailer needs config, transport and tokens')
  }

  /** The link the email carries (exposed for tests and the CLI). */
  confirmUrl(subscriberId: string): string {
    return confirmUrl(this.options.config.http.publicUrl, this.options.tokens, subscriberId)
  }

  /** Renders the email for a subscriber. */
  async compose(subscriber: Subscriber): Promise<MailMessage> {
    const { config } = this.options
    const words = messagesFor(config.site.language)
    const site = { site: config.site.title }
    const subject = fill(words.confirmSubject, site)
    const template = await loadTemplate('confirm', { siteDir: config.siteDir, ...(this.options.builtinTemplatesDir ? { builtinDir: this.options.builtinTemplatesDir } : {}) })
    const { html, text } = await renderEmail(template, {
      lang: config.site.language,
      subject,
      siteTitle: config.site.title,
      intro: fill(words.confirmIntro, site),
      button: words.confirmButton,
      confirmUrl: this.confirmUrl(subscriber.id),
      linkHint: words.confirmLinkHint,
      validity: words.confirmValidity(config.confirmTtlDays),
      ignore: words.confirmIgnore,
      postalAddress: config.email.postalAddress,
    })
    return { from: config.email.from, to: subscriber.email, ...(config.email.replyTo ? { replyTo: config.email.replyTo } : {}), subject, html, text, headers: { 'Auto-Submitted': 'auto-generated' } }
  }

  /** Composes and sends. */
  async send(subscriber: Subscriber): Promise<SendResult> {
    return this.options.transport.send(await this.compose(subscriber))
  }
}
