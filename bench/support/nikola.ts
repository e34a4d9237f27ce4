// Nikola itself on the benchmark's posts, for bench/build.ts --nikola: same posts, same machine, same run.
import { spawnSync } from 'node:child_process'
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'

/** Nikola's settings for the benchmark site: the Herald site's URL, language and zone; Nikola's defaults otherwise. */
const CONF_PY = `# Written by Herald's bench/build.ts: a Nikola site over the benchmark's posts, Nikola's defaults otherwise.
BLOG_AUTHOR = "Bench Author"
BLOG_TITLE = "Bench"
SITE_URL = "https://bench.example.org/"
BLOG_EMAIL = "bench@example.org"
BLOG_DESCRIPTION = "Herald benchmark"
DEFAULT_LANG = "ru"
TRANSLATIONS = {DEFAULT_LANG: ""}
TIMEZONE = "Europe/Moscow"
POSTS = (("posts/*.rst", "posts", "post.tmpl"),)
PAGES = (("pages/*.rst", "pages", "page.tmpl"),)
COMPILERS = {"rest": (".rst", ".txt")}
GENERATE_RSS = True
USE_CDN = False
COMMENT_SYSTEM = ""
COMMENT_SYSTEM_ID = ""
`

/** Wall times of one round of `nikola build`: clean, nothing changed, one post added. */
export interface NikolaRound {
  readonly clean: number
  readonly noop: number
  readonly plusOne: number
}

/**
 * Runs `nikola build` three times in a fresh Nikola site holding a copy of `postsDir`: clean, again with nothing
 * changed, and after `addPost` wrote one more post into the copy's posts/ folder. Throws with Nikola's output when a
 * build fails.
 */
export function nikolaRound(nikola: string, postsDir: string, siteDir: string, addPost: (postsDir: string) => void): NikolaRound {
  rmSync(siteDir, { recursive: true, force: true })
  mkdirSync(path.join(siteDir, 'pages'), { recursive: true })
  cpSync(postsDir, path.join(siteDir, 'posts'), { recursive: true })
  writeFileSync(path.join(siteDir, 'conf.py'), CONF_PY)
  const build = (what: string) => {
    const started = performance.now()
    const result = spawnSync(nikola, ['build'], { cwd: siteDir, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
    const wallMs = performance.now() - started
    if (result.status !== 0) {
      throw new Error(
        `nikola build (${what}) failed: ${result.error?.message ?? `exit ${result.status}`}\n${(result.stderr ?? '').slice(-3000)}`,
      )
    }
    return wallMs
  }
  const clean = build('clean')
  const noop = build('no-op')
  addPost(path.join(siteDir, 'posts'))
  const plusOne = build('+1 post')
  rmSync(siteDir, { recursive: true, force: true })
  return { clean, noop, plusOne }
}
