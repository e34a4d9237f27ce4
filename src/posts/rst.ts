import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import type {
  RstToHtmlCompiler as Compiler,
  RstCompilerPlugin,
  RstDirective,
  RstFootnoteDef,
  RstFootnoteRef,
  RstGeneratorState,
  RstHyperlinkRef,
  RstInterpretedText,
  RstNode,
  SimpleNameResolver,
} from 'rst-compiler'
import { escapeHtml } from '../html.js'
import { PACKAGE_ROOT } from '../infra/paths.js'
import type { RstRenderer } from './load.js'
import type { PostProblem, RenderedBody } from './types.js'

/*
 * reStructuredText → HTML with `rst-compiler`, adjusted towards docutils' html5 writer.
 * Why this engine and these adjustments: docs/decisions.md ("reST engine") and test/posts/rst-fidelity.test.ts.
 */

// Bump when the adjustments below (or patches/rst-compiler+*.patch) change the HTML, so render caches are invalidated.
const ADJUSTMENTS_VERSION = 7
const require = createRequire(import.meta.url)
// The package's exports hide package.json; find it next to the resolved entry instead.
const ENGINE_VERSION: string = (
  JSON.parse(readFileSync(path.join(path.dirname(require.resolve('rst-compiler')), '..', 'package.json'), 'utf8')) as { version: string }
).version

// rst-compiler throws "Double sanitize" on text that already holds an entity (`&amp;`), and passes `&nbsp;`
// through unescaped where docutils shows it literally: hide every `&` that starts an entity behind a
// private-use character during compilation and turn it into `&amp;` afterwards.
const AMPERSAND = '\uE000'
const ADMONITIONS = ['attention', 'caution', 'danger', 'error', 'hint', 'important', 'note', 'tip', 'warning']
const TEASER_MARKER = /^[ \t]*<!--\s*(?:TEASER_END|END_TEASER)(?::\s*([\s\S]*?))?\s*-->[ \t]*$/im

// The patch applied to the engine on install (patches/, by patch-package): a changed patch changes the output.
const PATCH_HASH = (() => {
  try {
    const patch = readFileSync(path.join(PACKAGE_ROOT, 'patches', `rst-compiler+${ENGINE_VERSION}.patch`))
    return createHash('sha256').update(patch).digest('hex').slice(0, 12)
  } catch {
    return 'unpatched'
  }
})()

/** Identifies the rendering: engine version, the patch applied to it and our adjustments (cache keys depend on it). */
export const RENDERER_ID = `rst-compiler@${ENGINE_VERSION}+patch.${PATCH_HASH}+herald.${ADJUSTMENTS_VERSION}`

type CompilerModule = typeof import('rst-compiler')
let compilerModule: Promise<CompilerModule> | undefined

/**
 * The renderer Herald uses. The engine (and its katex/shiki imports, ~80 ms) is loaded on the first
 * cache miss only, so a rebuild where every post is cached never pays for it.
 */
export function createRstRenderer(): RstRenderer {
  return {
    id: RENDERER_ID,
    async render(body: string): Promise<RenderedBody> {
      compilerModule ??= import('rst-compiler')
      return renderRst((await compilerModule).RstToHtmlCompiler, body)
    },
  }
}

