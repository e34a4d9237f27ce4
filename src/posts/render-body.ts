import {
  type RstCompilerPlugin,
  type RstDirective,
  RstGeneratorState,
  type RstHyperlinkRef,
  type RstInterpretedText,
  type RstNode,
  type RstSubstitutionDef,
  RstToHtmlCompiler,
  type SimpleNameResolver,
} from 'rst-compiler'
import { toEmailHtml } from './email-html.js'
import { extractShortcodes, lineFinder, renderMarkdown, restoreShortcodes } from './markdown.js'
import { AMPERSAND, docutilsPlugin, renderCodeBlock } from './rst-docutils.js'
import { customRolesPlugin, nikolaPlugin } from './rst-nikola.js'
import { lineOf, problemMarker, type RenderSession } from './rst-session.js'
import { expandIncludes } from './sources.js'
import type { PostProblem, RenderContext, RenderedBody } from './types.js'

/*
 * One body → HTML, pure: the same body, format and files always give the same result (cached by hash, rendered in
 * threads). Nothing here throws on bad markup: each construct that cannot be rendered becomes a marker for that
 * construct alone, with a warning (docs/decisions.md, "No construct takes a post down").
 */

const TEASER_MARKER = /^[ \t]*<!--\s*(?:TEASER_END|END_TEASER)(?::\s*([\s\S]*?))?\s*-->[ \t]*$/im

/** Renders a post body (reST unless `context.format` says Markdown). */
export function renderBody(body: string, context: RenderContext = {}): RenderedBody {
  const warnings: PostProblem[] = []
  const html = context.format === 'markdown' ? renderMarkdown(body, context, warnings) : renderRstHtml(body, context, warnings)
  return splitTeaser(demoteHeadings(wrapSections(html)), warnings)
}

// The session of the render in progress: renders are synchronous, so one module-level slot is enough.
let active: RenderSession | null = null

/**
 * The safety net: every node is generated inside a try; when a generator throws, what it wrote is rolled back and
 * a marker takes its place. Installed once on rst-compiler's generator state.
 */
function installSafetyNet(): void {
  const prototype = RstGeneratorState.prototype as unknown as {
    visitNode(node: RstNode): void
    __heraldSafe?: boolean
  }
  if (prototype.__heraldSafe) return
  prototype.__heraldSafe = true
  const visit = prototype.visitNode
  prototype.visitNode = function (this: RstGeneratorState, node: RstNode) {
    const state = this as unknown as { _outputBuffers: Array<{ textOutput: string; prefixes: unknown[] }> }
    const depth = state._outputBuffers.length
    const buffer = state._outputBuffers[depth - 1]!
    const length = buffer.textOutput.length
    // The prefix stack is replaced by a new array or pushed and popped in place: the array and its length restore it.
    const prefixes = buffer.prefixes
    const prefixCount = prefixes.length
    try {
      visit.call(this, node)
    } catch (error) {
      if (!active || !node) throw error
      state._outputBuffers.length = depth
      buffer.textOutput = buffer.textOutput.slice(0, length)
      prefixes.length = prefixCount
      buffer.prefixes = prefixes
      const message = (error as Error).message.split('\n')[0]!.replace(/^.*?Error:\s*/, '')
      active.problem(node, `could not render this ${describe(node)} (${message})`, shownText(node))
    }
  }
}

const describe = (node: RstNode) =>
  node.nodeType === 'Directive'
    ? `"${(node as RstDirective).directive}" directive`
    : node.nodeType === 'InterpretedText'
      ? `":${(node as RstInterpretedText).role}:" role`
      : node.nodeType.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase()

const shownText = (node: RstNode) => {
  const text = node.nodeType === 'Directive' ? `.. ${(node as RstDirective).directive}:: ${node.textContent}` : node.textContent
  const line = text.split('\n')[0]!.replaceAll(AMPERSAND, '&')
  return line.length > 80 ? `${line.slice(0, 77)}…` : line
}

