/** C0 controls other than tab, line feed and carriage return, and U+FFFE/U+FFFF: XML 1.0 allows them nowhere. */
const FORBIDDEN_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g
/** Surrogate halves that are not part of a pair: a JavaScript string can hold them, UTF-8 and XML cannot. */
const LONE_SURROGATES = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g

// ES2024, in every Node Herald supports (20.11+); the project's `lib` setting is ES2023.
const isWellFormed = (text: string) => (text as unknown as { isWellFormed(): boolean }).isWellFormed()

/**
 * Removes every character XML 1.0 forbids: C0 controls other than tab, LF and CR; U+FFFE and U+FFFF; and lone
 * surrogates. Everything else is kept as it is. Applied to every string that goes into a feed, JSON Feed
 * included, so all three formats carry the same text.
 */
export function stripForbiddenXmlChars(text: string): string {
  // Runs over every post body in every feed: the simple scans first, the costly look-around only when needed.
  const withoutControls = text.replace(FORBIDDEN_CHARS, '')
  return isWellFormed(withoutControls) ? withoutControls : withoutControls.replace(LONE_SURROGATES, '')
}

/** Escapes text for an XML element's content (forbidden characters removed). */
export function escapeXmlText(text: string): string {
  return (
    stripForbiddenXmlChars(text)
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      // A literal CR would be read back as LF (XML end-of-line handling).
      .replace(/\r/g, '&#13;')
  )
}

/**
 * Escapes text for a double-quoted XML attribute (forbidden characters removed). Tab, LF and CR become
 * character references because attribute-value normalisation would otherwise turn them into spaces.
 */
export function escapeXmlAttribute(text: string): string {
  return stripForbiddenXmlChars(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/\t/g, '&#9;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;')
}

export { escapeHtml } from '../html.js'
