import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { PACKAGE_ROOT } from '../infra/paths.js'
import type { RstRenderer } from './load.js'
import type { RenderContext, RenderedBody } from './types.js'

/*
 * The renderer Herald uses for post bodies: reStructuredText with `rst-compiler` adjusted towards docutils and
 * extended with Nikola's roles and directives, Markdown with markdown-it (render-body.ts). Why this engine:
 * docs/decisions.md ("reST engine") and test/posts/rst-fidelity.test.ts.
 */

// Bump when the rendering (or patches/rst-compiler+*.patch) changes the HTML, so render caches are invalidated.
const ADJUSTMENTS_VERSION = 10
const require = createRequire(import.meta.url)
// The package's exports hide package.json; find it next to the resolved entry instead.
const versionOf = (name: string): string =>
  (
    JSON.parse(readFileSync(path.join(path.dirname(require.resolve(name)), '..', 'package.json'), 'utf8')) as {
      version: string
    }
  ).version
const ENGINE_VERSION = versionOf('rst-compiler')

// The patch applied to the engine on install (patches/, by patch-package): a changed patch changes the output.
const PATCH_HASH = (() => {
  try {
    const patch = readFileSync(path.join(PACKAGE_ROOT, 'patches', `rst-compiler+${ENGINE_VERSION}.patch`))
    return createHash('sha256').update(patch).digest('hex').slice(0, 12)
  } catch {
    return 'unpatched'
  }
})()

/** Identifies the rendering: engine versions, the patch applied and our adjustments (cache keys depend on it). */
export const RENDERER_ID =
  `rst-compiler@${ENGINE_VERSION}+patch.${PATCH_HASH}+markdown-it@${versionOf('markdown-it')}` +
  `+highlight.js@${versionOf('highlight.js')}+herald.${ADJUSTMENTS_VERSION}`

type RenderModule = typeof import('./render-body.js')
let renderModule: Promise<RenderModule> | undefined

/**
 * The renderer Herald uses (reST and Markdown). The engines (~80 ms to load) are imported on the first cache miss
 * only, so a rebuild where every post is cached never pays for them.
 */
export function createRstRenderer(): RstRenderer {
  return {
    id: RENDERER_ID,
    async render(body: string, context?: RenderContext): Promise<RenderedBody> {
      renderModule ??= import('./render-body.js')
      return (await renderModule).renderBody(body, context)
    },
  }
}