/** Renders one body. Problems become warnings with body-relative lines; nothing here throws on bad markup. */
export function renderRst(CompilerClass: CompilerModule['RstToHtmlCompiler'], body: string): RenderedBody {
  const source = body.replace(/&(?=#?[A-Za-z0-9]+;)/g, AMPERSAND)
  const lines = source.split('\n')
  const warnings: PostProblem[] = []
  const compiler = new CompilerClass()
  compiler.usePlugin(docutilsLikeOutput)

  let html: string
  try {
    const parsed = compiler.parse(source, { disableWarnings: true, disableErrors: true, parseFirstFieldListAsDocumentMeta: false })
    for (const message of [...compiler.outputWarnings, ...compiler.outputErrors]) {
      // Missing footnote/citation definitions are reported by the fallbacks below, with a line number.
      if (!/^Failed get (footnote|citation)Def/i.test(message)) warnings.push({ message: cleanEngineMessage(message) })
    }
    installFallbacks(compiler, parsed.root, parsed.simpleNameResolver, lines, warnings)
    html = compiler.generate(
      { basePath: '/', currentDocPath: 'index', docs: [{ docPath: 'index', parserOutput: parsed }] },
      { disableWarnings: true, disableErrors: true, htmlClass: { fieldList: 'field-list' } },
    ).body
    for (const message of [...compiler.outputWarnings, ...compiler.outputErrors]) warnings.push({ message: cleanEngineMessage(message) })
  } catch (error) {
    // Last resort: the engine failed on something we did not anticipate. Show the source rather than lose the post.
    warnings.push({ message: `could not render the body (${(error as Error).message.split('\n')[0]}); it is shown as plain text` })
    html = `<pre class="render-failed">${escapeHtml(body)}</pre>`
  }
  return splitTeaser(tidy(html), warnings)
}

function cleanEngineMessage(message: string): string {
  return message.split('\n')[0]!.trim()
}

/** Unknown directives and roles, and references without a target, become visible fallbacks plus warnings. */
function installFallbacks(
  compiler: Compiler,
  root: RstNode,
  simpleNames: SimpleNameResolver,
  lines: readonly string[],
  warnings: PostProblem[],
): void {
  const lineOf = (node: RstNode) => node.source.startLineIdx + 1

  const unknownDirectives = new Set<string>()
  for (const node of root.findAllChildren('Directive') as RstDirective[]) {
    const name = node.directive.toLowerCase()
    if (compiler.directiveGenerators.has(name)) continue
    unknownDirectives.add(name)
    warnings.push({ line: lineOf(node), message: `unknown directive "${node.directive}"; its text is shown as a preformatted block` })
  }
  if (unknownDirectives.size > 0) {
    compiler.useDirectiveGenerator({
      directives: [...unknownDirectives],
      generate: (state: RstGeneratorState, node: RstDirective) => {
        const raw = dedent(lines.slice(node.source.startLineIdx, node.source.endLineIdx))
        // writeText, not writeLine: writeLine would indent every line inside the <pre>.
        state.writeLineVisitor(() =>
          state.writeText(`<pre class="unknown-directive" data-directive="${escapeHtml(node.directive)}">${escapeHtml(raw)}</pre>`),
        )
      },
    })
  }

  const unknownRoles = new Set<string>()
  for (const node of root.findAllChildren('InterpretedText') as RstInterpretedText[]) {
    const role = node.role.toLowerCase()
    if (compiler.interpretedTextGenerators.has(role)) continue
    unknownRoles.add(role)
    warnings.push({ line: lineOf(node), message: `unknown role ":${node.role}:"; shown as plain text` })
  }
  if (unknownRoles.size > 0) {
    compiler.useInterpretedTextGenerator({
      roles: [...unknownRoles],
      generate: (state: RstGeneratorState, node: RstInterpretedText) => {
        state.writeText(`<span class="unknown-role" data-role="${escapeHtml(node.role)}">${escapeHtml(node.textContent)}</span>`)
      },
    })
  }

  const problematic = (state: RstGeneratorState, node: RstNode, message: string) => {
    warnings.push({ line: lineOf(node), message })
    state.writeText(`<span class="problematic">${escapeHtml(node.textContent)}</span>`)
  }
  // The engine's own generators, to fall through to when a reference does resolve.
  const original = (nodeType: string) => {
    const generator = compiler.nodeGenerators.get(nodeType as never) as unknown as {
      generate(state: RstGeneratorState, node: RstNode): void
    }
    return (state: RstGeneratorState, node: RstNode) => generator.generate(state, node)
  }
  const footnoteRef = original('FootnoteRef')
  compiler.useNodeGenerator({
    nodeType: 'FootnoteRef',
    generate: (state: RstGeneratorState, node: RstFootnoteRef) =>
      simpleNames.footnoteRefToDef.has(node)
        ? footnoteRef(state, node)
        : problematic(state, node, `footnote [${node.textContent}] has no definition`),
  })
  const citationRef = original('CitationRef')
  compiler.useNodeGenerator({
    nodeType: 'CitationRef',
    generate: (state: RstGeneratorState, node: RstNode) => {
      try {
        state.resolveCitationDef(node as never)
      } catch {
        return problematic(state, node, `citation [${node.textContent}] has no definition`)
      }
      citationRef(state, node)
    },
  })
  const hyperlinkRef = original('HyperlinkRef')
  compiler.useNodeGenerator({
    nodeType: 'HyperlinkRef',
    generate: (state: RstGeneratorState, node: RstHyperlinkRef) => {
      if (node.isAnonymous && !node.isEmbeded && !simpleNames.anonymousHyperlinkRefToTarget.has(node)) {
        return problematic(state, node, `anonymous reference "${node.label}" has no target`)
      }
      // Standalone URLs and e-mail addresses are references that resolve to themselves.
      const standalone = /^(?:[a-z][a-z0-9+.-]*:|[^\s@<>]+@[^\s@<>]+$)/i.test(node.target)
      if (!standalone && !node.isEmbeded && !node.isAnonymous && state.resolveHyperlinkRefToUrl(node) === node.target) {
        return problematic(state, node, `reference "${node.label}_" has no target`)
      }
      hyperlinkRef(state, node)
    },
  })
}

/** Output changes that bring rst-compiler's HTML to docutils' html5 writer's (measured: docs/decisions.md). */
const docutilsLikeOutput: RstCompilerPlugin = {
  onInstall(compiler) {
    compiler.useDirectiveGenerator({
      directives: ['image'],
      generate(state: RstGeneratorState, node: RstDirective) {
        const field = (name: string) => node.config?.getField(name) ?? null
        const source = node.initContentText.trim()
        const style = [field('width') && `width: ${field('width')};`, field('height') && `height: ${field('height')};`]
          .filter(Boolean)
          .join(' ')
        const classes = [field('align') && `align-${field('align')}`, field('class')].filter(Boolean).join(' ')
        let tag =
          `<img alt="${escapeHtml(field('alt') ?? source)}"${classes ? ` class="${escapeHtml(classes)}"` : ''} ` +
          `src="${escapeHtml(source)}"${style ? ` style="${escapeHtml(style)}"` : ''} />`
        const target = field('target')
        if (target) tag = `<a class="reference external image-reference" href="${escapeHtml(target)}">${tag}</a>`
        state.writeLine(tag)
      },
    })
    compiler.useDirectiveGenerator({
      directives: [...ADMONITIONS, 'admonition'],
      generate(state: RstGeneratorState, node: RstDirective) {
        const generic = node.directive.toLowerCase() === 'admonition'
        const title = generic ? node.initContentText.trim() : node.directive[0]!.toUpperCase() + node.directive.slice(1).toLowerCase()
        const kind = generic ? `admonition-${title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}` : node.directive.toLowerCase()
        state.writeLine(`<aside class="admonition ${escapeHtml(kind)}">`)
        state.writeLine(`<p class="admonition-title">${escapeHtml(title)}</p>`)
        state.visitNodes(node.children)
        state.writeLine('</aside>')
      },
    })
    compiler.useDirectiveGenerator({
      directives: ['raw'],
      generate(state: RstGeneratorState, node: RstDirective) {
        if (node.initContentText.trim().toLowerCase() === 'html')
          state.writeLineVisitor(() => state.writeText(node.rawBodyText.replaceAll(AMPERSAND, '&')))
      },
    })
    // docutils' initial_header_level 2: the post title is the page's <h1>, the body's sections start at <h2>.
    compiler.useNodeGenerator({
      nodeType: 'Section',
      generate(state: RstGeneratorState, node: RstNode & { level: number }) {
        const level = Math.min(6, node.level + 1)
        const id = state.htmlAttrResolver.getNodeHtmlId(node)
        state.writeLineVisitor(() => {
          state.writeText(`<h${level}${id ? ` id="${id}"` : ''}>`)
          state.visitNodes(node.children)
          state.writeText(`</h${level}>`)
        })
      },
    })
    // Upstream writes a debug comment for every target (and can throw); targets need no output of their own.
    compiler.useNodeGenerator({ nodeType: 'HyperlinkTarget', generate() {} })
    compiler.useNodeGenerator({
      nodeType: 'LiteralBlock',
      generate(state: RstGeneratorState, node: RstNode & { rawTextContent: string }) {
        state.writeLineVisitor(() =>
          state.writeText(`<pre class="literal-block">${escapeHtml(node.rawTextContent.replaceAll(AMPERSAND, '&'))}</pre>`),
        )
      },
    })
    compiler.useNodeGenerator({
      nodeType: 'FootnoteRef',
      generate(state: RstGeneratorState, node: RstFootnoteRef) {
        const target = state.resolveNodeToUrl(state.resolveFootnoteDef(node))
        const id = state.htmlAttrResolver.getNodeHtmlId(node)
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
        const id = state.htmlAttrResolver.getNodeHtmlId(node)
        const label = state.resolveFootnoteDefLabel(node)
        const backlinks = state.resolveFootnoteDefBacklinks(node)
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
  },
}

/** Small output fixes that are simpler as text rewrites than as generator overrides. */
function tidy(html: string): string {
  return (
    html
      .replace(/<footer>\s*<cite>\s*&mdash; ([\s\S]*?)\s*<\/cite>\s*<\/footer>/g, '<p class="attribution">—$1</p>')
      // A standalone URL followed by punctuation: docutils keeps the punctuation out of the link.
      .replace(
        /<a href="([^"]*?)([.,;:!?)]+)">([^<]*?)\2<\/a>/g,
        (_whole, href: string, punctuation: string, text: string) => `<a href="${href}">${text}</a>${punctuation}`,
      )
      // rst-compiler writes URLs into attributes unescaped; a bare `&` there is invalid HTML.
      .replace(
        /(\s(?:href|src)=")([^"]*)"/g,
        (_whole, head: string, url: string) => `${head}${url.replace(/&(?!(?:#\d+|#x[0-9a-f]+|[a-z][a-z0-9]*);)/gi, '&amp;')}"`,
      )
      .replaceAll(AMPERSAND, '&amp;')
  )
}

/** Splits at the first top-level `.. TEASER_END` (or `END_TEASER`) comment, then drops every HTML comment. */
function splitTeaser(html: string, warnings: PostProblem[]): RenderedBody {
  const marker = TEASER_MARKER.exec(html)
  const withoutComments = (text: string) => text.replace(/<!--[\s\S]*?-->\n?/g, '').trim()
  if (!marker) return { html: withoutComments(html), teaserHtml: null, readMoreLabel: null, warnings }
  const label = marker[1]?.trim() || null
  // rst-compiler indents nested blocks; a marker that is indented sits inside a list or quote, and
  // cutting there would leave unclosed tags in the teaser.
  if (/^[ \t]+</.test(marker[0])) {
    warnings.push({ message: 'TEASER_END inside an indented block is ignored; put it at the start of a line' })
    return { html: withoutComments(html), teaserHtml: null, readMoreLabel: null, warnings }
  }
  return {
    html: withoutComments(html),
    teaserHtml: withoutComments(html.slice(0, marker.index)),
    readMoreLabel: label ? label.replaceAll(AMPERSAND, '&') : null,
    warnings,
  }
}

function dedent(lines: readonly string[]): string {
  const indents = lines.filter((line) => line.trim() !== '').map((line) => line.length - line.trimStart().length)
  const indent = indents.length > 0 ? Math.min(...indents) : 0
  return lines
    .map((line) => line.slice(indent))
    .join('\n')
    .trimEnd()
    .replaceAll(AMPERSAND, '&')
}
