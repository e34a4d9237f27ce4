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

/** A time of day on the site's clock. */
export interface TimeOfDay {
  readonly hour: number
  readonly minute: number
}

/** `"08:00"` or `"8:30"` (24-hour clock) as a time of day, or null. */
export function parseTimeOfDay(text: string): TimeOfDay | null {
  const match = /^\s*(\d{1,2})(?::(\d{2}))?\s*$/.exec(text)
  if (!match) return null
  const hour = Number(match[1])
  const minute = Number(match[2] ?? 0)
  return hour <= 23 && minute <= 59 ? { hour, minute } : null
}

const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday']

/** `"Monday 08:00"`, `"mon 8:00"` or `"Sunday"` (08:00) as ISO weekday (1 = Monday … 7 = Sunday) and time, or null. */
export function parseWeeklyOn(text: string): (TimeOfDay & { readonly weekday: number }) | null {
  const match = /^\s*([a-z]+)\.?(?:\s+(.+))?$/i.exec(text)
  if (!match) return null
  const name = match[1]!.toLowerCase()
  const index = WEEKDAYS.findIndex((day) => name.length >= 3 && day.startsWith(name))
  const time = match[2] === undefined ? { hour: 8, minute: 0 } : parseTimeOfDay(match[2])
  return index < 0 || !time ? null : { weekday: index + 1, ...time }
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
