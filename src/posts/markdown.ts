import { createRequire } from 'node:module'
import type MarkdownIt from 'markdown-it'
import type { PluginSimple } from 'markdown-it'
import { escapeHtml } from '../html.js'
import { codeBlockHtml } from './highlight.js'
import { mediaHtml, splitExplicitTitle } from './rst-nikola.js'
import { problemMarker } from './rst-session.js'
import { listingPath } from './sources.js'
import type { PostProblem, RenderContext } from './types.js'

/*
 * Markdown posts as Nikola 8.2 renders them with its default MARKDOWN_EXTENSIONS (fenced_code, codehilite, extra =
 * footnotes, tables, def_list, abbr, attr_list, md_in_html) plus its own podcast and strikethrough: markdown-it with
 * plugins, and Python-Markdown's markup for code blocks and footnotes.
 */

type Token = ReturnType<MarkdownIt['parse']>[number]

const require = createRequire(import.meta.url)

function createEngine(): MarkdownIt {
  // Loaded on the first Markdown post only (~100 ms): render threads of reST-only sites never pay for it.
  const MarkdownItClass = require('markdown-it') as typeof MarkdownIt
  const plugin = (name: string) => require(name) as PluginSimple
  const md = new MarkdownItClass({ html: true, linkify: false, typographer: false })
  md.use(plugin('markdown-it-footnote')).use(plugin('markdown-it-deflist')).use(plugin('markdown-it-abbr'))
  // Nikola's codehilite: `<pre class="code literal-block">` with Pygments classes, no language class, no <code>.
  md.renderer.rules.fence = (tokens: Token[], index: number) => {
    const token = tokens[index]!
    const language =
      token.info
        .trim()
        .replace(/^[{.]+|}$/g, '')
        .split(/\s+/)[0] ?? ''
    const html = codeBlockHtml(token.content, { language, blockClass: 'code literal-block' }).html
    // codehilite has no line anchors.
    return `${html.replace(/<a id="[^"]*" name="[^"]*" href="[^"]*"><\/a>/g, '')}\n`
  }
  md.renderer.rules.code_block = (tokens: Token[], index: number) =>
    `<pre class="code literal-block">${escapeHtml(tokens[index]!.content.replace(/\n+$/, ''))}\n</pre>\n`
  md.renderer.rules.s_open = () => '<del>'
  md.renderer.rules.s_close = () => '</del>'
  // Python-Markdown's footnote markup (extra), so themes style them the same.
  md.renderer.rules.footnote_ref = (tokens: Token[], index: number) => {
    const number = Number(tokens[index]!.meta.id) + 1
    return `<sup id="fnref:${number}"><a class="footnote-ref" href="#fn:${number}">${number}</a></sup>`
  }
  md.renderer.rules.footnote_block_open = () => '<div class="footnote">\n<hr>\n<ol>\n'
  md.renderer.rules.footnote_block_close = () => '</ol>\n</div>\n'
  md.renderer.rules.footnote_open = (tokens: Token[], index: number) => `<li id="fn:${Number(tokens[index]!.meta.id) + 1}">\n`
  md.renderer.rules.footnote_anchor = (tokens: Token[], index: number) => {
    const number = Number(tokens[index]!.meta.id) + 1
    return `&#160;<a class="footnote-backref" href="#fnref:${number}" title="Jump back to footnote ${number} in the text">&#8617;</a>`
  }
  return md
}

let engine: MarkdownIt | undefined

/** Nikola's shortcodes (`{{% name args %}}`, or with a body up to `{{% /name %}}`), the ones that make sense in a feed. */
const SHORTCODE = /\{\{%\s*([\w-]+)((?:\s+[^%]*?)?)\s*%\}\}(?:([\s\S]*?)\{\{%\s*\/\1\s*%\}\})?/g

