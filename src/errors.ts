/**
 * Stable machine-readable codes for every failure Herald reports.
 * The code says *what kind* of failure; the message says what to do about it.
 */
export type HeraldErrorCode =
  | 'CONFIG_INVALID'
  | 'CONFIG_MISSING'
  | 'USAGE'
  | 'SECRET_INVALID'
  | 'REDIS_UNAVAILABLE'
  | 'SITE_CONFLICT'
  | 'SUBSCRIBER_INVALID'
  | 'SUBSCRIBER_NOT_FOUND'
  | 'EDITION_NOT_FOUND'
  | 'CSV_INVALID'
  | 'TEMPLATE_INVALID'
  | 'MAIL_INVALID'
  | 'MAIL_UNAVAILABLE'

/** Where a problem is: a file (relative to the site folder), a line in it, and/or a field. */
export interface ErrorLocation {
  /** File the problem is in, relative to the site folder when possible. */
  file?: string
  /** 1-based line number, when known. */
  line?: number
  /** Metadata key, config key (dotted path) or form field concerned. */
  field?: string
}

/**
 * The one error class Herald throws on purpose. `code` is for programs, `message` for people;
 * `location` names the file/line/field so an operator can fix the input without reading code.
 */
export class HeraldError extends Error {
  readonly code: HeraldErrorCode
  readonly location: ErrorLocation

  constructor(code: HeraldErrorCode, message: string, location: ErrorLocation = {}, options?: { cause?: unknown }) {
    super(formatLocated(message, location), options)
    this.name = 'HeraldError'
    this.code = code
    this.location = location
  }
}

/** `posts/a.rst:12: title: message` — the compiler-style prefix editors and terminals understand. */
export function formatLocated(message: string, location: ErrorLocation): string {
  let prefix = ''
  if (location.file) prefix += `${location.file + (location.line ? `:${location.line}` : '')}: `
  if (location.field) prefix += `${location.field}: `
  return prefix + message
}

/** Process exit statuses shared by every command. */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  postErrors: 3,
  recipientsFailed: 4,
  /** `run`: an edition is paused after a systemic mail failure (fix the cause, then run again). */
  editionPaused: 5,
  /** `run`: sends still pending (retries) when `email.run_wait_s` ran out; the next run or a worker sends them. */
  sendsDeferred: 6,
} as const
