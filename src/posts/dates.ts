import { DateTime, FixedOffsetZone } from 'luxon'

/** A post date: the instant, and how Herald writes it (ISO 8601 with the offset the post was written in). */
export interface PostDate {
  /** ISO 8601 with offset, seconds precision: `2014-07-13T15:23:14+04:00`. */
  readonly iso: string
  /** Milliseconds since the epoch, for comparing and sorting. */
  readonly ms: number
}

/** A date read from metadata, and a warning when what was written is probably not what was meant. */
export interface ReadDate {
  readonly date: PostDate
  readonly warning: string | null
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec']

// Year-first dates (2014-07-13, 2014/7/13), optional time with optional AM/PM, then an optional zone.
const NUMERIC = new RegExp(
  [
    String.raw`^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})`,
    String.raw`(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*([AaPp][Mm])?)?`,
    String.raw`\s*(.*)$`,
  ].join(''),
)
// `Sat, 11 Nov 2017 18:27:40 +0100`, `11 Nov 2017 18:27`.
const WORDY =
  /^(?:[A-Za-z]{3,9},?\s+)?(\d{1,2})\s+([A-Za-z]{3,9})\.?\s+(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?)?\s*(.*)$/

/**
 * Reads a post date the way Nikola 8.2 does (`utils.to_datetime`: ` UTC±HH:MM` rewritten to `±HH:MM`, then
 * python-dateutil), so a post keeps the instant Nikola gave it:
 * - `2014-07-13 15:23:14`, `2014/07/13 15:23`, `2014-07-13` (midnight), `2014-07-13T15:23:14+04:00`, `… Z`, `… UTC`,
 *   `… UTC+03:00`, `… +0300`, `Sat, 11 Nov 2017 18:27:40 +0100`, `11 Nov 2017 6:27 PM`;
 * - a date without a zone is wall-clock time in `timeZone` (the offset in force on that date);
 * - any other `LETTERS±N` (`UC+01:00`, `GMT+1`, `UTC+1`) is read as dateutil reads it, a POSIX zone whose sign
 *   is inverted (`UC+01:00` = UTC−01:00), with a warning, since it is usually a typo;
 * - a zone abbreviation (`CET`, `EST`) is ignored by dateutil: the site's zone is used, with a warning.
 */
export function readPostDate(value: string, timeZone: string): ReadDate | { error: string } {
  const text = value.trim().replace(/ UTC([+-]\d\d:\d\d)$/, '$1')
  const numeric = NUMERIC.exec(text)
  const wordy = numeric ? null : WORDY.exec(text)
  let parts: { year: number; month: number; day: number; hour: number; minute: number; second: number; millisecond: number }
  let zoneText: string
  if (numeric) {
    const [, year, month, day, hour = '0', minute = '0', second = '0', fraction = '0', meridiem, rest = ''] = numeric
    parts = {
      year: Number(year),
      month: Number(month),
      day: Number(day),
      hour: twelveHour(Number(hour), meridiem),
      minute: Number(minute),
      second: Number(second),
      millisecond: Math.floor(Number(`0.${fraction}`) * 1000),
    }
    zoneText = rest.trim()
  } else if (wordy) {
    const [, day, monthName, year, hour = '0', minute = '0', second = '0', meridiem, rest = ''] = wordy
    const month = MONTHS.indexOf(monthName!.slice(0, 3).toLowerCase()) + 1
    if (month === 0) return { error: unreadable(value) }
    parts = {
      year: Number(year),
      month,
      day: Number(day),
      hour: twelveHour(Number(hour), meridiem),
      minute: Number(minute),
      second: Number(second),
      millisecond: 0,
    }
    zoneText = rest.trim()
  } else return { error: unreadable(value) }

  const zone = readZone(zoneText, value)
  if ('error' in zone) return zone
  const date = DateTime.fromObject(parts, { zone: zone.zone ?? timeZone })
  if (!date.isValid)
    return { error: `${JSON.stringify(value)} is not a real date or time (${date.invalidExplanation ?? date.invalidReason})` }
  return { date: toPostDate(date), warning: zone.warning }
}

/** Like {@link readPostDate}, without the warning. */
export function parsePostDate(value: string, timeZone: string): PostDate | { error: string } {
  const read = readPostDate(value, timeZone)
  return 'error' in read ? read : read.date
}

const unreadable = (value: string) =>
  `cannot read ${JSON.stringify(value)} as a date; expected e.g. 2014-07-13 15:23:14, 2014/07/13 15:23, ` +
  '2014-07-13T15:23:14+04:00 or 2014-07-13 15:23 UTC+04:00'

const twelveHour = (hour: number, meridiem: string | undefined) => {
  if (!meridiem) return hour
  const pm = meridiem.toLowerCase() === 'pm'
  return (hour % 12) + (pm ? 12 : 0)
}

function offsetZone(sign: string, hours: string, minutes: string | undefined): FixedOffsetZone | null {
  const total = Number(hours) * 60 + Number(minutes ?? '0')
  if (total > 18 * 60) return null
  return FixedOffsetZone.instance(sign === '-' ? -total : total)
}

const formatOffset = (minutes: number) => {
  const sign = minutes < 0 ? '−' : '+'
  const absolute = Math.abs(minutes)
  return `${sign}${String(Math.floor(absolute / 60)).padStart(2, '0')}:${String(absolute % 60).padStart(2, '0')}`
}

function readZone(text: string, value: string): { zone: FixedOffsetZone | null; warning: string | null } | { error: string } {
  if (text === '') return { zone: null, warning: null }
  const compact = text.replace(/\s+/g, '')
  if (/^(?:Z|UTC|GMT|UT)$/i.test(compact)) return { zone: FixedOffsetZone.utcInstance, warning: null }
  const plain = /^([+-])(\d{2}):?(\d{2})?$/.exec(compact)
  if (plain) {
    const zone = offsetZone(plain[1]!, plain[2]!, plain[3])
    return zone ? { zone, warning: null } : { error: `cannot read the time zone ${JSON.stringify(text)} in ${JSON.stringify(value)}` }
  }
  const posix = /^([A-Za-z]{2,5})([+-])(\d{1,2})(?::?(\d{2}))?$/.exec(compact)
  if (posix) {
    // dateutil reads `NAME±N` as a POSIX TZ string, where the sign means the opposite of ISO 8601.
    const zone = offsetZone(posix[2] === '+' ? '-' : '+', posix[3]!, posix[4])
    if (!zone) return { error: `cannot read the time zone ${JSON.stringify(text)} in ${JSON.stringify(value)}` }
    return {
      zone,
      warning:
        `the time zone "${text}" is read as Nikola reads it, UTC${formatOffset(zone.offset(0))} (a POSIX zone: the sign is inverted); ` +
        `write "UTC${text.slice(posix[1]!.length)}" with two-digit hours and minutes, ` +
        `or "${text.slice(posix[1]!.length)}", if that is not what you meant`,
    }
  }
  if (/^[A-Za-z]{2,5}$/.test(compact)) {
    return {
      zone: null,
      warning: `the time zone "${text}" is ignored (Nikola ignores zone abbreviations too); the site's time zone is used`,
    }
  }
  return { error: `cannot read the time zone ${JSON.stringify(text)} in ${JSON.stringify(value)}` }
}

/** Formats a luxon DateTime as a PostDate, keeping its offset. */
export function toPostDate(date: DateTime): PostDate {
  return { iso: date.toISO({ suppressMilliseconds: true, includeOffset: true })!, ms: date.toMillis() }
}
