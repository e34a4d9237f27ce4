import { stripForbiddenXmlChars } from './sanitize.js'

/*
 * The `feed` package (6.0) writes XML through xml-js, whose escaping differs from one place to the next:
 * text content has `&amp;` un-escaped before escaping (a literal "&amp;" comes out as "&"), attribute values
 * only get `"` escaped (a `<` makes the document malformed), CDATA sections only have their first `]]>`
 * split (a second one ends the section early), and nothing removes characters XML forbids.
 *
 * Rather than depend on that, Herald hands `feed` values in which every character that needs escaping is
 * replaced by a marker, and turns the markers into character references or CDATA splits in the output.
 * Markers are made of C0 control characters: `stripForbiddenXmlChars` removes those from every value first,
 * so a marker in the output can only be one Herald put there.
 */

/** Stands for a character reference: MARK + hex code point + MARK. */
const REFERENCE = '\u0001'
/** Stands for the end of one CDATA section and the start of the next, placed between `]]` and `>`. */
const CDATA_BREAK = '\u0002'
/** Brackets the index of an entry in a placeholder that the renderer replaces with elements it writes itself. */
const ENTRY_MARK = '\u0003'
/** Brackets the index of a CDATA value kept out of `feed` (see {@link CdataSlots}). */
const SLOT_MARK = '\u0004'

const NAMED: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }

const reference = (char: string) => `${REFERENCE}${char.codePointAt(0)!.toString(16)}${REFERENCE}`

/** A value for an element that `feed` writes as text (feed and entry titles, names, categories in RSS, …). */
export function feedText(value: string): string {
  return stripForbiddenXmlChars(value).replace(/[&<>\r]/g, reference)
}

/** A value for an attribute that `feed` writes without escaping it fully (Atom `category term`, …). */
export function feedAttribute(value: string): string {
  return stripForbiddenXmlChars(value).replace(/[&<>"\t\n\r]/g, reference)
}

/** A value for an element that `feed` writes as CDATA (titles in RSS, summaries, content). */
export function feedCdata(value: string): string {
  return stripForbiddenXmlChars(value).replace(/\]\]>/g, `]]${CDATA_BREAK}>`)
}

/**
 * Post bodies kept out of `feed`: it is given a short placeholder as the CDATA value, and the body goes in once the
 * document is written and finished, so neither xml-js nor the marker pass scans the bodies (most of a feed's bytes).
 * One per document.
 */
export class CdataSlots {
  private readonly values: string[] = []

  /** A placeholder to give `feed` as the CDATA value standing for `value`. */
  slot(value: string): string {
    return `${SLOT_MARK}${this.values.push(cdataContent(value)) - 1}${SLOT_MARK}`
  }

  /** `xml` with each placeholder replaced by its value. Throws when one went missing: `feed`'s output changed. */
  fill(xml: string): string {
    const parts = xml.split(SLOT_MARK)
    const used = (parts.length - 1) / 2
    if (used !== this.values.length) {
      throw new Error(`the feed package wrote ${used} of ${this.values.length} CDATA placeholders; its output format changed`)
    }
    for (let index = 1; index < parts.length; index += 2) parts[index] = this.values[Number(parts[index])] ?? ''
    return parts.join('')
  }
}

// A post's body goes into every feed the post is in, in two formats: each body is encoded once (the same string object
// comes back, and V8 keeps a string's hash, so looking one up costs no scan of the body). Bounded, for long-lived
// processes that render feeds again and again: emptied past 8 M characters (~32 MB with the encoded copies).
const contentCache = new Map<string, string>()
const CONTENT_CACHE_CHARS = 8_000_000
let contentCacheChars = 0

/** The inside of a CDATA section holding `value`: forbidden characters removed, each `]]>` split across two sections. */
function cdataContent(value: string): string {
  let encoded = contentCache.get(value)
  if (encoded === undefined) {
    encoded = stripForbiddenXmlChars(value).replace(/\]\]>/g, ']]]]><![CDATA[>')
    if (contentCacheChars + value.length > CONTENT_CACHE_CHARS) {
      contentCache.clear()
      contentCacheChars = 0
    }
    contentCache.set(value, encoded)
    contentCacheChars += value.length
  }
  return encoded
}

/** A placeholder that {@link replaceEntryPlaceholders} finds again in `feed`'s output. */
export function entryPlaceholder(index: number): string {
  return `${ENTRY_MARK}${index}${ENTRY_MARK}`
}

/**
 * Replaces each `<tag …><![CDATA[placeholder]]></tag>` element plus whatever `follows` matches right after it
 * with `write(index, indent)`. Throws when the count differs from `expected`: that means `feed` changed the
 * shape of its output, and a silently half-fixed feed would be worse than a failed build.
 */
export function replaceEntryPlaceholders(
  xml: string,
  options: { tag: string; follows: string; expected: number; write: (index: number, indent: string) => string },
): string {
  const element = new RegExp(
    `<${options.tag}\\b[^>]*><!\\[CDATA\\[${ENTRY_MARK}(\\d+)${ENTRY_MARK}\\]\\]></${options.tag}>${options.follows}`,
    'y',
  )
  const parts: string[] = []
  let done = 0
  let count = 0
  // The marker cannot occur anywhere else, so indexOf finds each placeholder without scanning the content with a regex.
  for (let mark = xml.indexOf(ENTRY_MARK); mark !== -1; mark = xml.indexOf(ENTRY_MARK, done)) {
    const start = xml.lastIndexOf(`<${options.tag}`, mark)
    element.lastIndex = start
    const match = start === -1 ? null : element.exec(xml)
    if (!match) break
    const lineStart = xml.lastIndexOf('\n', start) + 1
    const indent = /^[ \t]*/.exec(xml.slice(lineStart, start))![0]
    parts.push(xml.slice(done, start), options.write(Number(match[1]), indent))
    done = start + match[0].length
    count++
  }
  if (count !== options.expected) {
    throw new Error(
      `the feed package wrote ${count} of ${options.expected} <${options.tag}> placeholders where expected; its output format changed`,
    )
  }
  parts.push(xml.slice(done))
  return parts.join('')
}

/** Turns the markers in `feed`'s output into what they stand for. */
export function finishFeedXml(xml: string): string {
  const finished = xml
    .replace(/\u0001([0-9a-f]+)\u0001/g, (_whole, hex: string) => {
      const char = String.fromCodePoint(parseInt(hex, 16))
      return NAMED[char] ?? `&#${parseInt(hex, 16)};`
    })
    .replace(/\u0002/g, ']]><![CDATA[')
  if (finished.includes(REFERENCE) || finished.includes(CDATA_BREAK) || finished.includes(ENTRY_MARK))
    throw new Error('a marker was left in the feed output: a value reached the feed package unencoded')
  return finished
}

/**
 * Replaces the first match of `pattern` in `feed`'s output; throws when there is none, since that means
 * `feed` changed the shape of its output (`what` names the place for the message).
 */
export function replaceOnce(xml: string, pattern: RegExp, replace: (...groups: string[]) => string, what: string): string {
  let found = false
  const result = xml.replace(pattern, (...args: unknown[]) => {
    found = true
    // replace() passes the match, the groups, then the offset (the first number) and the whole input.
    return replace(
      ...(args.slice(
        0,
        args.findIndex((arg) => typeof arg === 'number'),
      ) as string[]),
    )
  })
  if (!found) throw new Error(`the feed package output has no ${what} where expected; its output format changed`)
  return result
}
