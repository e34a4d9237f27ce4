import { createHash } from 'node:crypto'
import { createRequire } from 'node:module'
import type { HLJSApi, LanguageFn } from 'highlight.js'
import { escapeHtml } from '../html.js'

/*
 * Code blocks the way Nikola writes them (Pygments through NikolaPygmentsHTML), tokenised by highlight.js.
 * Pygments has no JavaScript port: highlight.js scopes are mapped to Pygments' short CSS classes, so a
 * Nikola theme's code.css colours them. Names and punctuation, which Pygments marks and highlight.js does not,
 * stay plain text (docs/decisions.md).
 */

const require = createRequire(import.meta.url)
let loaded: HLJSApi | undefined
// Loaded with the first code block, languages one by one as posts use them.
const engine = (): HLJSApi => (loaded ??= require('highlight.js/lib/core') as HLJSApi)

// Pygments lexer names that highlight.js knows under another name (the rest are the same, or unknown).
const ALIASES: Record<string, string> = {
  py: 'python',
  py3: 'python',
  python3: 'python',
  pycon: 'python-repl',
  ipython: 'python',
  ipython3: 'python',
  console: 'shell',
  'shell-session': 'shell',
  sh: 'bash',
  zsh: 'bash',
  ksh: 'bash',
  shell: 'bash',
  js: 'javascript',
  jsx: 'javascript',
  node: 'javascript',
  ts: 'typescript',
  html: 'xml',
  xhtml: 'xml',
  svg: 'xml',
  glade: 'xml',
  'html+django': 'django',
  jinja: 'django',
  'html+jinja': 'django',
  yml: 'yaml',
  rb: 'ruby',
  'c++': 'cpp',
  cxx: 'cpp',
  hpp: 'cpp',
  h: 'c',
  'objective-c': 'objectivec',
  objc: 'objectivec',
  'c#': 'csharp',
  cs: 'csharp',
  golang: 'go',
  rs: 'rust',
  make: 'makefile',
  mf: 'makefile',
  cfg: 'ini',
  dosini: 'ini',
  toml: 'ini',
  psql: 'pgsql',
  postgresql: 'pgsql',
  'emacs-lisp': 'lisp',
  elisp: 'lisp',
  'common-lisp': 'lisp',
  cl: 'lisp',
  racket: 'scheme',
  tex: 'latex',
  md: 'markdown',
  docker: 'dockerfile',
  udiff: 'diff',
  patch: 'diff',
  kt: 'kotlin',
  pl: 'perl',
  ps1: 'powershell',
  bat: 'dos',
  batch: 'dos',
  hs: 'haskell',
  ml: 'ocaml',
  jl: 'julia',
  vimscript: 'vim',
  viml: 'vim',
}

/** Lexers that Pygments renders as plain text anyway: no highlighting and nothing to warn about. */
const PLAIN = new Set(['', 'text', 'none', 'plain', 'plaintext', 'txt', 'rst', 'rest', 'restructuredtext', 'output', 'raw', 'nohighlight'])

function loadLanguage(name: string): boolean {
  if (engine().getLanguage(name)) return true
  if (!/^[a-z0-9-]+$/.test(name)) return false
  try {
    engine().registerLanguage(name, require(`highlight.js/lib/languages/${name}`) as LanguageFn)
    return true
  } catch {
    return false
  }
}

// highlight.js scope (first class, then modifiers) → Pygments short class.
const SCOPES: Record<string, string> = {
  keyword: 'k',
  built_in: 'nb',
  type: 'kt',
  literal: 'kc',
  number: 'm',
  operator: 'o',
  punctuation: 'p',
  property: 'py',
  regexp: 'sr',
  string: 's',
  subst: 'si',
  symbol: 'ss',
  char: 'sc',
  class: 'nc',
  function: 'nf',
  title: 'nf',
  'title.class': 'nc',
  'title.class.inherited': 'nc',
  'title.function': 'nf',
  'title.function.invoke': 'nf',
  comment: 'c',
  doctag: 'cs',
  meta: 'cp',
  'meta.keyword': 'cp',
  'meta.string': 'cpf',
  section: 'gh',
  name: 'nt',
  tag: 'nt',
  attr: 'na',
  attribute: 'na',
  variable: 'nv',
  'variable.language': 'bp',
  'variable.constant': 'no',
  'template-variable': 'nv',
  'template-tag': 'cp',
  'selector-tag': 'nt',
  'selector-id': 'nn',
  'selector-class': 'nc',
  'selector-attr': 'na',
  'selector-pseudo': 'nd',
  addition: 'gi',
  deletion: 'gd',
  emphasis: 'ge',
  strong: 'gs',
  quote: 'c1',
  bullet: 'm',
  code: 'sb',
  link: 'nl',
  params: '',
}

