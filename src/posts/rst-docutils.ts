import type { RstCompilerPlugin, RstDirective, RstFootnoteDef, RstFootnoteRef, RstGeneratorState, RstNode } from 'rst-compiler'
import { escapeHtml } from '../html.js'
import { codeBlockHtml } from './highlight.js'
import { blockMathHtml, inlineMathHtml } from './math.js'
import type { RenderSession } from './rst-session.js'

/*
 * Output changes and directives that bring rst-compiler's HTML to docutils' html5 writer's (measured against
 * docutils goldens: test/posts/rst-fidelity.test.ts, docs/decisions.md).
 */

// rst-compiler throws "Double sanitize" on text that already holds an entity (`&amp;`), and passes `&nbsp;`
// through unescaped where docutils shows it literally: every `&` that starts an entity hides behind a
// private-use character during compilation and becomes `&amp;` afterwards.
export const AMPERSAND = '\uE000'
const ADMONITIONS = ['attention', 'caution', 'danger', 'error', 'hint', 'important', 'note', 'tip', 'warning']

/** A directive's option (`:name: value`), or null; a flag option without a value is `''`. */
export const option = (node: RstDirective, name: string): string | null => node.config?.getField(name) ?? null

/** Source text as written (the private-use ampersand turned back). */
export const raw = (text: string): string => text.replaceAll(AMPERSAND, '&')

/** The lines of the indented block that follows line `start` (0-based) in the source. */
function indentedBlock(lines: readonly string[], start: number): string[] {
  const block: string[] = []
  for (let index = start + 1; index < lines.length; index++) {
    const line = lines[index]!
    if (line.trim() !== '' && !/^\s/.test(line)) break
    block.push(line)
  }
  return block
}

/** A directive's body as written in the source (after its options), dedented. */
export function bodyLines(session: RenderSession, node: RstNode): string {
  const indent = (session.lines[node.source.startLineIdx] ?? '').search(/\S/)
  const block = indentedBlock(
    session.lines.map((line) => line.slice(Math.max(indent, 0))),
    node.source.startLineIdx,
  )
  let first = 0
  while (first < block.length && /^\s+:[\w-]+:(?:\s|$)/.test(block[first]!)) first++
  return dedent(block.slice(first))
}

/** A directive's argument as written (rst-compiler parses it as inline markup, which mangles file names). */
export function argumentText(session: RenderSession, node: RstNode): string {
  const line = session.lines[node.source.startLineIdx] ?? ''
  const argument = /::(.*)$/.exec(line)?.[1]?.trim() ?? ''
  return raw(argument)
}

/** Removes the common indentation and surrounding blank lines. */
export function dedent(lines: readonly string[]): string {
  const indents = lines.filter((line) => line.trim() !== '').map((line) => line.length - line.trimStart().length)
  const indent = indents.length > 0 ? Math.min(...indents) : 0
  return raw(
    lines
      .map((line) => line.slice(indent))
      .join('\n')
      .replace(/^\s*\n/, '')
      .trimEnd(),
  )
}

/** docutils' `class_option`: space-separated names, lower-cased, non-alphanumerics to `-`. */
export const classNames = (value: string | null): string[] =>
  (value ?? '')
    .split(/\s+/)
    .filter(Boolean)
    .map((name) =>
      name
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '-')
        .replace(/^-|-$/g, ''),
    )

const classAttribute = (classes: readonly string[]) => (classes.length > 0 ? ` class="${escapeHtml(classes.join(' '))}"` : '')

/** The `<img>` docutils writes for `image` (and `figure`/`thumbnail`), with its optional link. */
export function imageHtml(node: RstDirective, src: string, extraAlt?: string): string {
  src = raw(src)
  const width = option(node, 'width')
  const height = option(node, 'height')
  const scale = option(node, 'scale')
  const style = [width && `width: ${width};`, height && `height: ${height};`].filter(Boolean).join(' ')
  const align = option(node, 'align')
  const isFigure = ['figure', 'thumbnail'].includes(node.directive.toLowerCase()) && node.children.length > 0
  const classes = [...classNames(option(node, 'class')), ...(align && !isFigure ? [`align-${align}`] : [])]
  const alt = option(node, 'alt') ?? extraAlt ?? src
  let tag =
    `<img alt="${escapeHtml(raw(alt))}"${classAttribute(classes)} src="${escapeHtml(raw(src))}"` +
    `${style ? ` style="${escapeHtml(style)}"` : ''}${scale ? '' : ''} />`
  const target = option(node, 'target')
  if (target) tag = `<a class="reference external image-reference" href="${escapeHtml(raw(target.trim()))}">${tag}</a>`
  return tag
}

