import * as cheerio from 'cheerio'
import type { AnyNode, Element } from 'domhandler'
import { escapeHtml } from '../html.js'

/** Pixel size of an image. */
export interface ImageSize {
  readonly width: number
  readonly height: number
}

/** Looks up the real size of an image by its URL (null when unknown: remote, missing, unreadable). */
export type ImageSizeLookup = (url: string) => Promise<ImageSize | null>

/** Options for {@link hardenEmailHtml}. */
export interface HardenOptions {
  /** Widest an image may be, in CSS pixels: the template's content column. Default 552 (Herald's templates). */
  readonly contentWidth?: number
  /** Real image sizes, so every image gets both `width` and `height`. Default: none known. */
  readonly imageSize?: ImageSizeLookup
}

/** Content column of Herald's own templates: 600 px body, 24 px section padding on each side. */
export const EMAIL_CONTENT_WIDTH = 552

/** Where post bodies are in a compiled template: the `css-class` of the `mj-text` that holds them. */
export const POST_BODY_CLASS = 'post-body'

/** Colours the rewrites use; each pair is at least 4.5:1 (WCAG AA) on white and on the code background. */
const LINK_COLOUR = '#1a56db'
const TEXT_COLOUR = '#222222'
const CODE_BACKGROUND = '#f3f4f6'
const RULE_COLOUR = '#d0d7de'
const MONOSPACE = "ui-monospace, Menlo, Consolas, 'Courier New', monospace"

/** Elements an email cannot show or must not load; iframes, video and audio become a link to what they showed. */
const DROPPED = 'script, style, link, meta, object, embed, form, input, button, select, textarea, canvas, noscript, base'
const LINKED_MEDIA = 'iframe, video, audio'

/**
 * Makes compiled email HTML hold up without its `<style>` (many webmail and corporate clients drop it): every rule
 * that matters for a post body is written inline, images get `width`, `height` and `alt`, code and tables wrap or
 * scroll inside their box, remote stylesheets and fonts are removed, and indentation is dropped to save bytes.
 * Works on whatever HTML a post contains; what the template styles itself is left alone (an inline style already
 * on an element wins over the defaults added here).
 */
export async function hardenEmailHtml(html: string, options: HardenOptions = {}): Promise<string> {
  const contentWidth = options.contentWidth ?? EMAIL_CONTENT_WIDTH
  const $ = cheerio.load(html)
  $('link[rel~="stylesheet"], link[href*="fonts.googleapis"]').remove()
  $('style').each((_index, element) => {
    const css = $(element).text()
    if (/@import/i.test(css)) $(element).text(css.replace(/@import[^;]*;?/gi, ''))
  })
  const bodies = $(`.${POST_BODY_CLASS}`)
  bodies.find(LINKED_MEDIA).each((_index, element) => {
    const source = $(element).attr('src') ?? $(element).find('source[src]').attr('src')
    const link = source && /^https?:/i.test(source) ? `<a href="${escapeHtml(source)}">${escapeHtml(source)}</a>` : ''
    $(element).replaceWith(link ? `<p>${link}</p>` : '')
  })
  bodies.find(DROPPED).remove()
  bodies.find('[style*="url("]').each((_index, element) => {
    setStyle($(element), ($(element).attr('style') ?? '').replace(/[\w-]+\s*:[^;]*url\([^)]*\)[^;]*;?/gi, ''))
  })
  bodies.find('[bgcolor], [background]').removeAttr('background')
  bodies
    .find('a[href]')
    .each((_index, element) => addStyle($(element), `color:${LINK_COLOUR};text-decoration:underline;word-break:break-word`))
  bodies
    .find('pre')
    .each((_index, element) =>
      addStyle(
        $(element),
        `white-space:pre-wrap;word-wrap:break-word;word-break:break-word;overflow-x:auto;max-width:100%;margin:12px 0;padding:8px 10px;` +
          `background:${CODE_BACKGROUND};color:${TEXT_COLOUR};font-family:${MONOSPACE};font-size:14px;line-height:1.45`,
      ),
    )
  bodies
    .find('code, tt, kbd, samp')
    .filter((_index, element) => $(element).closest('pre').length === 0)
    .each((_index, element) =>
      addStyle(
        $(element),
        `font-family:${MONOSPACE};font-size:0.92em;background:${CODE_BACKGROUND};color:${TEXT_COLOUR};` +
          'padding:0 3px;word-wrap:break-word;word-break:break-word',
      ),
    )
  // Some webmails (Orange) drop <code> and its kin with their styles; a styled <span> reads the same everywhere.
  bodies.find('code, tt, kbd, samp').each((_index, element) => {
    if (element.type === 'tag') element.name = 'span'
  })
  bodies.find('table').each((_index, element) => {
    const table = $(element)
    addStyle(table, 'border-collapse:collapse;margin:0')
    table.addClass('herald-table')
    if (table.parent().is('div[data-herald-scroll]')) return
    table.wrap(`<div data-herald-scroll style="overflow-x:auto;max-width:100%;margin:12px 0"></div>`)
  })
  bodies.find('td, th').each((_index, element) => {
    const cell = $(element)
    if (cell.closest(`.${POST_BODY_CLASS} table`).length === 0) return
    addStyle(cell, `border:1px solid ${RULE_COLOUR};padding:4px 8px;vertical-align:top;text-align:left;word-break:normal`)
  })
  bodies
    .find('blockquote')
    .each((_index, element) =>
      addStyle($(element), `margin:12px 0;padding:0 0 0 12px;border-left:3px solid ${RULE_COLOUR};color:${TEXT_COLOUR}`),
    )
  bodies.find('h1, h2, h3, h4, h5, h6').each((_index, element) => {
    const size = { h1: 22, h2: 19 }[element.tagName.toLowerCase()] ?? 17
    addStyle($(element), `font-size:${size}px;line-height:1.3;margin:18px 0 8px;color:${TEXT_COLOUR}`)
  })
  bodies
    .find('div.admonition, aside.admonition, div.note, div.warning, div.tip')
    .each((_index, element) =>
      addStyle($(element), `margin:12px 0;padding:8px 12px;border-left:4px solid ${LINK_COLOUR};background:${CODE_BACKGROUND}`),
    )
  bodies.find('.admonition-title').each((_index, element) => addStyle($(element), 'font-weight:bold;margin:0 0 4px'))
  bodies.find('ul, ol').each((_index, element) => addStyle($(element), 'margin:8px 0;padding:0 0 0 24px'))
  bodies.find('dd').each((_index, element) => addStyle($(element), 'margin:0 0 8px 20px'))
  bodies.find('sup, sub').each((_index, element) => addStyle($(element), 'line-height:0'))

  for (const element of $('img').toArray()) await fitImage($, element, contentWidth, options.imageSize)
  collapseWhitespace($, $.root().toArray()[0]!)
  return $.html()
}

