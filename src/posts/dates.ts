import { DateTime, FixedOffsetZone } from 'luxon'

/** A post date: the instant, and how Herald writes it (ISO 8601 with the offset the post was written in). */
export interface PostDate {
  /** ISO 8601 with offset, seconds precision: `2014-07-13T15:23:14+04:00`. */
  readonly iso: string
  /** Milliseconds since the epoch, for comparing and sorting. */
  readonly ms: number
}

const DATE_PATTERN = new RegExp(
  [
    String.raw`^(\d{4})[-/](\d{1,2})[-/](\d{1,2})`,
    String.raw`(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?`,
    String.raw`\s*(Z|(?:UTC|GMT)(?:\s*[+-]\d{1,2}(?::?\d{2})?)?|[+-]\d{2}(?::?\d{2})?)?$`,
  ].join(''),
  'i',
)

/**
 * Parses a Nikola post date: `YYYY-MM-DD HH:MM[:SS]`, `YYYY/MM/DD HH:MM[:SS]`, a bare `YYYY-MM-DD`,
 * ISO 8601 with an offset, or a trailing `UTC+03:00` / `GMT-5` / `+0300` / `Z`.
 * A date without a zone is wall-clock time in `timeZone`, with the offset in force on that date
 * (Europe/Moscow in July 2014 was +04:00). Returns a reason string when the value is not a date.
 */
export function parsePostDate(value: string, timeZone: string): PostDate | { error: string } {
  const match = DATE_PATTERN.exec(value.trim())
  if (!match) {
    return {
      error:
        `cannot read ${JSON.stringify(value)} as a date; expected e.g. 2014-07-13 15:23:14, 2014/07/13 15:23, ` +
        '2014-07-13T15:23:14+04:00 or 2014-07-13 15:23 UTC+04:00',
    }
  }
  const [, year, month, day, hour = '0', minute = '0', second = '0', fraction = '0', zoneText] = match
  const zone = zoneText ? parseZone(zoneText) : timeZone
  if (zone === null) return { error: `cannot read the time zone ${JSON.stringify(zoneText)} in ${JSON.stringify(value)}` }
  const parts = {
    year: Number(year),
    month: Number(month),
    day: Number(day),
    hour: Number(hour),
    minute: Number(minute),
    second: Number(second),
    millisecond: Math.floor(Number(`0.${fraction}`) * 1000),
  }
  const date = DateTime.fromObject(parts, { zone })
  if (!date.isValid)
    return { error: `${JSON.stringify(value)} is not a real date or time (${date.invalidExplanation ?? date.invalidReason})` }
  return toPostDate(date)
}

/** Formats a luxon DateTime as a PostDate, keeping its offset. */
export function toPostDate(date: DateTime): PostDate {
  return { iso: date.toISO({ suppressMilliseconds: true, includeOffset: true })!, ms: date.toMillis() }
}

function parseZone(text: string): FixedOffsetZone | null {
  const compact = text.replace(/\s+/g, '').toUpperCase()
  if (compact === 'Z' || compact === 'UTC' || compact === 'GMT') return FixedOffsetZone.utcInstance
  const match = /^(?:UTC|GMT)?([+-])(\d{1,2})(?::?(\d{2}))?$/.exec(compact)
  if (!match) return null
  const minutes = Number(match[2]) * 60 + Number(match[3] ?? '0')
  if (minutes > 18 * 60) return null
  return FixedOffsetZone.instance(match[1] === '-' ? -minutes : minutes)
}
