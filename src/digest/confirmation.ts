import type { Config } from '../config.js'
import { fill, messagesFor } from '../i18n/messages.js'
import type { MailMessage } from '../mail/message.js'
import { type EmailTemplate, renderEmail } from '../mail/render.js'

/** The double opt-in email for one address, rendered from `confirm.mjml` in the site's language. */
export async function composeConfirmation(options: {
  readonly config: Config
  readonly template: EmailTemplate
  readonly to: string
  /** The link that confirms (see subscribers/links.ts). */
  readonly confirmUrl: string
}): Promise<MailMessage> {
  const { config } = options
  const words = messagesFor(config.site.language)
  const site = { site: config.site.title }
  const subject = fill(words.confirmSubject, site)
  const { html, text } = await renderEmail(options.template, {
    lang: config.site.language,
    subject,
    siteTitle: config.site.title,
    intro: fill(words.confirmIntro, site),
    button: words.confirmButton,
    confirmUrl: options.confirmUrl,
    linkHint: words.confirmLinkHint,
    validity: words.confirmValidity(config.confirmTtlDays),
    ignore: words.confirmIgnore,
    postalAddress: config.email.postalAddress,
  })
  return {
    from: config.email.from,
    to: options.to,
    ...(config.email.replyTo ? { replyTo: config.email.replyTo } : {}),
    subject,
    html,
    text,
    headers: { 'Auto-Submitted': 'auto-generated' },
  }
}
