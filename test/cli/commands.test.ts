import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { runHerald } from '../support/cli.js'
import { copyExampleSite, makeSite, post } from '../support/site.js'

let site: string

beforeEach(async () => {
  site = await copyExampleSite()
})

afterEach(async () => {
  await rm(site, { recursive: true, force: true })
})

describe('herald posts', () => {
  it('--json lists every post with the stable keys; exit 0', async () => {
    const result = await runHerald(['posts', '--site', site, '--json', '--now', '2026-11-26T00:00:00Z'], {})
    expect(result.code, result.stderr).toBe(0)
    const rows = JSON.parse(result.stdout) as Array<Record<string, unknown>>
    expect(rows).toHaveLength(8)
    for (const row of rows)
      expect(Object.keys(row)).toEqual(
        expect.arrayContaining([
          'file',
          'slug',
          'title',
          'date',
          'updated',
          'status',
          'tags',
          'category',
          'author',
          'permalink',
          'warnings',
          'errors',
        ]),
      )
    const byFile = new Map(rows.map((row) => [row.file, row]))
    expect(byFile.get('posts/000_349065e2717ee7fd.txt')).toMatchObject({ status: 'live', date: '2014-07-13T15:23:14+04:00' })
    expect(byFile.get('posts/002-scheduled.rst')).toMatchObject({ status: 'scheduled' })
    expect(byFile.get('posts/003-draft.rst')).toMatchObject({ status: 'draft' })
    expect(byFile.get('posts/006-private.rst')).toMatchObject({ status: 'private' })
  })

  it('--now after a scheduled date makes it live; a readable table without --json', async () => {
    const later = await runHerald(['posts', '--site', site, '--json', '--now', '2030-04-21T00:00:00Z'], {})
    expect(
      (JSON.parse(later.stdout) as Array<{ file: string; status: string }>).find((row) => row.file === 'posts/002-scheduled.rst')?.status,
    ).toBe('live')
    const table = await runHerald(['posts', '--site', site], {})
    expect(table.stdout).toMatch(/^STATUS\s+DATE\s+SLUG\s+TITLE\s+TAGS/)
    expect(table.stdout).toContain('8 posts:')
  })

  it('exits 3 and still lists the good posts when one is broken; 2 for a bad config or option', async () => {
    await writeFile(path.join(site, 'posts/zz-broken.rst'), post({ title: 'Broken', date: 'not a date' }))
    const broken = await runHerald(['posts', '--site', site, '--json'], {})
    expect(broken.code).toBe(3)
    const rows = JSON.parse(broken.stdout) as Array<{ file: string; status: string; errors: string[] }>
    expect(rows).toHaveLength(9)
    expect(rows.find((row) => row.file === 'posts/zz-broken.rst')).toMatchObject({
      status: 'error',
      errors: [expect.stringMatching(/^posts\/zz-broken\.rst:2: date: cannot read "not a date"/)],
    })

    await writeFile(path.join(site, 'herald.yml'), 'site:\n  url: not-a-url\n  title: X\n')
    const config = await runHerald(['posts', '--site', site], {})
    expect(config.code).toBe(2)
    expect(config.stderr).toContain('herald.yml:2: site.url: expected an absolute http(s) URL')
    expect((await runHerald(['posts', '--site', site, '--now', 'soon'], {})).code).toBe(2)
    expect((await runHerald(['posts', '--bogus'], {})).code).toBe(2)
  })

  it('herald --help lists every command as it is when loaded (its line comes from cli/help.ts)', async () => {
    const { Command } = await import('commander')
    const loaded = new Command('herald')
    const registry = { runtime: { stdout: process.stdout, stderr: process.stderr, env: {}, cwd: site, interactive: false }, exitCode: 0 }
    const modules = ['posts', 'build', 'run', 'worker', 'preview', 'status', 'editions', 'subscribers', 'bounces', 'serve', 'doctor']
    for (const name of [...modules, 'init']) {
      const module = (await import(`../../src/cli/commands/${name}.ts`)) as Record<string, (program: unknown, registry: unknown) => void>
      Object.entries(module).find(([key]) => key.startsWith('register'))![1](loaded, registry)
    }
    const commandsOf = (help: string) => help.slice(help.indexOf('Commands:'))
    const listed = await runHerald(['--help'], {})
    expect(listed.code).toBe(0)
    expect(commandsOf(listed.stdout)).toBe(commandsOf(loaded.helpInformation()))
    // An unknown command is still told the one it probably meant.
    const typo = await runHerald(['biuld'], {})
    expect(typo.code).toBe(2)
    expect(typo.stderr).toContain('(Did you mean build?)')
  })

  it('every command has --help', async () => {
    const commands = ['posts', 'build', 'run', 'worker', 'preview', 'status', 'serve', 'init', 'doctor', 'subscribers', 'subscribers add']
    for (const command of [...commands, 'subscribers reactivate', 'editions', 'editions resume', 'editions retry-failed']) {
      const result = await runHerald([...command.split(' '), '--help'], {})
      expect(result.code, command).toBe(0)
      expect(result.stdout, command).toContain('Usage: herald')
    }
  })
})