/** A `figure` (also Nikola's `thumbnail` with a caption): the image, the caption, then a legend. */
export function figureHtml(state: RstGeneratorState, node: RstDirective, image: string): void {
  const align = option(node, 'align')
  const classes = [...classNames(option(node, 'figclass')), ...(align ? [`align-${align}`] : [])]
  const figwidth = option(node, 'figwidth')
  state.writeLine(`<figure${classAttribute(classes)}${figwidth ? ` style="width: ${escapeHtml(figwidth)};"` : ''}>`)
  state.writeLine(image)
  const [caption, ...legend] = node.children
  if (caption && caption.nodeType === 'Paragraph') {
    state.writeLine('<figcaption>')
    state.writeLineVisitor(() => {
      state.writeText('<p>')
      state.visitNodes(caption.children)
      state.writeText('</p>')
    })
    if (legend.length > 0) {
      state.writeLine('<div class="legend">')
      state.visitNodes(legend)
      state.writeLine('</div>')
    }
    state.writeLine('</figcaption>')
  } else if (node.children.length > 0) {
    state.writeLine('<div class="legend">')
    state.visitNodes(node.children)
    state.writeLine('</div>')
  }
  state.writeLine('</figure>')
}

/** Builds the docutils-like generators for one render (they report problems into `session`). */
export function docutilsPlugin(session: RenderSession): RstCompilerPlugin {
  return {
    onInstall(compiler) {
      compiler.useDirectiveGenerator({
        directives: ['image'],
        generate(state: RstGeneratorState, node: RstDirective) {
          state.writeLine(imageHtml(node, argumentText(session, node)))
        },
      })
      compiler.useDirectiveGenerator({
        directives: ['figure'],
        generate(state: RstGeneratorState, node: RstDirective) {
          figureHtml(state, node, imageHtml(node, argumentText(session, node)))
        },
      })
      compiler.useDirectiveGenerator({
        directives: [...ADMONITIONS, 'admonition'],
        generate(state: RstGeneratorState, node: RstDirective) {
          const generic = node.directive.toLowerCase() === 'admonition'
          const title = generic ? node.initContentText.trim() : node.directive[0]!.toUpperCase() + node.directive.slice(1).toLowerCase()
          const kind = generic ? `admonition-${title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}` : node.directive.toLowerCase()
          state.writeLine(`<aside class="admonition ${escapeHtml(kind)}">`)
          state.writeLine(`<p class="admonition-title">${escapeHtml(raw(title))}</p>`)
          // An admonition's first line may carry text (`.. note:: Text`), which rst-compiler keeps as init content.
          if (!generic && node.initContent.length > 0) {
            state.writeLineVisitor(() => {
              state.writeText('<p>')
              state.visitNodes(node.initContent)
              state.writeText('</p>')
            })
          }
          state.visitNodes(node.children)
          state.writeLine('</aside>')
        },
      })
      compiler.useDirectiveGenerator({
        directives: ['raw'],
        generate(state: RstGeneratorState, node: RstDirective) {
          if (node.initContentText.trim().toLowerCase() === 'html') state.writeLineVisitor(() => state.writeText(raw(node.rawBodyText)))
        },
      })
      // Topic-like blocks: a title paragraph, then the body.
      for (const [directive, tag, titleClass] of [
        ['topic', 'aside', 'topic-title'],
        ['sidebar', 'aside', 'sidebar-title'],
      ] as const) {
        compiler.useDirectiveGenerator({
          directives: [directive],
          generate(state: RstGeneratorState, node: RstDirective) {
            const classes = [directive, ...classNames(option(node, 'class'))]
            state.writeLine(`<${tag} class="${escapeHtml(classes.join(' '))}">`)
            const title = node.initContentText.trim()
            if (title) state.writeLine(`<p class="${titleClass}">${escapeHtml(raw(title))}</p>`)
            const subtitle = option(node, 'subtitle')
            if (subtitle) state.writeLine(`<p class="sidebar-subtitle">${escapeHtml(raw(subtitle))}</p>`)
            state.visitNodes(node.children)
            state.writeLine(`</${tag}>`)
          },
        })
      }
      // Block quotes with a class; an attribution line (`-- Someone`) becomes docutils' attribution paragraph.
      compiler.useDirectiveGenerator({
        directives: ['epigraph', 'highlights', 'pull-quote'],
        generate(state: RstGeneratorState, node: RstDirective) {
          state.writeLine(`<blockquote class="${node.directive.toLowerCase()}">`)
          const last = node.children.at(-1)
          const attribution = last?.nodeType === 'Paragraph' ? /^(?:--|—|―)\s*([\s\S]+)$/.exec(last.textContent.trim()) : null
          state.visitNodes(attribution ? node.children.slice(0, -1) : node.children)
          if (attribution) state.writeLine(`<p class="attribution">—${escapeHtml(raw(attribution[1]!))}</p>`)
          state.writeLine('</blockquote>')
        },
      })
      compiler.useDirectiveGenerator({
        directives: ['compound'],
        generate(state: RstGeneratorState, node: RstDirective) {
          state.writeLine(`<div class="${escapeHtml(['compound', ...classNames(option(node, 'class'))].join(' '))}">`)
          state.visitNodes(node.children)
          state.writeLine('</div>')
        },
      })
      compiler.useDirectiveGenerator({
        directives: ['container'],
        generate(state: RstGeneratorState, node: RstDirective) {
          const classes = ['container', ...classNames(node.initContentText)]
          state.writeLine(`<div class="${escapeHtml(classes.join(' '))}">`)
          state.visitNodes(node.children)
          state.writeLine('</div>')
        },
      })
      compiler.useDirectiveGenerator({
        directives: ['rubric'],
        generate(state: RstGeneratorState, node: RstDirective) {
          const classes = ['rubric', ...classNames(option(node, 'class'))]
          const first = node.children[0]
          state.writeLineVisitor(() => {
            state.writeText(`<p class="${escapeHtml(classes.join(' '))}">`)
            const content = node.initContent.length > 0 ? node.initContent : first ? [first] : []
            state.visitNodes(content.flatMap((part) => (part.nodeType === 'Paragraph' ? part.children : [part])))
            state.writeText('</p>')
          })
        },
      })
      compiler.useDirectiveGenerator({
        directives: ['contents'],
        generate(state: RstGeneratorState, node: RstDirective) {
          const title = node.initContentText.trim() || 'Contents'
          const depth = Number(option(node, 'depth') ?? '0') || Number.POSITIVE_INFINITY
          const sections = (session.root.findAllChildren('Section') as unknown as Array<RstNode & { level: number }>).filter(
            (section) => section.level <= depth,
          )
          state.writeLine(`<nav class="contents" id="${escapeHtml(tocId(title))}" role="doc-toc">`)
          state.writeLine(`<p class="topic-title">${escapeHtml(raw(title))}</p>`)
          let depthOpen = 0
          const levels: number[] = []
          for (const section of sections) {
            while (levels.length > 0 && levels.at(-1)! > section.level) {
              state.writeLine('</li>\n</ul>')
              levels.pop()
              depthOpen--
            }
            if (levels.length === 0 || levels.at(-1)! < section.level) {
              state.writeLine('<ul class="simple">')
              levels.push(section.level)
              depthOpen++
            } else state.writeLine('</li>')
            const id = state.htmlAttrResolver.getNodeHtmlId(section)
            state.writeLineVisitor(() => {
              state.writeText(`<li><p><a class="reference internal" href="#${id}" id="toc-entry-${tocEntries(session).get(section)}">`)
              state.visitNodes(section.children)
              state.writeText('</a></p>')
            })
          }
          for (; depthOpen > 0; depthOpen--) state.writeLine('</li>\n</ul>')
          state.writeLine('</nav>')
        },
      })
      // Roles are declared by `.. role::` and registered before generation (rst-nikola.ts); the directive prints nothing.
      compiler.useDirectiveGenerator({ directives: ['role', 'default-role', 'title', 'meta', 'highlight'], generate() {} })
      compiler.useDirectiveGenerator({
        directives: ['math'],
        generate(state: RstGeneratorState, node: RstDirective) {
          const tex = [node.initContentText.trim() ? raw(node.initContentText) : '', bodyLines(session, node)].filter(Boolean).join('\n')
          state.writeLineVisitor(() => state.writeText(blockMathHtml(tex, option(node, 'name'))))
        },
      })
      compiler.useInterpretedTextGenerator({
        roles: ['math'],
        generate(state: RstGeneratorState, node: RstNode & { rawTextContent?: string }) {
          state.writeText(inlineMathHtml(raw(node.rawTextContent ?? node.textContent)))
        },
      })
      compiler.useNodeGenerator({
        nodeType: 'LineBlock',
        generate(state: RstGeneratorState, node: RstNode) {
          state.writeLine('<div class="line-block">')
          for (const line of node.children) {
            if (line.nodeType === 'LineBlock') state.visitNode(line)
            else
              state.writeLineVisitor(() => {
                state.writeText('<div class="line">')
                state.visitNodes(line.children)
                state.writeText('</div>')
              })
          }
          state.writeLine('</div>')
        },
      })
      // Nikola's settings: initial_header_level 1, then every heading is demoted by one (render-body.ts), so
      // sections start at <h2> under the page's title, and raw HTML headings move down with them.
      compiler.useNodeGenerator({
        nodeType: 'Section',
        generate(state: RstGeneratorState, node: RstNode & { level: number }) {
          const level = Math.min(6, node.level)
          const id = state.htmlAttrResolver.getNodeHtmlId(node)
          const entry = tocEntries(session).get(node)
          // The section's extent is known only once its successor is seen: render-body.ts wraps it afterwards.
          state.writeLineVisitor(() => {
            state.writeText(`<!--herald-section ${level} ${id}-->`)
            state.writeText(`<h${level}>`)
            // With a table of contents, docutils links each title back to its entry.
            if (entry) state.writeText(`<a class="toc-backref" href="#toc-entry-${entry}" role="doc-backlink">`)
            state.visitNodes(node.children)
            if (entry) state.writeText('</a>')
            state.writeText(`</h${level}>`)
          })
        },
      })
      // docutils' literal with Nikola's visit_literal: `<code class="docutils literal">`, wrap-sensitive words in span.pre.
      compiler.useNodeGenerator({
        nodeType: 'InlineLiteral',
        generate(state: RstGeneratorState, node: RstNode & { rawTextContent?: string }) {
          state.writeText(`<code class="docutils literal">${literalHtml(raw(node.rawTextContent ?? node.textContent))}</code>`)
        },
      })
      // Upstream writes a debug comment for every target (and can throw); targets need no output of their own.
      compiler.useNodeGenerator({ nodeType: 'HyperlinkTarget', generate() {} })
      compiler.useNodeGenerator({
        nodeType: 'LiteralBlock',
        generate(state: RstGeneratorState, node: RstNode & { rawTextContent: string }) {
          state.writeLineVisitor(() => state.writeText(`<pre class="literal-block">${escapeHtml(raw(node.rawTextContent))}</pre>`))
        },
      })
      compiler.useNodeGenerator({
        nodeType: 'FootnoteRef',
        generate(state: RstGeneratorState, node: RstFootnoteRef) {
          const ids = footnoteIds(session)
          const target = `#${ids.get(state.resolveFootnoteDef(node) as unknown as RstNode)}`
          const id = ids.get(node)
          const label = state.resolveFootnoteRefLabel(node)
          state.writeText(
            `<a class="footnote-reference superscript" href="${target}" id="${id}" role="doc-noteref">` +
              `<span class="fn-bracket">[</span>${label}<span class="fn-bracket">]</span></a>`,
          )
        },
      })
      compiler.useNodeGenerator({
        nodeType: 'FootnoteDefGroup',
        generate(state: RstGeneratorState, node: RstNode) {
          state.writeLine('<aside class="footnote-list superscript">')
          state.visitNodes(node.children)
          state.writeLine('</aside>')
        },
      })
      compiler.useNodeGenerator({
        nodeType: 'FootnoteDef',
        generate(state: RstGeneratorState, node: RstFootnoteDef) {
          const ids = footnoteIds(session)
          const id = ids.get(node)
          const label = state.resolveFootnoteDefLabel(node)
          const backlinks = (footnoteReferences(session).get(node) ?? []).map((reference) => `#${ids.get(reference)}`)
          state.writeLine(`<aside class="footnote superscript" id="${id}" role="note">`)
          if (backlinks.length === 1) {
            state.writeLine(
              `<span class="label"><span class="fn-bracket">[</span><a role="doc-backlink" href="${backlinks[0]}">${label}</a>` +
                '<span class="fn-bracket">]</span></span>',
            )
          } else {
            state.writeLine(`<span class="label"><span class="fn-bracket">[</span>${label}<span class="fn-bracket">]</span></span>`)
            if (backlinks.length > 1) {
              const links = backlinks.map((href, index) => `<a role="doc-backlink" href="${href}">${index + 1}</a>`).join(',')
              state.writeLine(`<span class="backrefs">(${links})</span>`)
            }
          }
          state.visitNodes(node.children)
          state.writeLine('</aside>')
        },
      })
      compiler.useNodeGenerator({
        nodeType: 'SubstitutionRef',
        generate(state: RstGeneratorState, node: RstNode) {
          const written = node.textContent.replace(/\s+/g, ' ')
          const link = /^(.*)__h(\d+)$/.exec(written)
          const name = link ? link[1]! : written
          const definition = session.substitutions.get(name) ?? session.substitutions.get(name.toLowerCase())
          if (!definition) {
            session.problem(node, `substitution |${name}| is not defined`, `|${name}|`)
            return
          }
          const directive = definition.directive.toLowerCase()
          const target = link ? session.substitutionLinks[Number(link[2])] : undefined
          if (target !== undefined) state.writeText(`<a class="reference external" href="${escapeHtml(target)}">`)
          if (directive === 'image') {
            state.writeText(imageHtml(definition as unknown as RstDirective, argumentText(session, definition), name))
          } else if (directive === 'raw') {
            if (argumentText(session, definition).toLowerCase() === 'html') state.writeText(bodyLines(session, definition))
          } else if (directive === 'replace' || directive === 'unicode') {
            state.visitNodes(definition.initContent)
            if (definition.children[0]) state.visitNodes(definition.children[0].children)
          } else if (directive === 'date') {
            state.writeText(new Date().toISOString().slice(0, 10))
          } else {
            session.problem(node, `substitution |${name}| uses the unsupported directive "${definition.directive}"`, `|${name}|`)
          }
          if (target !== undefined) state.writeText('</a>')
        },
      })
      compiler.useDirectiveGenerator({
        directives: ['code', 'code-block', 'sourcecode'],
        generate(state: RstGeneratorState, node: RstDirective) {
          const code = node.rawBodyText === undefined ? '' : raw(node.rawBodyText)
          state.writeLineVisitor(() => state.writeText(session.codeBlock(node, code, node.initContentText.trim())))
        },
      })
    },
  }
}

