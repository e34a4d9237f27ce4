import { UsageError } from './runtime.js'

/** Every option value parser of the command line, so a mistake reads the same whatever the command. */

/** A moment given as ISO 8601 (`--now`, `--bounced-since`); the real clock when absent. */
export function parseNow(value: string | undefined, flag = '--now'): Date {
  if (value === undefined) return new Date()
  const date = new Date(value)
  if (Number.isNaN(date.getTime())) {
    throw new UsageError(`${flag}: cannot read ${JSON.stringify(value)} as a date; use ISO 8601 such as 2030-01-01T00:00:00Z`)
  }
  return date
}

/** A whole number at least `minimum` (and at most `maximum`). */
export function parseWholeNumber(flag: string, value: string, minimum = 0, maximum = Number.MAX_SAFE_INTEGER): number {
  const number = Number(value)
  if (value.trim() === '' || !Number.isInteger(number) || number < minimum || number > maximum) {
    const range = maximum === Number.MAX_SAFE_INTEGER ? `≥ ${minimum}` : `from ${minimum} to ${maximum}`
    throw new UsageError(`${flag}: expected a whole number ${range} (got ${JSON.stringify(value)})`)
  }
  return number
}

/** `--trust-proxy`: "true", "false", or proxy addresses/CIDRs separated by commas. */
export function parseTrustProxy(value: string | undefined): boolean | string[] {
  if (value === undefined || value === 'false') return false
  if (value === 'true') return true
  return value
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
}

/** One of a fixed set of words. */
export function parseChoice<T extends string>(flag: string, value: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(value))
    throw new UsageError(`${flag}: expected one of ${choices.join(', ')} (got ${JSON.stringify(value)})`)
  return value as T
}