function renderRstHtml(source: string, context: RenderContext, warnings: PostProblem[]): string {
  installSafetyNet()
  // Nikola's shortcodes work in reST too: taken out before parsing, their output put back afterwards.
  const shortcodes = source.includes('{{%') ? extractShortcodes(source, context, warnings, lineFinder(source)) : { text: source, html: [] }
  const body = shortcodes.text
  const expanded = expandIncludes(body.replace(/&(?=#?[A-Za-z0-9]+;)/g, AMPERSAND), context.file ?? 'post.rst', context.files ?? {})
  // `|name| <url>`__ (a substitution as link text): rst-compiler cannot parse it, docutils links the substitution.
  const substitutionLinks: string[] = []
  const text = expanded.text.includes('|')
    ? expanded.text.replace(/`\s*(?:\\ )?\|([^|`]+)\|(?:\\ )?\s*<([^<>`]+)>`__?/g, (whole: string, name: string, url: string) => {
        substitutionLinks.push(url.replace(/\s+/g, ''))
        const replacement = `|${name.replace(/\s+/g, ' ')}__h${substitutionLinks.length - 1}|`
        // Same width on one line, so a grid table around it keeps its columns.
        return whole.includes('\n') ? replacement : replacement.padEnd(whole.length)
      })
    : expanded.text
  const lines = text.split('\n')
  const bodyLine = (line: number | undefined) => (line === undefined ? undefined : (expanded.origin[line - 1] ?? line))
  const warn = (line: number | undefined, message: string) => {
    const mapped = bodyLine(line)
    warnings.push(mapped === undefined ? { message } : { line: mapped, message })
  }
  try {
    const html = tidy(generate(text, lines, expanded.problems, context, warn, substitutionLinks))
    // Placeholders resolved after loading carry their line for warnings: a line of the body, not of the expansion.
    const placed = html.includes('data-herald-line')
      ? html.replace(/data-herald-line="(\d+)"/g, (_whole, line: string) => `data-herald-line="${bodyLine(Number(line))}"`)
      : html
    return restoreShortcodes(placed, shortcodes.html)
  } catch (error) {
    // The parser itself failed (the generators cannot: see the safety net). Render the body block by block, so only
    // the block the parser cannot read is lost, shown as a marker.
    warn(undefined, `the body could not be read as a whole (${(error as Error).message.split('\n')[0]}); rendered block by block`)
    return restoreShortcodes(renderByBlocks(lines, context, warn), shortcodes.html)
  }
}

type Warn = (line: number | undefined, message: string) => void

// Directives whose first line is an argument (not body text), and those whose body is raw text, for the parser.
const WITH_ARGUMENT = [
  'sidebar',
  'topic',
  'rubric',
  'listing',
  'thumbnail',
  'youtube',
  'vimeo',
  'soundcloud',
  'soundcloud_playlist',
  'gist',
  'chart',
  'media',
  'role',
  'default-role',
  'title',
  'math',
  'sourcecode',
  'herald-problem',
]
const PARSE_OPTIONS: RstCompilerPlugin = {
  onBeforeParse(parserOption) {
    parserOption.directivesWithInitContent.push(...WITH_ARGUMENT)
    parserOption.directivesWithRawText.push('sourcecode', 'chart')
  },
}

function generate(
  source: string,
  lines: readonly string[],
  includeProblems: ReadonlyArray<{ line: number; message: string; shown: string }>,
  context: RenderContext,
  warn: Warn,
  substitutionLinks: readonly string[] = [],
): string {
  const compiler = new RstToHtmlCompiler()
  compiler.usePlugin(PARSE_OPTIONS)
  // `.. default-role:: math` (for the whole post: docutils starts at the directive, which posts put at the top).
  const defaultRole = /^\.\. default-role::[ \t]*(\S+)/m.exec(source)?.[1]
  const parsed = compiler.parse(source, {
    disableWarnings: true,
    disableErrors: true,
    parseFirstFieldListAsDocumentMeta: false,
    ...(defaultRole ? { defaultInterpretedTextRole: defaultRole } : {}),
  })
  const root = parsed.root
  const substitutions = new Map<string, RstSubstitutionDef>()
  const found = nodesOfTypes(root)
  for (const definition of found.SubstitutionDef as RstSubstitutionDef[]) {
    substitutions.set(definition.needle, definition)
    if (!substitutions.has(definition.needle.toLowerCase())) substitutions.set(definition.needle.toLowerCase(), definition)
  }
  const session: RenderSession = {
    lines,
    root,
    resolver: parsed.simpleNameResolver,
    substitutions,
    files: context.files ?? {},
    substitutionLinks,
    warnings: [],
    state: null,
    problem(node, message, shown) {
      warn(lineOf(node), message)
      const block = !node.isInlineNode
      const marker = problemMarker(message, shown ?? shownText(node), block)
      if (this.state) block ? this.state.writeLineVisitor(() => this.state!.writeText(marker)) : this.state.writeText(marker)
    },
    warn(node, message) {
      warn(lineOf(node), message)
    },
    codeBlock(node, code, language) {
      return renderCodeBlock(session, node, code, language)
    },
  }
  compiler.usePlugin(docutilsPlugin(session))
  compiler.usePlugin(nikolaPlugin(session))
  const directives = found.Directive as RstDirective[]
  compiler.usePlugin(
    customRolesPlugin(
      session,
      directives.filter((node) => node.directive.toLowerCase() === 'role'),
    ),
  )
  compiler.useDirectiveGenerator({
    directives: ['herald-problem'],
    generate(state, node: RstDirective) {
      const problem = includeProblems[Number(node.initContentText.trim())]
      if (!problem) return
      warn(problem.line, problem.message)
      state.writeLineVisitor(() => state.writeText(problemMarker(problem.message, problem.shown, true)))
    },
  })
  installFallbacks(compiler, found, parsed.simpleNameResolver, session)
  for (const message of [...compiler.outputWarnings, ...compiler.outputErrors]) {
    // Missing footnote/citation definitions are reported by the fallbacks below, with a line number.
    if (!/^Failed get (footnote|citation)Def/i.test(message)) warn(undefined, message.split('\n')[0]!.trim())
  }
  active = session
  try {
    const output = compiler.generate(
      { basePath: '/', currentDocPath: 'index', docs: [{ docPath: 'index', parserOutput: parsed }] },
      { disableWarnings: true, disableErrors: true, htmlClass: { fieldList: 'field-list' } },
    )
    return output.body
  } finally {
    active = null
  }
}

type CollectedType = 'Directive' | 'InterpretedText' | 'SubstitutionDef'

/** The nodes of the types the fallbacks need, in one walk of the tree (not one per type). */
function nodesOfTypes(root: RstNode): Record<CollectedType, RstNode[]> {
  const found: Record<CollectedType, RstNode[]> = { Directive: [], InterpretedText: [], SubstitutionDef: [] }
  const walk = (node: RstNode) => {
    const type = node.nodeType as string
    if (type === 'Directive' || type === 'InterpretedText' || type === 'SubstitutionDef') found[type].push(node)
    for (const child of node.children) walk(child)
  }
  walk(root)
  return found
}

/** Unknown directives and roles, and references without a target, become markers plus warnings. */
function installFallbacks(
  compiler: RstToHtmlCompiler,
  found: Record<CollectedType, RstNode[]>,
  simpleNames: SimpleNameResolver,
  session: RenderSession,
): void {
  const unknownDirectives = new Set<string>()
  for (const node of found.Directive as RstDirective[]) {
    const name = node.directive.toLowerCase()
    if (!compiler.directiveGenerators.has(name)) unknownDirectives.add(name)
  }
  if (unknownDirectives.size > 0) {
    compiler.useDirectiveGenerator({
      directives: [...unknownDirectives],
      generate: (state, node: RstDirective) => {
        session.state = state
        session.problem(node, `unknown directive "${node.directive}"; only a marker is shown in its place`)
      },
    })
  }
  const unknownRoles = new Set<string>()
  for (const node of found.InterpretedText as RstInterpretedText[]) {
    const role = node.role.toLowerCase()
    if (!compiler.interpretedTextGenerators.has(role)) unknownRoles.add(role)
  }
  if (unknownRoles.size > 0) {
    compiler.useInterpretedTextGenerator({
      roles: [...unknownRoles],
      generate: (state, node: RstInterpretedText) => {
        session.state = state
        session.problem(node, `unknown role ":${node.role}:"`, node.textContent)
      },
    })
  }
  const problematic = (state: RstGeneratorState, node: RstNode, message: string) => {
    session.state = state
    session.problem(node, message, node.textContent)
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
    generate: (state, node) =>
      simpleNames.footnoteRefToDef.has(node as never)
        ? footnoteRef(state, node)
        : problematic(state, node, `footnote [${node.textContent}] has no definition`),
  })
  compiler.useNodeGenerator({
    nodeType: 'CitationRef',
    generate: (state, node) => {
      let definition: RstNode
      try {
        definition = state.resolveCitationDef(node as never) as unknown as RstNode
      } catch {
        return problematic(state, node, `citation [${node.textContent}] has no definition`)
      }
      // docutils' citation reference: the label in brackets.
      const id = state.htmlAttrResolver.getNodeHtmlId(node)
      const href = state.resolveNodeToUrl(definition)
      state.writeText(`<a class="citation-reference" href="${href}" id="${id}" role="doc-biblioref">[${node.textContent}]</a>`)
    },
  })
  const hyperlinkRef = original('HyperlinkRef')
  compiler.useNodeGenerator({
    nodeType: 'HyperlinkRef',
    generate: (state, node: RstHyperlinkRef) => {
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
  // Markers are written through the session: it needs the generator state, which exists from the document node on.
  compiler.useNodeGenerator({
    nodeType: 'Document',
    generate(state, node) {
      session.state = state
      state.visitNodes(node.children)
    },
  })
}

/** Last resort when the parser fails: top-level blocks one by one (a block that still fails becomes a marker). */
function renderByBlocks(lines: readonly string[], context: RenderContext, warn: Warn): string {
  const blocks: Array<{ start: number; text: string }> = []
  let start = 0
  for (let index = 1; index <= lines.length; index++) {
    const line = lines[index]
    const atTopLevel = line === undefined || (line.trim() !== '' && !/^\s/.test(line) && lines[index - 1]!.trim() === '')
    if (atTopLevel) {
      blocks.push({ start, text: lines.slice(start, index).join('\n') })
      start = index
    }
  }
  return blocks
    .map((block) => {
      try {
        return generate(block.text, block.text.split('\n'), [], context, (line, message) =>
          warn(line === undefined ? undefined : line + block.start, message),
        )
      } catch (error) {
        const first = block.text.trim().split('\n')[0] ?? ''
        warn(block.start + 1, `this block could not be read (${(error as Error).message.split('\n')[0]}); a marker is shown instead`)
        return problemMarker('could not be read', first.replaceAll(AMPERSAND, '&'), true)
      }
    })
    .join('\n')
}

const SECTION_START = /<!--herald-section (\d) ([^ ]*)-->/g

/** docutils' `<section id>` around each section, from the markers the Section generator leaves. */
export function wrapSections(html: string): string {
  if (!html.includes('<!--herald-section')) return html
  const open: number[] = []
  const out = html.replace(SECTION_START, (_whole, level: string, id: string) => {
    let closing = ''
    while (open.length > 0 && open.at(-1)! >= Number(level)) {
      open.pop()
      closing += '</section>\n'
    }
    open.push(Number(level))
    return `${closing}<section${id ? ` id="${id}"` : ''}>\n`
  })
  return out + '\n</section>'.repeat(open.length)
}

/** Closes the sections a teaser cut leaves open. */
const closeSections = (html: string) =>
  html + '\n</section>'.repeat(Math.max(0, (html.match(/<section[\s>]/g)?.length ?? 0) - (html.match(/<\/section>/g)?.length ?? 0)))

/** Nikola's DEMOTE_HEADERS = 1 on the final HTML: h1→h2 … h5→h6 (h6 stays), raw HTML headings included. */
export function demoteHeadings(html: string): string {
  if (!html.includes('<h')) return html
  return html.replace(/<(\/?)h([1-5])(?=[\s>])/g, (_whole, slash: string, level: string) => `<${slash}h${Number(level) + 1}`)
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
      // Column widths go on docutils' <colgroup>; rst-compiler repeats them on every cell, which mail clients honour oddly.
      .replace(html.includes(' style="width:') ? /(<t[dh]) style="width:[\d.]+%;"/g : /(?!)/, '$1')
      .replaceAll(AMPERSAND, '&amp;')
  )
}

/** The email rendering, or null when it is the same HTML (most posts: the render cache keeps one copy). */
function emailVariant(html: string): string | null {
  const email = toEmailHtml(html)
  return email === html ? null : email
}

/** Splits at the first top-level `TEASER_END` (or `END_TEASER`) comment, then drops every HTML comment. */
function splitTeaser(html: string, warnings: PostProblem[]): RenderedBody {
  const withoutComments = (text: string) => text.replace(/<!--[\s\S]*?-->\n?/g, '').trim()
  const whole = (): RenderedBody => {
    const full = withoutComments(html)
    return { html: full, teaserHtml: null, emailHtml: emailVariant(full), emailTeaserHtml: null, readMoreLabel: null, warnings }
  }
  const marker = TEASER_MARKER.exec(html)
  if (!marker) return whole()
  const label = marker[1]?.trim() || null
  // Nested blocks are indented; a marker that is indented sits inside a list or quote, and cutting there would
  // leave unclosed tags in the teaser.
  if (/^[ \t]+</.test(marker[0])) {
    warnings.push({ message: 'TEASER_END inside an indented block is ignored; put it at the start of a line' })
    return whole()
  }
  const full = withoutComments(html)
  const teaser = closeSections(withoutComments(html.slice(0, marker.index)))
  return {
    html: full,
    teaserHtml: teaser,
    emailHtml: emailVariant(full),
    emailTeaserHtml: emailVariant(teaser),
    readMoreLabel: label ? label.replaceAll(AMPERSAND, '&') : null,
    warnings,
  }
}
