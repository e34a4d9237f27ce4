import type { RstDirective, RstGeneratorState, RstNode, RstSubstitutionDef, SimpleNameResolver } from 'rst-compiler'
import { escapeHtml } from '../html.js'
import type { PostProblem } from './types.js'

/** What the generators of one render share: the source, its substitutions, the files it may read, and the warnings. */
export interface RenderSession {
  readonly lines: readonly string[]
  readonly root: RstNode
  /** The parse's name resolver (footnote references to definitions). */
  readonly resolver: SimpleNameResolver | null
  /** Substitution definitions by name as written, and lower-cased (docutils falls back to a case-insensitive match). */
  readonly substitutions: ReadonlyMap<string, RstSubstitutionDef>
  /** Site files read before rendering (`listings/…`, includes): site-relative path → text, or null when unreadable. */
  readonly files: Readonly<Record<string, string | null>>
  /** Targets of substitutions used as link text (`` `|name| <url>`__ ``), by the index in their rewritten name. */
  readonly substitutionLinks: readonly string[]
  readonly warnings: PostProblem[]
  /** The generator state of the current render, set once generation starts. */
  state: RstGeneratorState | null
  /** Records a warning for `node` and writes the visible marker in its place. */
  problem(node: RstNode, message: string, shown?: string): void
  /** Records a warning for `node` (its output is still written by the caller). */
  warn(node: RstNode, message: string): void
  /** A code block in Nikola's markup (rst-docutils.ts supplies it, so directives here need not import it). */
  codeBlock(node: RstDirective, code: string, language: string): string
}

/** Line (1-based, in the rendered source) of a node. */
export const lineOf = (node: RstNode): number => node.source.startLineIdx + 1

/**
 * The visible marker that replaces one construct that could not be rendered: the text the author wrote (or a
 * short label), marked `problematic` as docutils marks it, with the reason as a tooltip.
 */
export function problemMarker(message: string, shown: string, block: boolean): string {
  const inner = `<span class="problematic" title="${escapeHtml(message)}">${escapeHtml(shown)}</span>`
  return block ? `<p class="system-message">⚠ ${inner}</p>` : inner
}