/** Replaces shortcodes with placeholders before compiling; returns the HTML to put back for each. */
export function extractShortcodes(
  text: string,
  context: RenderContext,
  warnings: PostProblem[],
  lineAt: (offset: number) => number,
): { text: string; html: string[] } {
  const html: string[] = []
  const replaced = text.replace(SHORTCODE, (whole, name: string, args: string, body: string | undefined, offset: number) => {
    const words = args.trim().split(/\s+/).filter(Boolean)
    const named = Object.fromEntries(words.filter((word) => word.includes('=')).map((word) => word.split('=', 2) as [string, string]))
    const positional = words.filter((word) => !word.includes('='))
    const line = lineAt(offset)
    let out: string
    switch (name) {
      case 'raw':
        out = body ?? ''
        break
      case 'media':
        out = mediaHtml((named.url ?? positional[0] ?? '').replace(/^["']|["']$/g, ''))
        break
      case 'listing': {
        const file = listingPath(positional[0] ?? '')
        const content = context.files?.[file]
        if (typeof content !== 'string') {
          warnings.push({ line, message: `listing ${file} not found (listings are read from the site's listings/ folder)` })
          out = problemMarker(`listing ${file} not found`, `listing ${positional[0] ?? ''}`, true)
        } else {
          const code = codeBlockHtml(content, { language: positional[1] ?? 'text' }).html
          out =
            `<p><a class="reference external" href="link://listing/${escapeHtml(file)}">${escapeHtml(positional[0] ?? '')}</a>  ` +
            `<a class="reference external" href="link://listing_source/${escapeHtml(file)}">(Source)</a></p>\n${code}`
        }
        break
      }
      case 'doc': {
        const [title, slug] = splitExplicitTitle((body ?? '').trim())
        out =
          `<a href="link://doc/${escapeHtml(encodeURIComponent(slug))}" data-herald-doc="${title === null ? 'title' : 'text'}" ` +
          `data-herald-line="${line}">${escapeHtml(title ?? slug)}</a>`
        break
      }
      case 'emoji':
        out = `<span class="emoji">${escapeHtml(positional[0] ?? '')}</span>`
        break
      default:
        warnings.push({ line, message: `unknown shortcode "${name}"; a marker is shown in its place` })
        out = problemMarker(`unknown shortcode "${name}"`, whole.split('\n')[0]!, false)
    }
    html.push(out)
    return `HERALDSHORTCODE${html.length - 1}X`
  })
  return { text: replaced, html }
}

/** Puts shortcode output back where the placeholders are. */
export function restoreShortcodes(html: string, outputs: readonly string[]): string {
  if (outputs.length === 0) return html
  return html.replace(/HERALDSHORTCODE(\d+)X/g, (_whole, index: string) => outputs[Number(index)] ?? '')
}

/** Line (1-based) of each offset in `text`. */
export function lineFinder(text: string): (offset: number) => number {
  const starts = [0]
  for (let index = text.indexOf('\n'); index >= 0; index = text.indexOf('\n', index + 1)) starts.push(index + 1)
  return (offset) => {
    let low = 0
    let high = starts.length - 1
    while (low < high) {
      const middle = (low + high + 1) >> 1
      if (starts[middle]! <= offset) low = middle
      else high = middle - 1
    }
    return low + 1
  }
}

/** Renders a Markdown body the way Nikola's Markdown compiler does (see the module comment). */
export function renderMarkdown(body: string, context: RenderContext, warnings: PostProblem[]): string {
  engine ??= createEngine()
  const shortcodes = extractShortcodes(body, context, warnings, lineFinder(body))
  const podcasts = shortcodes.text.replace(
    /\[podcast\](.+?)\[\/podcast\]/g,
    (_whole, url: string) => `<audio controls=""><source src="${escapeHtml(url)}" type="audio/mpeg"></source></audio>`,
  )
  const gists = podcasts.replace(
    /\[:gist:\s*(\w+)(?:\s+(\S+))?\s*\]/g,
    (_whole, id: string, file?: string) =>
      `<a href="https://gist.github.com/${id}${file ? `#file-${file}` : ''}">gist ${id}${file ? ` ${file}` : ''}</a>`,
  )
  return restoreShortcodes(engine.render(gists), shortcodes.html).trim()
}
