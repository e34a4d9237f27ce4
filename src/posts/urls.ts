import { escapeHtml } from '../html.js'

/**
 * Nikola's `utils.encodelink`: NFC-normalise, then percent-encode the path as Python's
 * `quote(unquote(path), safe="/~")` does (UTF-8, upper-case hex, only `A–Z a–z 0–9 _ . - ~ /` left as they are),
 * and IDNA-encode the host. Query and fragment are left as written.
 */
export function encodeLink(iri: string): string {
  const normalised = iri.normalize('NFC')
  const match = /^([a-z][a-z0-9+.-]*:)?(\/\/[^/?#]*)?([^?#]*)(.*)$/i.exec(normalised)
  if (!match) return normalised
  const [, scheme = '', authority = '', pathPart = '', rest = ''] = match
  return scheme + encodeAuthority(authority) + quotePath(safeUnquote(pathPart)) + rest
}

function encodeAuthority(authority: string): string {
  if (!authority || /^[\x00-\x7f]*$/.test(authority)) return authority
  try {
    return `//${new URL(`http:${authority}`).host}`
  } catch {
    return authority
  }
}

function safeUnquote(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    // Python's unquote leaves malformed escapes alone; so do we, one escape at a time.
    return text.replace(/(%[0-9a-f]{2})+/gi, (run) => {
      try {
        return decodeURIComponent(run)
      } catch {
        return run
      }
    })
  }
}

const UNRESERVED = /[A-Za-z0-9_.\-~/]/

function quotePath(text: string): string {
  let out = ''
  for (const char of text) {
    if (UNRESERVED.test(char)) out += char
    else for (const byte of Buffer.from(char, 'utf8')) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
  }
  return out
}

/** True when a URL has a scheme (`https:`, `mailto:`, `data:` …) or is protocol-relative (`//host/…`). */
export function isAbsoluteUrl(url: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(url) || url.startsWith('//')
}

/** Resolves a link found in a post against the post's permalink; absolute links are returned untouched, as Nikola does. */
export function absoluteLink(href: string, base: string): string {
  const trimmed = href.trim()
  if (trimmed === '' || isAbsoluteUrl(trimmed)) return href
  try {
    return encodeLink(new URL(trimmed, base).href)
  } catch {
    return href
  }
}

// The HTML comes from our own renderer (well-formed, quoted attributes) or from `.. raw:: html`, so a
// tag-by-tag attribute rewrite is enough, and far cheaper per post than building a DOM.
const START_TAG = /<[a-z][a-z0-9-]*\b[^>]*>/gi
const URL_ATTRIBUTE = /(\s(?:href|src|poster|cite)=)("([^"]*)"|'([^']*)')/gi
const SRCSET_ATTRIBUTE = /(\ssrcset=)("([^"]*)"|'([^']*)')/gi

/** Makes every relative link and image in `html` absolute against `base` (the post's permalink), Nikola-encoded. */
export function absolutizeHtml(html: string, base: string): string {
  const rewrite = (value: string) => absoluteLink(unescapeHtml(value), base)
  return html.replace(START_TAG, (tag) =>
    tag
      .replace(URL_ATTRIBUTE, (whole, head: string, _quoted, double?: string, single?: string) => {
        const value = double ?? single ?? ''
        const raw = unescapeHtml(value).trim()
        return raw === '' || isAbsoluteUrl(raw) ? whole : `${head}"${escapeHtml(rewrite(value))}"`
      })
      .replace(SRCSET_ATTRIBUTE, (_whole, head: string, _quoted, double?: string, single?: string) => {
        const candidates = (double ?? single ?? '').split(',').map((candidate) => {
          const [url = '', ...descriptor] = candidate.trim().split(/\s+/)
          return [escapeHtml(rewrite(url)), ...descriptor].join(' ')
        })
        return `${head}"${candidates.join(', ')}"`
      }),
  )
}

function unescapeHtml(value: string): string {
  return value.replace(
    /&(amp|lt|gt|quot|#39|apos|#x27);/g,
    (_, entity: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", apos: "'", '#x27': "'" })[entity] ?? _,
  )
}
