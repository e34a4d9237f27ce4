import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse, stringify } from 'yaml'
import { EXAMPLE_POST, SCAFFOLD_DEFAULTS } from '../../src/app/scaffold.js'
import { loadConfig } from '../../src/config-load.js'
import { parseConfig } from '../../src/config-parse.js'
import { DigestComposer } from '../../src/digest/compose.js'
import { snapshotPost } from '../../src/editions/snapshot.js'
import { BUILTIN_TEMPLATES_DIR, loadTemplate } from '../../src/mail/render.js'
import { loadPosts } from '../../src/posts/load.js'
import { createRstRenderer } from '../../src/posts/rst.js'
import { TokenSigner } from '../../src/subscribers/tokens.js'
import { runHerald } from '../support/cli.js'

const emptyDir = () => mkdtemp(path.join(tmpdir(), 'herald-init-'))

/** A new site made by `herald init`, in a fresh temporary folder. */
async function initSite(...extra: string[]): Promise<string> {
  const dir = path.join(await emptyDir(), 'blog')
  const result = await runHerald(['init', dir, ...extra], {})
  expect(result.code, result.stderr).toBe(0)
  return dir
}

/**
 * Every key herald.yml accepts, as dotted paths of the leaves, discovered from the real schema: an unknown key
 * `__probe__` placed in each object makes the config loader list the keys allowed there.
 */
function schemaKeys(): string[] {
  const base = { site: { url: 'https://blog.example.org/', title: 'T' } }
  const allowedAt = (keyPath: string[]): string[] | null => {
    const document = structuredClone(base) as Record<string, unknown>
    let cursor = document
    for (const key of keyPath) {
      const next = cursor[key]
      cursor = cursor[key] = next && typeof next === 'object' ? (next as Record<string, unknown>) : {}
    }
    cursor.__probe__ = 1
    try {
      parseConfig(stringify(document), '/tmp', {})
    } catch (error) {
      const match = /__probe__: unknown key \(keys allowed here: ([^)]*)\)/.exec((error as Error).message)
      if (match) return match[1]!.split(', ')
    }
    return null
  }
  const leaves: string[] = []
  const walk = (keyPath: string[]) => {
    for (const key of allowedAt(keyPath) ?? []) {
      const child = [...keyPath, key]
      if (allowedAt(child)) walk(child)
      else leaves.push(child.join('.'))
    }
  }
  walk([])
  return leaves
}

