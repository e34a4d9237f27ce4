import * as cheerio from 'cheerio'
import { escapeHtml } from '../html.js'

/**
 * The opening of a post body for a digest that must stay small: whole top-level blocks (paragraphs, lists, code,
 * tables) until about `chars` characters of text, always at least one. A first block far longer than that is cut
 * to plain text, so one giant code block cannot undo the saving.
 */
export function excerptHtml(html: string, chars = 1200): string {
  const $ = cheerio.load(html, null, false)
  const blocks = $.root()
    .contents()
    .toArray()
    .filter((node) => node.type === 'tag' || (node.type === 'text' && node.data.trim() !== ''))
  const kept: string[] = []
  let length = 0
  for (const block of blocks) {
    const text = $(block).text().replace(/\s+/g, ' ').trim()
    if (kept.length === 0 && text.length > chars * 2) return `<p>${escapeHtml(cut(text, chars))}</p>`
    kept.push($.html(block))
    length += text.length
    if (length >= chars) break
  }
  return kept.join('\n')
}

/** The shortest form of a post: its description, else the start of its text, as one paragraph. */
export function summaryHtml(description: string | null, html: string, chars = 300): string {
  const text = description?.trim() || cheerio.load(html, null, false).root().text().replace(/\s+/g, ' ').trim()
  return text ? `<p>${escapeHtml(cut(text, chars))}</p>` : ''
}

/** Cuts text at a word boundary before `chars` and adds an ellipsis. */
function cut(text: string, chars: number): string {
  if (text.length <= chars) return text
  const slice = text.slice(0, chars)
  const space = slice.lastIndexOf(' ')
  return `${(space > chars * 0.6 ? slice.slice(0, space) : slice).trimEnd()}…`
}
