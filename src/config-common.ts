import path from 'node:path'
import addressparser from 'nodemailer/lib/addressparser/index.js'

// What config.ts and config-schema.ts both need; kept apart so that neither imports the other at run time.

/** Where Herald keeps its own state inside a site folder (caches, the generated secret, a private Redis). */
export const stateDir = (siteDir: string): string => path.join(siteDir, '.herald')

/** Name of the site configuration file inside a site folder. */
export const CONFIG_FILE = 'herald.yml'

/** The feed formats Herald writes. */
export const FEED_FORMATS = ['rss', 'atom', 'json'] as const
/** A feed format Herald writes. */
export type FeedFormat = (typeof FEED_FORMATS)[number]

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
