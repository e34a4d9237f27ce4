import { spawn } from 'node:child_process'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type TestRedis, useTestRedis } from '../support/redis.js'
import { makeSite, post, REPO_ROOT } from '../support/site.js'

let test: TestRedis
beforeEach(async () => {
  test = await useTestRedis('serve')
})
afterEach(() => test.cleanup())

describe('herald serve', () => {
  it('serves the site with its tags and shuts down cleanly on SIGTERM', async () => {
    const site = await makeSite({
      'posts/hello.rst': post({ title: 'Hello', slug: 'hello', date: '2020-01-01 10:00:00 UTC', tags: 'fedora, cloud' }),
      'posts/later.rst': post({ title: 'Later', slug: 'later', date: '2999-01-01 10:00:00 UTC', tags: 'future-secret' }),
    })
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin/herald.js'), 'serve', '--port', '0', '--site', site], {
      env: { PATH: process.env.PATH, REDIS_URL: test.url, HERALD_PREFIX: test.prefix, SMTP_URL: 'outbox:' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
    try {
      const base = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => {
          stdout += chunk.toString()
          const match = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)
          if (match) resolve(`${match[1]}/`)
        })
        void exited.then((code) => reject(new Error(`herald serve exited with ${code}: ${stderr}`)))
        setTimeout(() => reject(new Error(`herald serve did not start: ${stdout}${stderr}`)), 20_000).unref()
      })
      expect(await (await fetch(new URL('healthz', base))).json()).toEqual({ status: 'ok', redis: 'ok' })
      const page = await (await fetch(new URL('subscribe', base))).text()
      expect(page).toContain('value="cloud"')
      expect(page).toContain('value="fedora"')
      expect(page).not.toContain('future-secret')
      // No HERALD_SECRET: one was generated and kept in the site folder, with a warning.
      expect(stderr).toMatch(/HERALD_SECRET is not set/)
      child.kill('SIGTERM')
      expect(await exited).toBe(0)
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL')
    }
  })
})