const TOC_ENTRIES = new WeakMap<RenderSession, Map<RstNode, number>>()

/** docutils' `toc-entry-N` numbers of the sections a `contents` directive lists (none without one). */
function tocEntries(session: RenderSession): Map<RstNode, number> {
  let entries = TOC_ENTRIES.get(session)
  if (entries) return entries
  entries = new Map()
  const contents = (session.root.findAllChildren('Directive') as RstDirective[]).find((node) => node.directive.toLowerCase() === 'contents')
  if (contents) {
    const depth = Number(option(contents, 'depth') ?? '0') || Number.POSITIVE_INFINITY
    let count = 0
    for (const section of session.root.findAllChildren('Section') as unknown as Array<RstNode & { level: number }>)
      if (section.level <= depth) entries.set(section, ++count)
  }
  TOC_ENTRIES.set(session, entries)
  return entries
}

const FOOTNOTE_REFERENCES = new WeakMap<RenderSession, Map<RstNode, RstNode[]>>()

/** The references of each footnote, in document order (computed once: a per-footnote scan is quadratic). */
function footnoteReferences(session: RenderSession): Map<RstNode, RstNode[]> {
  let references = FOOTNOTE_REFERENCES.get(session)
  if (references) return references
  references = new Map()
  for (const reference of session.root.findAllChildren('FootnoteRef') as RstFootnoteRef[]) {
    const definition = session.resolver?.footnoteRefToDef.get(reference) as unknown as RstNode | undefined
    if (definition) references.set(definition, [...(references.get(definition) ?? []), reference])
  }
  FOOTNOTE_REFERENCES.set(session, references)
  return references
}

