import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { postFoldersChanged } from '../../src/app/build-state.js'
import { loadConfig } from '../../src/config-load.js'
import { runHerald } from '../support/cli.js'
import { copyExampleSite } from '../support/site.js'

let site: string

beforeEach(async () => {
  site = await copyExampleSite()
})

afterEach(async () => {
  await rm(site, { recursive: true, force: true })
})

const build = async () => {
  // Past the racy window of the post index (see test/cli/commands.test.ts).
  await sleep(25)
  const result = await runHerald(['build', '--site', site, '--now', '2026-11-26T00:00:00Z'], {})
  expect(result.code).toBe(0)
  return result
}

describe('postFoldersChanged (the hint that starts the feed thread before the full check)', () => {
  it('is true before any build, false after one, true once a post is added or removed, and never decides alone', async () => {
    const config = await loadConfig(site, {})
    expect(await postFoldersChanged(config)).toBe(true)
    await build()
    const state = JSON.parse(await readFile(path.join(site, '.herald/cache/build-state.json'), 'utf8')) as { folders: unknown }
    expect(state.folders).toEqual([['posts', expect.any(Number)]])
    expect(await postFoldersChanged(config)).toBe(false)

    // An edit inside a post keeps the folder's mtime: the hint says nothing, the full check still sees the edit.
    const welcome = path.join(site, 'posts/001-welcome.rst')
    await writeFile(welcome, (await readFile(welcome, 'utf8')).replace('Welcome to the new blog engine', 'Welcome, edited'))
    expect(await postFoldersChanged(config)).toBe(false)
    expect((await build()).stderr).toMatch(/build: [1-9]\d* feeds written/)
    expect(await readFile(path.join(site, 'public/feed.atom'), 'utf8')).toContain('Welcome, edited')

    // A post added in a new sub-folder.
    await mkdir(path.join(site, 'posts/2026'), { recursive: true })
    await writeFile(
      path.join(site, 'posts/2026/added.rst'),
      '.. title: Added later\n.. slug: added-later\n.. date: 2026-11-20 10:00:00\n\nA new post.\n',
    )
    expect(await postFoldersChanged(config)).toBe(true)
    expect((await build()).stderr).toMatch(/build: [1-9]\d* feeds written/)
    expect(await readFile(path.join(site, 'public/feed.atom'), 'utf8')).toContain('Added later')
    expect(await postFoldersChanged(config)).toBe(false)
    expect((await build()).stderr).toContain('(nothing changed since the last build)')

    // And removed again.
    await rm(path.join(site, 'posts/2026/added.rst'))
    expect(await postFoldersChanged(config)).toBe(true)
    expect((await build()).stderr).toMatch(/build: [1-9]\d* feeds written/)
    expect(await readFile(path.join(site, 'public/feed.atom'), 'utf8')).not.toContain('Added later')

    // A sidecar added beside a post that had none (a name the last listing did not have): the post takes its title.
    expect((await build()).stderr).toContain('(nothing changed since the last build)')
    await writeFile(path.join(site, 'posts/001-welcome.meta'), '.. title: Welcome from a sidecar\n')
    expect((await build()).stderr).toMatch(/build: [1-9]\d* feeds written/)
    expect(await readFile(path.join(site, 'public/feed.atom'), 'utf8')).toContain('Welcome from a sidecar')
  })
})