/** herald.yml with its example lines (`# key: value`, kept for keys without a fixed default) uncommented. */
const uncommentExamples = (text: string) => text.replace(/^(\s*)# (\s*[a-z_]+:.*)$/gm, '$1$2')

const hasPath = (object: unknown, dotted: string) =>
  dotted
    .split('.')
    .reduce<{ ok: boolean; at: unknown }>(
      (state, key) =>
        state.ok && state.at && typeof state.at === 'object' && key in state.at
          ? { ok: true, at: (state.at as Record<string, unknown>)[key] }
          : { ok: false, at: undefined },
      { ok: true, at: object },
    ).ok

describe('herald init', () => {
  it('makes a site that loads, lists its example post as live, and builds its feeds', async () => {
    const dir = await initSite()
    const config = await loadConfig(dir, {})
    expect(config.site.url).toBe(SCAFFOLD_DEFAULTS.url)

    const posts = await runHerald(['posts', '--site', dir, '--json'], {})
    expect(posts.code, posts.stderr).toBe(0)
    const listing = JSON.parse(posts.stdout) as Array<{ file: string; status: string; slug: string; tags: string[]; warnings: string[] }>
    expect(listing).toHaveLength(1)
    expect(listing[0]).toMatchObject({ file: EXAMPLE_POST, status: 'live', slug: 'hello-herald', warnings: [] })

    const build = await runHerald(['build', '--site', dir], {})
    expect(build.code, build.stderr).toBe(0)
    expect(await readdir(path.join(dir, 'public'))).toEqual(expect.arrayContaining(['feed.atom', 'rss.xml', 'feed.json']))
  })

  it('writes the example post in Nikola format with a teaser, and it fits in a digest', async () => {
    const dir = await initSite()
    const source = await readFile(path.join(dir, EXAMPLE_POST), 'utf8')
    for (const field of ['title', 'slug', 'date', 'tags']) expect(source).toMatch(new RegExp(`^\\.\\. ${field}: \\S`, 'm'))
    expect(source).toMatch(/^\.\. TEASER_END$/m)

    const config = await loadConfig(dir, {})
    const collection = await loadPosts({ config, renderer: createRstRenderer() })
    const post = collection.posts[0]!
    expect(post.teaserHtml).toBeTruthy()
    const composer = new DigestComposer({
      config,
      template: await loadTemplate('digest', { siteDir: dir }),
      tokens: new TokenSigner({ secret: 'x'.repeat(32) }),
    })
    const digest = await composer.compile([snapshotPost(post)])
    expect(digest.subject).toBe('Hello from Herald')
  })

  it('lists every herald.yml key, each set to its default or shown as a working example', async () => {
    const dir = await initSite()
    const text = await readFile(path.join(dir, 'herald.yml'), 'utf8')
    const keys = schemaKeys()
    expect(keys).toEqual(expect.arrayContaining(['site.url', 'feeds.paths.category', 'email.dkim.selector', 'schedule']))

    const withExamples = uncommentExamples(text)
    expect(withExamples).not.toBe(text)
    const document = parse(withExamples) as unknown
    expect(keys.filter((key) => !hasPath(document, key))).toEqual([])
    // The examples are valid settings.
    expect(() => parseConfig(withExamples, dir, {})).not.toThrow()
  })

  it('changes nothing but site.url, site.title and site.pages (a new site has no Nikola): every other value is the default', async () => {
    const dir = await initSite('--url', 'https://news.example.net/', '--title', 'Notes & "quotes" $&')
    const minimal = stringify({ site: { url: 'https://news.example.net/', title: 'Notes & "quotes" $&', pages: true } })
    expect(await loadConfig(dir, {})).toEqual(parseConfig(minimal, dir, {}))
  })

  it('copies the email templates for editing, and the site uses its copies', async () => {
    const dir = await initSite()
    for (const name of ['digest.mjml', 'confirm.mjml']) {
      expect(await readFile(path.join(dir, 'templates', name), 'utf8')).toBe(await readFile(path.join(BUILTIN_TEMPLATES_DIR, name), 'utf8'))
    }
    expect((await loadTemplate('confirm', { siteDir: dir })).file).toBe(path.join(dir, 'templates', 'confirm.mjml'))
    expect(await readFile(path.join(dir, '.gitignore'), 'utf8')).toMatch(/^\.herald\/$/m)
  })

  it('refuses to overwrite herald.yml (exit 2, nothing changed) unless --force', async () => {
    const dir = await initSite()
    const file = path.join(dir, 'herald.yml')
    await writeFile(file, 'site:\n  url: https://mine.example/\n  title: Mine\n')
    const again = await runHerald(['init', dir], {})
    expect(again.code).toBe(2)
    expect(again.stderr).toMatch(/herald\.yml: already exists.*--force/)
    expect(await readFile(file, 'utf8')).toContain('Mine')

    await writeFile(path.join(dir, 'templates/digest.mjml'), '<mjml>my own</mjml>')
    const forced = await runHerald(['init', dir, '--force'], {})
    expect(forced.code, forced.stderr).toBe(0)
    expect(await readFile(file, 'utf8')).toContain(SCAFFOLD_DEFAULTS.title)
    expect(await readFile(path.join(dir, 'templates/digest.mjml'), 'utf8')).toBe('<mjml>my own</mjml>')
    expect(forced.stdout).toMatch(/replaced\s+herald\.yml/)
    expect(forced.stdout).toMatch(/kept\s+templates\/digest\.mjml/)
  })

  it('adds no example post to a posts folder that has posts (an existing Nikola blog)', async () => {
    const dir = await emptyDir()
    await mkdir(path.join(dir, 'posts'))
    await writeFile(path.join(dir, 'posts/old.rst'), '.. title: Old\n.. slug: old\n.. date: 2014-07-13 15:23:14\n\nBody.\n')
    const result = await runHerald(['init'], {}, dir)
    expect(result.code, result.stderr).toBe(0)
    expect(await readdir(path.join(dir, 'posts'))).toEqual(['old.rst'])
    const posts = await runHerald(['posts', '--json'], {}, dir)
    expect(posts.code).toBe(0)
    expect((JSON.parse(posts.stdout) as Array<{ slug: string }>).map((post) => post.slug)).toEqual(['old'])
  })

  it('rejects a bad --url before writing anything (exit 2, naming the option)', async () => {
    const dir = path.join(await emptyDir(), 'blog')
    const result = await runHerald(['init', dir, '--url', 'blog.example.org'], {})
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/--url: expected an absolute http\(s\) URL/)
    await expect(readdir(dir)).rejects.toThrow(/ENOENT/)
  })

  it('prints what it made and the next steps', async () => {
    const parent = await emptyDir()
    const result = await runHerald(['init', 'blog'], {}, parent)
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/created\s+herald\.yml/)
    expect(result.stdout).toMatch(/created\s+posts\/hello-herald\.rst/)
    expect(result.stdout).toContain('herald posts --site blog')
    expect(result.stdout).toContain('herald run --site blog')
    expect(result.stdout).toContain('docs/deployment.md')
    // Which mode the site is in: Herald writes the post pages (no Nikola), and how to change it.
    expect(result.stdout).toMatch(/Post pages: Herald writes them \(site\.pages: true\)/)
    expect(result.stdout).toContain('set site.pages: false')
    expect(result.stdout).toMatch(/created\s+templates\/welcome\.mjml/)
  })
})
