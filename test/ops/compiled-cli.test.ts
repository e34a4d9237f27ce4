import { execFile } from 'node:child_process'
import { cp, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { simpleParser } from 'mailparser'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { runHerald } from '../support/cli.js'
import { type TestRedis, useTestRedis } from '../support/redis.js'
import { copyExampleSite, FIXTURES, post, REPO_ROOT } from '../support/site.js'

// What ships is dist/: tsc's output with its entry points bundled by esbuild (scripts/bundle.mjs), run by bin/herald.js.
// `npm test` builds it first. These tests run that command as users do, against what the sources do.
const run = promisify(execFile)
const DIST = path.join(REPO_ROOT, 'dist')

let test: TestRedis
beforeEach(async () => {
  test = await useTestRedis('compiled-cli')
})
afterEach(() => test.cleanup())

const compiled = (args: string[]) =>
  run(process.execPath, [path.join(REPO_ROOT, 'bin/herald.js'), ...args], {
    env: { PATH: process.env.PATH, NO_COLOR: '1', REDIS_URL: test.url, HERALD_PREFIX: test.prefix, SMTP_URL: 'outbox:' },
    cwd: REPO_ROOT,
  })

async function feedFiles(site: string): Promise<Map<string, string>> {
  const files = new Map<string, string>()
  const output = path.join(site, 'public')
  for (const entry of await readdir(output, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !/\.(xml|json)$/.test(entry.name)) continue
    const file = path.join(entry.parentPath, entry.name)
    files.set(path.relative(output, file), await readFile(file, 'utf8'))
  }
  return files
}

describe('the compiled command (dist/, bundled)', () => {
  it('is bundled: the entry points import shared chunks, and the Lua scripts are beside the compiled modules', async () => {
    const entry = await readFile(path.join(DIST, 'worker.js'), 'utf8')
    expect(entry).toMatch(/from "\.\/chunks\/[\w-]+\.js"/)
    for (const thread of ['src/feeds/render-thread.js', 'src/posts/render-worker.js']) {
      expect(await readFile(path.join(DIST, thread), 'utf8')).toMatch(/"\.\.\/\.\.\/chunks\/[\w-]+\.js"/)
    }
    expect((await readdir(path.join(DIST, 'src/editions/lua'))).length).toBeGreaterThan(0)
  })

  it('builds the example site byte for byte as the sources do, in its threads, and again after a new post', async () => {
    const [bundled, sources] = await Promise.all([copyExampleSite(), copyExampleSite()])
    const first = await compiled(['build', '--site', bundled])
    // A thread that failed to start falls back to the main thread with a warning: the bundle must not need that.
    expect(first.stderr).not.toMatch(/thread|error/i)
    const reference = await runHerald(['build', '--site', sources], { NO_COLOR: '1' })
    expect(reference.code, reference.stderr).toBe(0)
    const [ours, theirs] = await Promise.all([feedFiles(bundled), feedFiles(sources)])
    expect(ours.size).toBeGreaterThan(10)
    expect([...ours.keys()].sort()).toEqual([...theirs.keys()].sort())
    for (const [file, text] of ours) expect(text, file).toBe(theirs.get(file))

    // With a post index and a render cache: only the new post is read and rendered.
    const added = post(
      { title: 'Сборка из dist', slug: 'from-dist', date: '2020-06-01 10:00:00 UTC', tags: 'fedora' },
      'A *new* post with a `link <https://example.org/>`_.\n\n.. code:: python\n\n   print("hi")\n',
    )
    for (const site of [bundled, sources]) await writeFile(path.join(site, 'posts', '900-new.rst'), added)
    const second = await compiled(['build', '--site', bundled])
    expect(second.stderr).not.toMatch(/thread|error/i)
    expect((await runHerald(['build', '--site', sources], { NO_COLOR: '1' })).code).toBe(0)
    const [oursAgain, theirsAgain] = await Promise.all([feedFiles(bundled), feedFiles(sources)])
    expect(oursAgain.get('rss.xml')).toContain('Сборка из dist')
    expect(oursAgain.get('rss.xml')).toContain('print')
    for (const [file, text] of oursAgain) expect(text, file).toBe(theirsAgain.get(file))
  })

  it('builds every blog of the real-post corpus byte for byte as the sources do (the bundle on real inputs)', async () => {
    const corpus = path.join(FIXTURES, 'nikola-corpus')
    const blogs = (await readdir(corpus, { withFileTypes: true })).filter((entry) => entry.isDirectory()).map((entry) => entry.name)
    expect(blogs.length).toBeGreaterThan(5)
    const now = ['--now', '2038-01-01T00:00:00Z']
    for (const blog of blogs) {
      const [bundled, sources] = await Promise.all(
        [0, 1].map(async () => {
          const dir = await mkdtemp(path.join(tmpdir(), `herald-corpus-${blog}-`))
          await cp(path.join(corpus, blog), dir, { recursive: true })
          return dir
        }),
      )
      const ours = await compiled(['build', '--site', bundled!, ...now])
      expect(ours.stderr, blog).not.toMatch(/thread|unexpected/i)
      const reference = await runHerald(['build', '--site', sources!, ...now], { NO_COLOR: '1' })
      expect(reference.code, `${blog}: ${reference.stderr}`).toBe(0)
      const [a, b] = await Promise.all([feedFiles(bundled!), feedFiles(sources!)])
      expect([...a.keys()].sort(), blog).toEqual([...b.keys()].sort())
      for (const [file, text] of a) expect(text, `${blog}/${file}`).toBe(b.get(file))
    }
  }, 180_000)

  it('loads only what the command needs: neither help nor a build loads MJML, BullMQ, Fastify or the Redis client', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'herald-loaded-'))
    const list = path.join(dir, 'loaded.txt')
    const hook = path.join(dir, 'hook.mjs')
    // Every module Node resolves (ES imports and the require() calls made through them), one URL per line.
    await writeFile(
      hook,
      [
        "import { register } from 'node:module'",
        'register(`data:text/javascript,${encodeURIComponent(`',
        "import { appendFileSync } from 'node:fs'",
        'export async function resolve(specifier, context, next) {',
        '  const found = await next(specifier, context)',
        `  appendFileSync(${JSON.stringify(list)}, found.url + String.fromCharCode(10))`,
        '  return found',
        '}',
        '`)}`)',
      ].join('\n'),
    )
    const site = await copyExampleSite()
    const heavy = /\/node_modules\/(mjml[^/]*|bullmq|fastify|ioredis|nodemailer\/lib\/mailer)\//
    for (const args of [['--help'], ['build', '--site', site]]) {
      await writeFile(list, '')
      await run(process.execPath, ['--import', pathToFileURL(hook).href, path.join(REPO_ROOT, 'bin/herald.js'), ...args], {
        cwd: REPO_ROOT,
      })
      const loaded = (await readFile(list, 'utf8')).split('\n').filter(Boolean)
      expect(loaded.length, args.join(' ')).toBeGreaterThan(3)
      expect(
        loaded.filter((url) => heavy.test(url)),
        args.join(' '),
      ).toEqual([])
    }
  })

  it('sends a digest end to end: import, publish cycle, MJML email in the outbox', async () => {
    const site = await copyExampleSite()
    await compiled(['subscribers', 'import', path.join(site, 'subscribers.csv'), '--site', site, '--quiet'])
    const cycle = await compiled(['run', '--site', site, '--announce-latest', '1'])
    expect(cycle.stderr).not.toMatch(/error/i)
    const outbox = path.join(site, 'outbox')
    const emails = (await readdir(outbox)).filter((name) => name.endsWith('.eml'))
    expect(emails.length).toBeGreaterThan(0)
    const raw = await readFile(path.join(outbox, emails[0]!))
    expect(raw.toString('latin1')).toMatch(/^List-Unsubscribe: <http:\/\/localhost:8080\/unsubscribe\?token=/m)
    const message = await simpleParser(raw)
    expect(message.subject).toBeTruthy()
    expect(message.html || '').toMatch(/<table/)
    expect(message.text).toBeTruthy()
  })
})