/** Width, height and alt for one image, scaled to the content column; `max-width:100%` and `height:auto` inline. */
async function fitImage($: cheerio.CheerioAPI, element: Element, contentWidth: number, lookup?: ImageSizeLookup): Promise<void> {
  const image = $(element)
  const style = parseStyle(image.attr('style') ?? '')
  const source = image.attr('src') ?? ''
  const declaredWidth = pixels(image.attr('width')) ?? pixels(style.get('width'))
  const declaredHeight = pixels(image.attr('height')) ?? pixels(style.get('height'))
  const percent = /^\s*(\d+(?:\.\d+)?)%\s*$/.exec(image.attr('width') ?? style.get('width') ?? '')?.[1]
  const natural = declaredWidth && declaredHeight ? null : lookup && /^https?:/i.test(source) ? await lookup(source) : null
  let width: number | null = declaredWidth
  let height: number | null = declaredHeight
  if (percent) width = Math.round((contentWidth * Number(percent)) / 100)
  if (width === null && natural) width = natural.width
  if (width !== null && height === null && natural && natural.width > 0) height = Math.round((width * natural.height) / natural.width)
  if (width !== null && width > contentWidth) {
    if (height !== null) height = Math.round((height * contentWidth) / width)
    width = contentWidth
  }
  if (width !== null) image.attr('width', String(width))
  else image.removeAttr('width')
  if (height !== null) image.attr('height', String(height))
  else image.removeAttr('height')
  // docutils (and so reST without :alt:) uses the address as the alt text, which a reader gains nothing from.
  const alt = image.attr('alt')?.trim()
  if (!alt || alt === source) image.attr('alt', image.attr('title')?.trim() || altFromSource(source))
  style.delete('height')
  style.delete('width')
  const sizing = `${percent ? `width:${percent}%;` : width !== null ? `width:${width}px;` : ''}max-width:100%;height:auto`
  const centred = image.hasClass('align-center') ? ';display:block;margin:0 auto' : ''
  setStyle(image, `${sizing};border:0;outline:none;text-decoration:none${centred};${serializeStyle(style)}`)
}

/** Alt text for an image without one: its title, else its file name in words (`sidecar-bike.png` → "sidecar bike"). */
function altFromSource(source: string): string {
  const name = decodeURIComponentSafe(source.split(/[?#]/)[0]!.split('/').pop() ?? '')
  const words = name
    .replace(/\.[a-z0-9]+$/i, '')
    .replace(/[-_]+/g, ' ')
    .trim()
  return words || 'image'
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

/** A length in whole CSS pixels (`320`, `320px`), or null for anything else (percentages, `auto`). */
function pixels(value: string | undefined): number | null {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(px)?\s*$/i.exec(value ?? '')
  return match ? Math.round(Number(match[1])) : null
}

/** Adds declarations an element does not have yet; the element's own inline style wins. */
function addStyle(element: cheerio.Cheerio<Element>, declarations: string): void {
  const existing = element.attr('style') ?? ''
  const own = parseStyle(existing)
  const added = [...parseStyle(declarations)].filter(([property]) => !own.has(property))
  if (added.length === 0) return
  setStyle(element, `${serializeStyle(new Map(added))};${existing}`)
}

function setStyle(element: cheerio.Cheerio<Element>, style: string): void {
  const clean = serializeStyle(parseStyle(style))
  if (clean) element.attr('style', clean)
  else element.removeAttr('style')
}

function parseStyle(style: string): Map<string, string> {
  const declarations = new Map<string, string>()
  for (const part of style.split(';')) {
    const colon = part.indexOf(':')
    if (colon < 1) continue
    declarations.set(part.slice(0, colon).trim().toLowerCase(), part.slice(colon + 1).trim())
  }
  return declarations
}

function serializeStyle(declarations: Map<string, string>): string {
  return [...declarations]
    .filter(([, value]) => value !== '')
    .map(([property, value]) => `${property}:${value}`)
    .join(';')
}

/** Whitespace-only text between tags (MJML indents generously) becomes one space or newline; `<pre>` is left alone. */
function collapseWhitespace($: cheerio.CheerioAPI, node: AnyNode): void {
  const children = 'children' in node ? (node.children as AnyNode[]) : []
  for (const child of children) {
    if (child.type === 'text') {
      if (/^\s+$/.test(child.data)) child.data = child.data.includes('\n') ? '\n' : ' '
    } else if (child.type === 'tag' || child.type === 'root') {
      if (['pre', 'textarea', 'script', 'style'].includes((child as Element).tagName)) continue
      collapseWhitespace($, child)
    }
  }
}
