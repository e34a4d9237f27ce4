import { escapeHtml } from '../html.js'

/*
 * Math the way docutils writes it with `math_output: mathjax` (Nikola's setting): the TeX itself, in `\(…\)` or an
 * `equation*`/`align*` environment, inside `span.math` / `div.math`. MathJax and KaTeX's auto-render read that in
 * pages; feed readers and mail clients show the TeX. Nothing is typeset here, so no formula can fail to render.
 */

/** Inline math (`:math:` role, Markdown never has it): `<span class="math">\(TeX\)</span>`. */
export function inlineMathHtml(tex: string): string {
  return `<span class="math">${escapeHtml(`\\(${tex.trim()}\\)`)}</span>`
}

/** docutils' `pick_math_environment`: `align*` when the top-level code has a `\\` line break, else `equation*`. */
export function mathEnvironment(tex: string): string {
  const topLevel = tex
    .split('\\begin{')
    .map((chunk) => chunk.split('\\end{').at(-1) ?? '')
    .join('')
  return topLevel.includes('\\\\') ? 'align*' : 'equation*'
}

/** A `.. math::` block: one `div.math` per paragraph of the content, as docutils writes them. */
export function blockMathHtml(tex: string, id: string | null): string {
  const paragraphs = tex
    .split(/\n[ \t]*\n/)
    .map((part) => part.replace(/^\n+|\s+$/g, ''))
    .filter((part) => part.trim() !== '')
  return paragraphs
    .map((part, index) => {
      const environment = mathEnvironment(part)
      const idAttribute = id && index === 0 ? ` id="${escapeHtml(id)}"` : ''
      return `<div class="math"${idAttribute}>\n${escapeHtml(`\\begin{${environment}}\n${part}\n\\end{${environment}}`)}\n</div>`
    })
    .join('\n')
}
