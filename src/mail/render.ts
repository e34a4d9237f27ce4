import { readFile } from 'node:fs/promises'
import path from 'node:path'
import * as cheerio from 'cheerio'
import { convert, type FormatCallback } from 'html-to-text'
import Mustache from 'mustache'
import { HeraldError } from '../errors.js'
import { escapeHtml } from '../html.js'
import { PACKAGE_ROOT } from '../infra/paths.js'
import { type HardenOptions, hardenEmailHtml } from './email-html.js'

/** The repository's `templates/` folder: defaults for every email template. */
export const BUILTIN_TEMPLATES_DIR = path.join(PACKAGE_ROOT, 'templates')

/** An MJML email template with Mustache placeholders. */
export interface EmailTemplate {
  /** `confirm`, `digest` … */
  readonly name: string
  /** Where it was read from (for error messages). */
  readonly file: string
  readonly source: string
}

/** Where {@link loadTemplate} looks. */
export interface TemplateLookup {
  /** The site folder: `<site>/templates/<name>.mjml` wins over the built-in one. */
  readonly siteDir: string
  /** Default {@link BUILTIN_TEMPLATES_DIR}. */
  readonly builtinDir?: string
}

/** Reads `<name>.mjml` from `<site>/templates/`, falling back to Herald's own `templates/`. */
export async function loadTemplate(name: string, lookup: TemplateLookup): Promise<EmailTemplate> {
  if (!/^[a-z0-9][a-z0-9_-]*$/.test(name)) throw new HeraldError('TEMPLATE_INVALID', `not a template name: ${JSON.stringify(name)}`)
  const candidates = [
    path.join(lookup.siteDir, 'templates', `${name}.mjml`),
    path.join(lookup.builtinDir ?? BUILTIN_TEMPLATES_DIR, `${name}.mjml`),
  ]
  for (const file of candidates) {
    try {
      return { name, file, source: await readFile(file, 'utf8') }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    }
  }
  throw new HeraldError('TEMPLATE_INVALID', `no ${name}.mjml in ${candidates.map((file) => path.dirname(file)).join(' or ')}`)
}

/**
 * Mustache over the template: `{{value}}` is escaped for HTML/XML (`& < > " '`, leaving `/` and `=`
 * alone so URLs stay readable), `{{{value}}}` is inserted as is and is for trusted HTML only.
 */
export function fillTemplate(template: EmailTemplate, view: object): string {
  try {
    return Mustache.render(template.source, view, {}, { escape: escapeMarkup })
  } catch (error) {
    throw new HeraldError('TEMPLATE_INVALID', `Mustache: ${(error as Error).message}`, { file: template.file }, { cause: error })
  }
}

/**
 * Compiles MJML to HTML (mjml 5 is async), strictly: any validation error is a `TEMPLATE_INVALID` naming the line.
 * `mj-include` is ignored. Nothing remote is added: MJML's Google Fonts map is emptied and `mj-font` is refused.
 */
export async function compileMjml(mjml: string, file: string): Promise<string> {
  const font = /<mj-font\b/i.exec(mjml)
  if (font) {
    const line = mjml.slice(0, font.index).split('\n').length
    throw new HeraldError('TEMPLATE_INVALID', 'mj-font loads a font from another server on every open; use a font stack instead', {
      file,
      line,
    })
  }
  try {
    // A fresh object every time: mjml-core writes fonts it meets into the object it is given.
    const options = { validationLevel: 'strict', ignoreIncludes: true, keepComments: false, filePath: file, fonts: {} } as const
    // Loaded on first use: MJML is ~0.6 s of loading, which `herald --help`, `status` or `init` should not pay for.
    const { default: mjml2html } = await import('mjml')
    const result = await mjml2html(mjml, options)
    return result.html
  } catch (error) {
    const details = (error as { errors?: Array<{ line?: number; formattedMessage?: string; message?: string }> }).errors
    const first = details?.[0]
    const message = details?.length
      ? details.map((detail) => detail.formattedMessage ?? detail.message).join('; ')
      : (error as Error).message
    throw new HeraldError('TEMPLATE_INVALID', `MJML: ${message}`, { file, ...(first?.line ? { line: first.line } : {}) }, { cause: error })
  }
}

/** Where the plain-text part starts a post's numbered link list: the `css-class` of the post's `mj-section`. */
export const POST_SECTION_CLASS = 'herald-post'

/**
 * The plain-text part for an HTML email, wrapped at 78 columns: tables as aligned columns, images as `[alt]`, and
 * each post's links as numbered references (`text [1]`) listed at the end of that post (of the message, for emails
 * without posts). Links outside posts (the footer) keep their address beside them.
 */
export function htmlToPlainText(html: string): string {
  return convert(numberLinks(html), {
    wordwrap: 78,
    formatters: { altInBrackets },
    selectors: [
      { selector: 'img', format: 'altInBrackets' },
      { selector: 'a', options: { hideLinkHrefIfSameAsText: true, linkBrackets: ['<', '>'] } },
      { selector: 'table.herald-table', format: 'dataTable', options: { uppercaseHeaderCells: false, maxColumnWidth: 40 } },
      // Reference lines are never wrapped: a long address stays on its number's line.
      { selector: 'pre.herald-references', format: 'pre', options: { leadingLineBreaks: 1, trailingLineBreaks: 2 } },
      // MJML's preview text is a hidden div at the top of the body; it is not part of the message.
      { selector: 'div[style*="display:none"]', format: 'skip' },
    ],
  }).trim()
}

const altInBrackets: FormatCallback = (element, _walk, builder) => {
  const alt = String(element.attribs?.alt ?? '').trim()
  if (alt) builder.addInline(`[${alt}]`)
}

/** Rewrites each post's links as `text [n]` and appends the numbered list; one number per distinct address. */
function numberLinks(html: string): string {
  const $ = cheerio.load(html)
  const sections = $(`.${POST_SECTION_CLASS}`)
  const scopes = sections.length > 0 ? sections.toArray() : [$('body').get(0)].filter((element) => element !== undefined)
  for (const scope of scopes) {
    const numbers = new Map<string, number>()
    $(scope)
      .find('a[href]')
      .each((_index, element) => {
        const link = $(element)
        const href = link.attr('href') ?? ''
        if (!/^(https?|mailto):/i.test(href)) return
        if (!numbers.has(href)) numbers.set(href, numbers.size + 1)
        link.replaceWith(`${link.html() ?? ''} [${numbers.get(href)}]`)
      })
    if (numbers.size === 0) continue
    const list = [...numbers].map(([href, number]) => `[${number}] ${escapeHtml(href)}`).join('\n')
    $(scope).append(`<pre class="herald-references">${list}</pre>`)
  }
  return $.html()
}

/**
 * Fills, compiles and converts a template: what a one-off email (confirmation) needs.
 * Digests compile once and substitute per recipient instead.
 */
export async function renderEmail(
  template: EmailTemplate,
  view: object,
  options: HardenOptions = {},
): Promise<{ html: string; text: string }> {
  const html = await hardenEmailHtml(await compileMjml(fillTemplate(template, view), template.file), options)
  return { html, text: htmlToPlainText(html) }
}

/** Mustache's escaper: any value as text for HTML or XML content and quoted attributes. */
export function escapeMarkup(value: unknown): string {
  return escapeHtml(String(value))
}
