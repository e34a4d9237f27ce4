import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { convert } from 'html-to-text'
import mjml2html from 'mjml'
import Mustache from 'mustache'
import { HeraldError } from '../errors.js'
import { escapeHtml } from '../html.js'
import { PACKAGE_ROOT } from '../infra/paths.js'

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
 * `mj-include` is ignored.
 */
export async function compileMjml(mjml: string, file: string): Promise<string> {
  try {
    const result = await mjml2html(mjml, { validationLevel: 'strict', ignoreIncludes: true, keepComments: false, filePath: file })
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

/** The plain-text part for an HTML email: links as `text [url]`, images left out, wrapped at 78 columns. */
export function htmlToPlainText(html: string): string {
  return convert(html, {
    wordwrap: 78,
    selectors: [
      { selector: 'img', format: 'skip' },
      { selector: 'a', options: { hideLinkHrefIfSameAsText: true } },
      // MJML's preview text is a hidden div at the top of the body; it is not part of the message.
      { selector: 'div[style*="display:none"]', format: 'skip' },
    ],
  }).trim()
}

/**
 * Fills, compiles and converts a template: what a one-off email (confirmation) needs.
 * Digests compile once and substitute per recipient instead.
 */
export async function renderEmail(template: EmailTemplate, view: object): Promise<{ html: string; text: string }> {
  const html = await compileMjml(fillTemplate(template, view), template.file)
  return { html, text: htmlToPlainText(html) }
}

/** Mustache's escaper: any value as text for HTML or XML content and quoted attributes. */
export function escapeMarkup(value: unknown): string {
  return escapeHtml(String(value))
}
