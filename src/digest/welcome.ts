import type { Config } from '../config.js'
import type { PostSnapshot } from '../editions/snapshot.js'
import { fill, formatPostDate, messagesFor } from '../i18n/messages.js'
import type { MailMessage } from '../mail/message.js'
import { type EmailTemplate, renderEmail } from '../mail/render.js'
import { siteFeedUrl } from './compose.js'

/** How many of the latest posts a welcome email lists. */
export const WELCOME_POSTS = 5

/**
 * The welcome email for a subscriber who just confirmed, rendered from `welcome.mjml` in the site's language: the
 * newest posts (title, date, description), and the preferences and unsubscribe links (in the body and in
 * `List-Unsubscribe`, since it goes to a subscriber like any digest).
 */
export async function composeWelcome(options: {
  readonly config: Config
  readonly template: EmailTemplate
  readonly to: string
  /** Live posts, any order; the newest {@link WELCOME_POSTS} are listed. */
  readonly posts: readonly PostSnapshot[]
  readonly unsubscribeUrl: string
  readonly preferencesUrl: string
}): Promise<MailMessage> {
  const { config } = options
  const { site, email } = config
  const words = messagesFor(site.language)
  const values = { site: site.title }
  const subject = fill(words.welcomeSubject, values)
  const posts = [...options.posts].sort((a, b) => Date.parse(b.date) - Date.parse(a.date)).slice(0, WELCOME_POSTS)
  const { html, text } = await renderEmail(options.template, {
    lang: site.language,
    subject,
    siteTitle: site.title,
    siteUrl: site.url,
    intro: fill(words.welcomeIntro, values),
    latestLabel: posts.length > 0 ? words.welcomeLatest : null,
    posts: posts.map((post) => ({
      title: post.title,
      url: post.permalink,
      date: formatPostDate(post.date, site.language, site.timezone),
      description: post.description,
    })),
    manage: words.welcomeManage,
    preferencesUrl: options.preferencesUrl,
    preferencesLabel: words.preferencesLink,
    unsubscribeUrl: options.unsubscribeUrl,
    unsubscribeLabel: words.unsubscribe,
    feedUrl: siteFeedUrl(config),
    feedLabel: words.viewFeed,
    postalAddress: email.postalAddress,
  })
  return {
    from: email.from,
    to: options.to,
    ...(email.replyTo ? { replyTo: email.replyTo } : {}),
    subject,
    html,
    text,
    headers: {
      'List-Unsubscribe': `<${options.unsubscribeUrl}>`,
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
      'Auto-Submitted': 'auto-generated',
    },
  }
}
