/** One `.. key: value` line: the value as written (trimmed) and the 1-based line it came from. */
export interface MetadataField {
  readonly value: string
  readonly line: number
}

/** A post file split the way Nikola splits it: metadata block, then the body. */
export interface SplitPost {
  /** Metadata keys in file order; keys with empty values are left out (Nikola's rule). */
  readonly fields: ReadonlyMap<string, MetadataField>
  /** The reStructuredText body. */
  readonly body: string
  /** 1-based line of the file on which `body` starts, so body-relative line numbers can be reported as file lines. */
  readonly bodyStartLine: number
}

// Nikola's own pattern (nikola/metadata_extractors.py): `^\s*\.\. (.*?): (.*)`.
const NIKOLA_FIELD = /^\s*\.\. (.*?): (.*)$/

/** Line endings and a byte-order mark are normalised first so line numbers match what editors show. */
export function normaliseText(text: string): string {
  const unmarked = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
  return unmarked.includes('\r') ? unmarked.replace(/\r\n?/g, '\n') : unmarked
}

/**
 * Splits a post's text into its leading metadata block and body, by Nikola's rule: the metadata is the
 * first block of lines (up to the first blank line) and only `.. key: value` lines in it count.
 * A file whose first block holds no such line has no metadata and is all body.
 */
export function splitMetadata(text: string): SplitPost {
  const normal = normaliseText(text)
  // Line by line from the top, without splitting the whole post: only its first block matters.
  let start = 0 // where the current line starts; -1 once past the last line
  let index = 0 // the current line's 0-based number
  const current = () => {
    if (start < 0) return null
    const newline = normal.indexOf('\n', start)
    return normal.slice(start, newline < 0 ? undefined : newline)
  }
  const advance = () => {
    const newline = normal.indexOf('\n', start)
    start = newline < 0 ? -1 : newline + 1
    index++
  }
  let line = current()
  while (line !== null && line.trim() === '') {
    advance()
    line = current()
  }
  const fields = new Map<string, MetadataField>()
  let matched = 0
  while (line !== null && line.trim() !== '') {
    const match = NIKOLA_FIELD.exec(line)
    if (match) {
      matched++
      const key = match[1]!.trim().toLowerCase()
      const value = match[2]!.trim()
      if (value !== '') fields.set(key, { value, line: index + 1 })
    }
    advance()
    line = current()
  }
  if (matched === 0) return { fields, body: normal, bodyStartLine: 1 }
  return { fields, body: start < 0 ? '' : normal.slice(start), bodyStartLine: index + 1 }
}

/** Positional keys of Nikola's old one-value-per-line `.meta` format. */
const LEGACY_SIDECAR_KEYS = ['title', 'slug', 'date', 'tags', 'link', 'description', 'type'] as const

/**
 * Reads a `<name>.meta` sidecar: the `.. key: value` form anywhere in the file, or Nikola's legacy form
 * (title, slug, date, tags, link, description, type on consecutive lines) when no line has that form.
 */
export function parseSidecar(text: string): Map<string, MetadataField> {
  const lines = normaliseText(text).split('\n')
  const fields = new Map<string, MetadataField>()
  let matched = 0
  lines.forEach((line, index) => {
    const match = NIKOLA_FIELD.exec(line)
    if (!match) return
    matched++
    const value = match[2]!.trim()
    if (value !== '') fields.set(match[1]!.trim().toLowerCase(), { value, line: index + 1 })
  })
  if (matched > 0) return fields
  LEGACY_SIDECAR_KEYS.forEach((key, index) => {
    const value = lines[index]?.trim() ?? ''
    if (value !== '') fields.set(key, { value, line: index + 1 })
  })
  return fields
}