describe('herald build', () => {
  it('writes the feeds with a summary line; a second build writes nothing and leaves mtimes alone', async () => {
    const first = await runHerald(['build', '--site', site, '--now', '2026-11-26T00:00:00Z'], {})
    expect(first.code, first.stderr).toBe(0)
    expect(first.stderr).toMatch(/build: \d+ feeds written, 0 unchanged; posts: 5 live, 1 scheduled, 0 skipped/)
    const atom = path.join(site, 'public/feed.atom')
    const before = await stat(atom)
    const bytes = await readFile(atom)
    await new Promise((resolve) => setTimeout(resolve, 20))
    const second = await runHerald(['build', '--site', site, '--now', '2026-11-26T00:00:00Z'], {})
    expect(second.code).toBe(0)
    expect(second.stderr).toMatch(/build: 0 feeds written, \d+ unchanged/)
    expect((await stat(atom)).mtimeMs).toBe(before.mtimeMs)
    expect(await readFile(atom)).toEqual(bytes)
  })

  it('skips all work when nothing changed, and notices every kind of change', async () => {
    // A file written within the clock tick a build starts in is read again by the next build, whatever its mtime
    // says (see the post index tests); a person editing posts is slower than that, so each build here waits as long.
    const build = async (now = '2026-11-26T00:00:00Z') => {
      await sleep(25)
      return runHerald(['build', '--site', site, '--now', now], {})
    }
    expect((await build()).code).toBe(0)
    expect((await build()).stderr).toContain('(nothing changed since the last build)')
    // A scheduled post's date passing changes the feeds.
    const later = await build('2030-04-21T00:00:00Z')
    expect(later.stderr).not.toContain('nothing changed')
    expect(await readFile(path.join(site, 'public/feed.atom'), 'utf8')).toContain('Fedora 45 release party')
    // Back in time, it goes out again.
    expect((await build()).stderr).not.toContain('nothing changed')
    expect(await readFile(path.join(site, 'public/feed.atom'), 'utf8')).not.toContain('Fedora 45 release party')
    // An edited post.
    const welcome = path.join(site, 'posts/001-welcome.rst')
    await writeFile(welcome, (await readFile(welcome, 'utf8')).replace('Welcome to the new blog engine', 'Welcome, edited'))
    expect((await build()).stderr).toMatch(/build: [1-9]\d* feeds written/)
    expect(await readFile(path.join(site, 'public/feed.atom'), 'utf8')).toContain('Welcome, edited')
    // A listing a post shows: edited without touching the post.
    await mkdir(path.join(site, 'listings'), { recursive: true })
    await writeFile(path.join(site, 'listings/hello.py'), 'print("one")\n')
    await writeFile(welcome, `${await readFile(welcome, 'utf8')}\n.. listing:: hello.py python\n`)
    expect((await build()).stderr).toMatch(/build: [1-9]\d* feeds written/)
    expect((await build()).stderr).toContain('(nothing changed since the last build)')
    await writeFile(path.join(site, 'listings/hello.py'), 'print("two")\n')
    expect((await build()).stderr).not.toContain('nothing changed')
    expect(await readFile(path.join(site, 'public/feed.atom'), 'utf8')).toContain('two')
    // A feed file deleted or changed by hand.
    await rm(path.join(site, 'public/rss.xml'))
    expect((await build()).stderr).toMatch(/build: 1 feeds written/)
    // A config change.
    await writeFile(
      path.join(site, 'herald.yml'),
      (await readFile(path.join(site, 'herald.yml'), 'utf8')).replace('length: 10', 'length: 2'),
    )
    expect((await build()).stderr).not.toContain('nothing changed')
  })

  it('--now after its date adds the scheduled post; --out writes elsewhere', async () => {
    const out = path.join(site, 'elsewhere')
    const result = await runHerald(['build', '--site', site, '--out', out, '--now', '2030-04-21T00:00:00Z'], {})
    expect(result.code, result.stderr).toBe(0)
    expect(await readFile(path.join(out, 'feed.atom'), 'utf8')).toContain('Fedora 45 release party')
    expect(await readFile(path.join(out, 'categories/cat_events.xml'), 'utf8')).toContain('Fedora 45 release party')
  })

  it('exits 3 when a post is skipped, and still writes the feeds of the others', async () => {
    const small = await makeSite({
      'posts/good.rst': post({ title: 'Good', slug: 'good', date: '2020-01-01' }),
      'posts/bad.rst': 'no metadata\n',
    })
    try {
      const result = await runHerald(['build', '--site', small], {})
      expect(result.code).toBe(3)
      expect(result.stderr).toContain('posts/bad.rst:1: no metadata')
      expect(await readFile(path.join(small, 'public/rss.xml'), 'utf8')).toContain('<title><![CDATA[Good]]></title>')
    } finally {
      await rm(small, { recursive: true, force: true })
    }
  })
})

describe('output into a pipe that closes early', () => {
  it('herald posts | true ends quietly with exit 0 (EPIPE is not an error)', async () => {
    const { spawnSync } = await import('node:child_process')
    const { REPO_ROOT } = await import('../support/site.js')
    const shell = spawnSync(
      'bash',
      [
        '-c',
        `set -o pipefail; node --import tsx "${REPO_ROOT}/worker.ts" posts --site "${site}" --quiet | true; echo "exit=\${PIPESTATUS[0]}"`,
      ],
      { encoding: 'utf8', cwd: REPO_ROOT },
    )
    expect(shell.stdout.trim()).toBe('exit=0')
    expect(shell.stderr).not.toMatch(/EPIPE|Error/)
  })
})
