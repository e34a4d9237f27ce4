import { createHash } from 'node:crypto'
import unidecode from 'unidecode'

/**
 * Nikola's `slugify` with its default `USE_SLUGIFY = True`: transliterate to ASCII, drop everything but
 * word characters, `+`, `-` and spaces, lower-case, and join runs of spaces and dashes with one dash.
 * Tag and category feed paths depend on this matching Nikola exactly (`categories/<slug>.xml`).
 */
export function slugify(value: string): string {
  let slug = known.get(value)
  if (slug === undefined) {
    // Tag and category names repeat from post to post: a site of 1,000 posts slugifies a few dozen names 6,000 times.
    if (known.size >= KNOWN_LIMIT) known.clear()
    slug = slugOf(value)
    known.set(value, slug)
  }
  return slug
}

const known = new Map<string, string>()
const KNOWN_LIMIT = 10_000

function slugOf(value: string): string {
  const ascii = unidecode(value.normalize('NFC'))
  const slug = ascii
    .replace(/[^+\w\s-]/g, '')
    .trim()
    .toLowerCase()
    .replace(/[-\s]+/g, '-')
  // A name made only of symbols would give an empty path; a short stable hash keeps it addressable.
  return slug === '' ? `_${createHash('sha1').update(value).digest('hex').slice(0, 8)}` : slug
}
