import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseConfig } from '../../src/config-parse.js'
import { openRedis } from '../../src/infra/redis.js'
import { silentLogger } from '../../src/log.js'
import { runHerald } from '../support/cli.js'
import { siteConfig } from '../support/site.js'

const NOTHING_THERE = 'redis://127.0.0.1:1'

describe('finding a Redis', () => {
  it('starts a private redis-server when REDIS_URL is unset and nothing answers, and keeps its data between runs', async () => {
    const site = await mkdtemp(path.join(tmpdir(), 'herald-redis-'))
    try {
      const config = parseConfig(siteConfig(), site, {})
      const first = await openRedis(config, silentLogger(), { defaultUrl: NOTHING_THERE })
      expect(first.url).toMatch(/^unix:.*redis\.sock$/)
      await first.redis.set('{herald}:probe', 'kept')
      await first.close()

      const second = await openRedis(config, silentLogger(), { defaultUrl: NOTHING_THERE })
      expect(await second.redis.get('{herald}:probe')).toBe('kept')
      await second.close()

      // The subscriber list lives there: the folder is 0700 and every file in it 0600.
      const { readdir, stat } = await import('node:fs/promises')
      const dir = path.join(site, '.herald', 'redis')
      expect((await stat(dir)).mode & 0o777).toBe(0o700)
      const files = await readdir(dir)
      expect(files).toContain('redis.log')
      for (const file of files) expect((await stat(path.join(dir, file))).mode & 0o077, file).toBe(0)
    } finally {
      await rm(site, { recursive: true, force: true })
    }
  })

  it('exits 2 with directions when REDIS_URL is set but does not answer', async () => {
    const site = await mkdtemp(path.join(tmpdir(), 'herald-redis-'))
    try {
      const { writeFile } = await import('node:fs/promises')
      await writeFile(path.join(site, 'herald.yml'), siteConfig())
      const result = await runHerald(['status', '--site', site], { REDIS_URL: NOTHING_THERE, HERALD_SECRET: 'x'.repeat(40) })
      expect(result.code).toBe(2)
      expect(result.stderr).toContain('REDIS_URL: no Redis answers at redis://127.0.0.1:1')
      expect(result.stderr).toContain('docker compose up -d redis')
    } finally {
      await rm(site, { recursive: true, force: true })
    }
  })
})
