import { Parser } from 'htmlparser2'

/** A link as a reader sees it: its text (whitespace collapsed) and its href. */
export interface LinkToken {
  readonly text: string
  readonly href: string | null
}

/** An HTML fragment reduced to what a reader sees: tags with meaningful attributes, and text. */
export interface NormalisedHtml {
  readonly tokens: string[]
  readonly links: LinkToken[]
  readonly images: Array<{ src: string | null; alt: string | null; width: string | null; align: string | null }>
  /** Text of each outermost <strong>. */
  readonly strongs: string[]
}

const VOID_ELEMENTS = new Set(['img', 'br', 'hr', 'input', 'meta', 'link', 'col', 'wbr'])
const LIST_TYPES: Record<string, string> = { loweralpha: 'a', upperalpha: 'A', lowerroman: 'i', upperroman: 'I' }

function styleProperty(style: string | undefined, property: string): string | null {
  const match = new RegExp(`(?:^|;)\\s*${property}\\s*:\\s*([^;]+)`, 'i').exec(style ?? '')
  return match ? match[1]!.trim() : null
}

/**
 * Normalises HTML for comparing two renderers: element names in order, only the attributes that change what a
 * reader gets (href, src, alt, width/height, alignment, list type/start, spans), text with whitespace collapsed
 * (kept inside <pre>), comments dropped, and in-page anchors reduced to `#` (ids are generated differently).
 */
export function normaliseHtml(html: string): NormalisedHtml {
  const tokens: string[] = []
  const links: LinkToken[] = []
  const images: NormalisedHtml['images'] = []
  const strongs: string[] = []
  const openLinks: Array<{ href: string | null; text: string }> = []
  const spans: boolean[] = []
  let text = ''
  let preDepth = 0
  let strongDepth = 0
  let strongText = ''
  const flush = () => {
    const value = preDepth > 0 ? text.replace(/\s+$/, '') : text.replace(/\s+/g, ' ').trim()
    if (value) tokens.push(`#${value}`)
    text = ''
  }
  const parser = new Parser(
    {
      onopentag(tag, attributes) {
        // Spans change nothing a reader sees (token classes of highlighted code, docutils' span.pre), except
        // docutils 0.19's inline literal, which is Nikola's <code>.
        const literal = tag === 'span' && /\bliteral\b/.test(attributes.class ?? '')
        if (tag === 'span') spans.push(literal)
        if (tag === 'span' && !literal) return
        const name = literal ? 'code' : tag
        flush()
        const kept: Array<[string, string]> = []
        if (attributes.href != null) kept.push(['href', attributes.href.startsWith('#') ? '#' : attributes.href])
        if (attributes.src != null) kept.push(['src', attributes.src])
        if (attributes.alt != null) kept.push(['alt', attributes.alt])
        const width = attributes.width ?? styleProperty(attributes.style, 'width')
        if (width) kept.push(['width', width])
        const height = attributes.height ?? styleProperty(attributes.style, 'height')
        if (height) kept.push(['height', height])
        const align = /\balign-(\w+)/.exec(attributes.class ?? '')?.[1] ?? attributes.align
        if (align) kept.push(['align', align])
        if (name === 'ol') {
          const listClass = (attributes.class ?? '').split(/\s+/).find((cls) => cls in LIST_TYPES)
          const type = attributes.type ?? (listClass ? LIST_TYPES[listClass] : undefined)
          if (type && type !== '1') kept.push(['type', type])
          if (attributes.start && attributes.start !== '1') kept.push(['start', attributes.start])
        }
        if (attributes.colspan && attributes.colspan !== '1') kept.push(['colspan', attributes.colspan])
        if (attributes.rowspan && attributes.rowspan !== '1') kept.push(['rowspan', attributes.rowspan])
        kept.sort((a, b) => a[0].localeCompare(b[0]))
        tokens.push(`<${name}${kept.map(([key, value]) => ` ${key}=${JSON.stringify(value)}`).join('')}>`)
        if (name === 'pre') preDepth++
        if (name === 'a') openLinks.push({ href: attributes.href ?? null, text: '' })
        if (name === 'img')
          images.push({ src: attributes.src ?? null, alt: attributes.alt ?? null, width: width ?? null, align: align ?? null })
        if (name === 'strong') strongDepth++
      },
      ontext(value) {
        text += value
        for (const link of openLinks) link.text += value
        if (strongDepth > 0) strongText += value
      },
      onclosetag(tag) {
        if (tag === 'span' && !spans.pop()) return
        const name = tag === 'span' ? 'code' : tag
        flush()
        if (!VOID_ELEMENTS.has(name)) tokens.push(`</${name}>`)
        if (name === 'pre') preDepth--
        if (name === 'a') {
          const link = openLinks.pop()
          if (link) links.push({ text: link.text.replace(/\s+/g, ' ').trim(), href: link.href })
        }
        if (name === 'strong' && --strongDepth === 0) {
          strongs.push(strongText.replace(/\s+/g, ' ').trim())
          strongText = ''
        }
      },
    },
    { decodeEntities: true, lowerCaseTags: true, recognizeSelfClosing: true },
  )
  // Nikola's code blocks: per-line anchors and token spans change nothing a reader sees.
  parser.write(html.replace(/<a id="rest_code_[^"]*"[^>]*><\/a>/g, ''))
  parser.end()
  flush()
  return { tokens, links, images, strongs }
}

/** Length of the longest common subsequence of two token lists. */
export function lcsLength(a: readonly string[], b: readonly string[]): number {
  let previous = new Uint32Array(b.length + 1)
  let current = new Uint32Array(b.length + 1)
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) current[j] = a[i - 1] === b[j - 1] ? previous[j - 1]! + 1 : Math.max(previous[j]!, current[j - 1]!)
    ;[previous, current] = [current, previous]
  }
  return previous[b.length]!
}

/** 2·LCS / (|reference| + |candidate|) over normalised tokens: 1 means a reader sees the same document. */
export function fidelity(referenceHtml: string, candidateHtml: string): number {
  const reference = normaliseHtml(referenceHtml).tokens
  const candidate = normaliseHtml(candidateHtml).tokens
  const total = reference.length + candidate.length
  return total === 0 ? 1 : (2 * lcsLength(reference, candidate)) / total
}