const FOOTNOTE_IDS = new WeakMap<RenderSession, Map<RstNode, string>>()

/** docutils' ids: `footnote-N` / `footnote-reference-N` in document order; a labelled `[#name]` footnote is `name`. */
function footnoteIds(session: RenderSession): Map<RstNode, string> {
  let ids = FOOTNOTE_IDS.get(session)
  if (ids) return ids
  ids = new Map()
  let definitions = 0
  for (const node of session.root.findAllChildren('FootnoteDef') as RstFootnoteDef[]) {
    const label = (node as unknown as { label?: string }).label ?? ''
    const name = /^#(.+)$/.exec(label)?.[1]
    ids.set(node, name ? name.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '-') : `footnote-${++definitions}`)
  }
  let references = 0
  for (const node of session.root.findAllChildren('FootnoteRef') as RstFootnoteRef[]) ids.set(node, `footnote-reference-${++references}`)
  FOOTNOTE_IDS.set(session, ids)
  return ids
}

/** docutils' html5 `visit_literal` body: words that could wrap badly in `span.pre`, runs of spaces kept. */
function literalHtml(text: string): string {
  return text
    .split(/(\s+)/)
    .map((token) => {
      if (token === '') return ''
      if (/^\s+$/.test(token)) return token === ' ' || token === '\n' ? token : `${'&nbsp;'.repeat(token.length - 1)} `
      return /.+\W\W.+|^[-?].+/.test(token) ? `<span class="pre">${escapeHtml(token)}</span>` : escapeHtml(token)
    })
    .join('')
}

