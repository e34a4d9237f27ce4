import { mkdir, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it, vi } from 'vitest'
import { silentLogger } from '../../src/log.js'
import { resolveSecret } from '../../src/subscribers/secret.js'

const stateDir = async () => path.join(await mkdtemp(path.join(tmpdir(), 'herald-secret-')), '.herald')

describe('resolveSecret', () => {
  it('uses HERALD_SECRET when it is long enough', async () => {
    expect(await resolveSecret({ envSecret: 'k'.repeat(32), stateDir: await stateDir(), logger: silentLogger() })).toBe('k'.repeat(32))
  })

  it('refuses a short HERALD_SECRET and says how to make one', async () => {
    await expect(resolveSecret({ envSecret: 'k'.repeat(31), stateDir: await stateDir(), logger: silentLogger() })).rejects.toMatchObject({
      code: 'SECRET_INVALID',
      message: expect.stringContaining('openssl rand -base64 48'),
    })
  })

  it('generates one secret file (mode 0600) with a warning, then reuses it', async () => {
    const dir = await stateDir()
    const logger = silentLogger()
    const warn = vi.spyOn(logger, 'warn')
    const first = await resolveSecret({ envSecret: null, stateDir: dir, logger })
    expect(Buffer.byteLength(first)).toBeGreaterThanOrEqual(32)
    expect(warn).toHaveBeenCalledTimes(1)
    expect(String(warn.mock.calls[0]![1])).toMatch(/HERALD_SECRET is not set/)
    expect((await stat(path.join(dir, 'secret'))).mode & 0o777).toBe(0o600)
    expect((await readFile(path.join(dir, 'secret'), 'utf8')).trim()).toBe(first)
    expect(await resolveSecret({ envSecret: null, stateDir: dir, logger })).toBe(first)
    expect(warn).toHaveBeenCalledTimes(1)
  })

  it('gives concurrent first runs the same secret', async () => {
    const dir = await stateDir()
    const secrets = await Promise.all(
      Array.from({ length: 5 }, () => resolveSecret({ envSecret: null, stateDir: dir, logger: silentLogger() })),
    )
    expect(new Set(secrets).size).toBe(1)
  })

  it('refuses a short secret file', async () => {
    const dir = await stateDir()
    await mkdir(dir, { recursive: true })
    await writeFile(path.join(dir, 'secret'), 'short\n')
    await expect(resolveSecret({ envSecret: null, stateDir: dir, logger: silentLogger() })).rejects.toMatchObject({
      code: 'SECRET_INVALID',
    })
  })
})