function pygmentsClass(hljsClasses: string): string {
  const parts = hljsClasses.split(/\s+/)
  const scope = (parts[0] ?? '').replace(/^hljs-/, '')
  const modifiers = parts.slice(1).map((part) => part.replace(/_+$/, ''))
  for (let count = modifiers.length; count >= 0; count--) {
    const key = [scope, ...modifiers.slice(0, count)].join('.')
    if (key in SCOPES) return SCOPES[key]!
  }
  return ''
}

/** Highlighted code: one HTML string per source line, every span closed at the end of its line (as Pygments does). */
export interface HighlightedLines {
  readonly lines: string[]
  /** False when the language is unknown to the highlighter (the code is then escaped text). */
  readonly known: boolean
}

/** Tokenises `code` for `language` (a Pygments lexer name) and returns Pygments-classed HTML, line by line. */
export function highlightLines(code: string, language: string): HighlightedLines {
  const name = language.trim().toLowerCase()
  const target = ALIASES[name] ?? name
  if (PLAIN.has(name) || !loadLanguage(target)) {
    return { lines: code.split('\n').map((line) => escapeHtml(line)), known: PLAIN.has(name) }
  }
  const html = engine().highlight(code, { language: target, ignoreIllegals: true }).value
  return { lines: splitSpansByLine(html), known: true }
}

const TAG = /<span class="([^"]*)">|<\/span>|\n/g

/** Rewrites highlight.js spans to Pygments classes and closes/reopens them at each line break. */
function splitSpansByLine(html: string): string[] {
  const lines: string[] = []
  const open: string[] = []
  let line = ''
  let last = 0
  for (let match = TAG.exec(html); match !== null; match = TAG.exec(html)) {
    line += html.slice(last, match.index)
    last = TAG.lastIndex
    if (match[0] === '\n') {
      line += '</span>'.repeat(open.filter(Boolean).length)
      lines.push(line)
      line = open
        .filter(Boolean)
        .map((cls) => `<span class="${cls}">`)
        .join('')
    } else if (match[0] === '</span>') {
      if (open.pop()) line += '</span>'
    } else {
      const cls = pygmentsClass(match[1]!)
      open.push(cls)
      if (cls) line += `<span class="${cls}">`
    }
  }
  line += html.slice(last)
  lines.push(line)
  // Pygments never leaves an empty span behind.
  return lines.map((text) => text.replace(/<span class="[^"]*"><\/span>/g, '').replaceAll('&#x27;', '&#39;'))
}

/** Options of a code block, as Nikola's `code`/`code-block`/`sourcecode` and `listing` directives take them. */
export interface CodeBlockOptions {
  readonly language: string
  /** Extra classes (`:class:`). */
  readonly classes?: readonly string[]
  /** First line number when lines are numbered (`:number-lines:` / `:linenos:`), else undefined. */
  readonly firstLine?: number
  /** 1-based lines to emphasise (`:emphasize-lines:`), relative to the block. */
  readonly emphasize?: ReadonlySet<number>
  /** Pygments class of the block when Nikola leaves the language out (Markdown: `code literal-block`). */
  readonly blockClass?: string
}

/**
 * Nikola's code block HTML: `<pre class="code LANG">` with a line anchor per line, or the line-numbered table.
 * The anchor id is derived from the code (Nikola uses a random uuid4 per build, so nothing can depend on it).
 */
export function codeBlockHtml(code: string, options: CodeBlockOptions): { html: string; known: boolean } {
  const highlighted = highlightLines(code.replace(/\n+$/, ''), options.language)
  const anchor = `rest_code_${createHash('sha1').update(code).digest('hex').slice(0, 32)}`
  const emphasize = options.emphasize ?? new Set<number>()
  const mark = (line: string, index: number) => (emphasize.has(index + 1) ? `<span class="hll">${line}\n</span>` : `${line}\n`)
  const classes = [options.blockClass ?? ['code', options.language || 'text'].join(' '), ...(options.classes ?? [])].join(' ')
  if (options.firstLine === undefined) {
    const body = highlighted.lines
      .map((line, index) => {
        const id = `${anchor}-${index + 1}`
        return `<a id="${id}" name="${id}" href="#${id}"></a>${mark(line, index)}`
      })
      .join('')
    return { html: `<pre class="${escapeHtml(classes)}">${body}</pre>`, known: highlighted.known }
  }
  const first = options.firstLine
  const width = String(first + highlighted.lines.length - 1).length
  const rows = highlighted.lines
    .map((line, index) => {
      const number = first + index
      const id = `${anchor}-${number}`
      const spaced = mark(line, index).replace(/ {2,}/g, (run) => '&nbsp;'.repeat(run.length))
      return (
        `<tr><td class="linenos linenodiv"><a href="#${id}"><code data-line-number="${String(number).padStart(width)}"></code></a></td>` +
        `<td class="code"><code><a id="${id}" name="${id}"></a>${spaced}</code></td></tr>`
      )
    })
    .join('')
  return { html: `<div class="code"><table class="codetable">${rows}</table></div>`, known: highlighted.known }
}