const tocId = (title: string) =>
  title
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '-')
    .replace(/^-|-$/g, '') || 'contents'

/** `:number-lines:`/`:linenos:`, `:emphasize-lines:`, `:class:` → code block options; bad values are reported. */
export function codeOptions(session: RenderSession, node: RstDirective, language: string) {
  const numbering = option(node, 'number-lines') ?? option(node, 'linenos')
  let firstLine: number | undefined
  if (numbering !== null) {
    firstLine = numbering.trim() === '' ? 1 : Number(numbering.trim())
    if (!Number.isInteger(firstLine)) {
      session.warn(node, `:number-lines: ${numbering} is not a whole number; numbering from 1`)
      firstLine = 1
    }
  }
  const emphasize = new Set<number>()
  for (const part of (option(node, 'emphasize-lines') ?? '').split(',')) {
    const range = /^\s*(\d+)\s*(?:-\s*(\d+))?\s*$/.exec(part)
    if (!range) continue
    for (let line = Number(range[1]); line <= Number(range[2] ?? range[1]); line++) emphasize.add(line)
  }
  return { language, classes: classNames(option(node, 'class')), ...(firstLine === undefined ? {} : { firstLine }), emphasize }
}

/** Nikola's code block for a directive, with a warning when the language has no highlighter. */
export function renderCodeBlock(session: RenderSession, node: RstDirective, code: string, language: string): string {
  const tabWidth = Number(option(node, 'tab-width') ?? '0')
  const text = tabWidth > 0 ? code.replace(/\t/g, ' '.repeat(tabWidth)) : code
  const result = codeBlockHtml(text, codeOptions(session, node, language || 'text'))
  if (!result.known) session.warn(node, `no highlighting for language "${language}"; the code is shown without colours`)
  return result.html
}
