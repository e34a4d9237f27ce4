import { HeraldError } from '../errors.js'

/** Longest tag Herald accepts from a form, a command line or a CSV file. */
export const MAX_TAG_LENGTH = 100
/** Most tags one subscriber may choose. */
export const MAX_TAGS = 100

/**
 * Trims, de-duplicates (keeping the first spelling and order) and validates a subscriber's tag filter.
 * Empty means "every post". `,` and `;` are refused because they separate tags on the command line and
 * in CSV files; control characters are refused everywhere.
 */
export function normaliseTags(tags: readonly string[]): string[] {
  const seen = new Set<string>()
  const result: string[] = []
  for (const raw of tags) {
    if (typeof raw !== 'string') throw new HeraldError('SUBSCRIBER_INVALID', 'expected tags to be strings', { field: 'tags' })
    const tag = raw.trim().normalize('NFC')
    if (tag === '') continue
    if (/[\u0000-\u001f\u007f]/.test(tag))
      throw new HeraldError('SUBSCRIBER_INVALID', 'a tag may not contain line breaks or control characters', { field: 'tags' })
    if (/[,;]/.test(tag))
      throw new HeraldError('SUBSCRIBER_INVALID', `a tag may not contain "," or ";" (got ${JSON.stringify(tag)})`, { field: 'tags' })
    if ([...tag].length > MAX_TAG_LENGTH)
      throw new HeraldError('SUBSCRIBER_INVALID', `a tag may be at most ${MAX_TAG_LENGTH} characters long`, { field: 'tags' })
    const key = tag.toLowerCase()
    if (seen.has(key)) continue
    seen.add(key)
    result.push(tag)
  }
  if (result.length > MAX_TAGS) throw new HeraldError('SUBSCRIBER_INVALID', `at most ${MAX_TAGS} tags`, { field: 'tags' })
  return result
}

/** Splits a `a,b` (command line) or `a;b` (CSV) list. */
export function splitTags(list: string, separator: ',' | ';'): string[] {
  return list.split(separator)
}
