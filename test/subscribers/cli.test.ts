import { readdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { simpleParser } from 'mailparser'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { runHerald } from '../support/cli.js'
import { type TestRedis, useTestRedis } from '../support/redis.js'
import { makeSite } from '../support/site.js'

let test: TestRedis
let site: string
let env: NodeJS.ProcessEnv

beforeEach(async () => {
  test = await useTestRedis('cli')
  site = await makeSite({})
  env = { HERALD_PREFIX: test.prefix, REDIS_URL: test.url, HERALD_SECRET: 's'.repeat(48), SMTP_URL: 'outbox:' }
})
afterEach(() => test.cleanup())

const herald = (...argv: string[]) => runHerald([...argv, '--site', site], env, site)

describe('herald subscribers', () => {
  it('adds, lists, counts and removes', async () => {
    expect((await herald('subscribers', 'add', 'Ann@Example.org', '--tags', 'fedora,cloud', '--confirmed')).stdout).toMatch(
      /Ann@example.org: added \(active\)/,
    )
    const pending = await herald('subscribers', 'add', 'bob@example.org')
    expect(pending.code).toBe(0)
    expect(pending.stdout).toMatch(/bob@example.org: added \(pending\); confirmation email sent/)

    const list = await herald('subscribers', 'list', '--json')
    expect(list.code).toBe(0)
    const rows = JSON.parse(list.stdout) as Array<Record<string, unknown>>
    expect(rows).toHaveLength(2)
    expect(rows).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          email: 'Ann@example.org',
          status: 'active',
          tags: ['fedora', 'cloud'],
          created: expect.any(String),
          consent: expect.objectContaining({ source: 'cli' }),
        }),
        expect.objectContaining({ email: 'bob@example.org', status: 'pending', tags: [] }),
      ]),
    )
    expect(JSON.parse((await herald('subscribers', 'list', '--json', '--status', 'pending')).stdout)).toHaveLength(1)
    expect(JSON.parse((await herald('subscribers', 'list', '--json', '--status', 'bounced')).stdout)).toEqual([])
    expect((await herald('subscribers', 'list')).stdout).toMatch(/active\tAnn@example.org\tfedora,cloud\t/)

    expect(JSON.parse((await herald('subscribers', 'count', '--json')).stdout)).toEqual({
      pending: 1,
      active: 1,
      unsubscribed: 0,
      bounced: 0,
      total: 2,
    })
    expect((await herald('subscribers', 'count')).stdout).toMatch(/active\s+1\n/)

    expect((await herald('subscribers', 'remove', 'ANN@example.org')).stdout).toMatch(/removed/)
    const missing = await herald('subscribers', 'remove', 'ann@example.org')
    expect(missing.code).toBe(1)
    expect(missing.stderr).toMatch(/no subscriber with the address/)
  })

  it('refuses to add a pending subscriber when no mail transport is chosen, storing nothing', async () => {
    delete env.SMTP_URL
    const refused = await herald('subscribers', 'add', 'bob@example.org')
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain('no mail transport is set: set SMTP_URL')
    expect(JSON.parse((await herald('subscribers', 'count', '--json')).stdout)).toMatchObject({ total: 0 })
    // Vouching for consent needs no email: that still works.
    expect((await herald('subscribers', 'add', 'ann@example.org', '--confirmed')).code).toBe(0)
  })

  it('writes the pending confirmation into the outbox folder when the outbox is chosen (SMTP_URL=outbox:)', async () => {
    await herald('subscribers', 'add', 'bob@example.org')
    const outbox = path.join(site, 'outbox')
    const files = (await readdir(outbox)).filter((name) => name.endsWith('.eml'))
    expect(files).toHaveLength(1)
    const mail = await simpleParser(await readFile(path.join(outbox, files[0]!)))
    expect(mail.to).toMatchObject({ text: 'bob@example.org' })
    expect(mail.subject).toBe('Confirm your subscription to Test Blog')
    expect(mail.text).toMatch(/https:\/\/blog\.example\.org\/confirm\?token=[0-9a-f]{32}\./)
  })

  it('reports usage mistakes with exit status 2', async () => {
    expect((await herald('subscribers', 'add', 'not-an-address')).code).toBe(2)
    expect((await herald('subscribers', 'add', 'a@example.org\r\nBcc: b@example.org')).code).toBe(2)
    const badStatus = await herald('subscribers', 'list', '--status', 'sleeping')
    expect(badStatus.code).toBe(2)
    expect(badStatus.stderr).toMatch(/--status: expected one of pending, active, unsubscribed, bounced/)
  })

  it('refuses a short HERALD_SECRET with directions', async () => {
    env.HERALD_SECRET = 'short'
    const result = await herald('subscribers', 'add', 'bob@example.org')
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/openssl rand -base64 48/)
  })

  it('imports with line-numbered errors, idempotently, and exports what restores it', async () => {
    const file = path.join(site, 'list.csv')
    await writeFile(file, 'email,tags,status\nann@example.org,fedora;cloud,active\nbroken,,active\ncarol@example.org,,unsubscribed\n')
    const first = await herald('subscribers', 'import', file)
    expect(first.code).toBe(1)
    expect(first.stderr).toContain(`${file}:3: email: expected an address`)
    expect(first.stdout).toMatch(/2 added, 0 updated, 0 unchanged, 1 line with errors/)
    const second = await herald('subscribers', 'import', file)
    expect(second.stdout).toMatch(/0 added, 0 updated, 2 unchanged, 1 line with errors/)

    const stdoutExport = await herald('subscribers', 'export')
    expect(stdoutExport.code).toBe(0)
    expect(stdoutExport.stdout.split('\n')[0]).toMatch(/^email,status,tags,cadence,created_at/)
    expect(stdoutExport.stdout).toContain('ann@example.org,active,fedora;cloud,instant,')

    const exported = path.join(site, 'backup.csv')
    expect((await herald('subscribers', 'export', exported)).code).toBe(0)
    expect(await readFile(exported, 'utf8')).toBe(stdoutExport.stdout)

    for (const email of ['ann@example.org', 'carol@example.org']) await herald('subscribers', 'remove', email)
    expect((await herald('subscribers', 'import', exported)).stdout).toMatch(/2 added/)
    expect((await herald('subscribers', 'export')).stdout).toBe(stdoutExport.stdout)
  })
})

describe('herald subscribers add with email.dkim', () => {
  it('sends a confirmation email whose DKIM signature verifies (the same transport as herald serve)', async () => {
    const { generateKeyPairSync } = await import('node:crypto')
    const { dkimVerify } = await import('mailauth')
    const { startSmtpSink } = await import('../support/smtp.js')
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
    await writeFile(path.join(site, 'dkim.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }))
    await writeFile(
      path.join(site, 'herald.yml'),
      `${await readFile(path.join(site, 'herald.yml'), 'utf8')}\n` +
        'email:\n  dkim:\n    domain: blog.example.org\n    selector: herald\n    private_key_file: dkim.pem\n',
    )
    const sink = await startSmtpSink()
    try {
      env.SMTP_URL = sink.url
      const added = await herald('subscribers', 'add', 'bob@example.org')
      expect(added.code, added.stderr).toBe(0)
      const [message] = await sink.waitFor(1)
      const dnsRecord = `v=DKIM1; k=rsa; p=${publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`
      const result = await dkimVerify(message!.raw, {
        resolver: async (name: string, type: string) => {
          if (name === 'herald._domainkey.blog.example.org' && type === 'TXT') return [[dnsRecord]]
          throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' })
        },
      })
      expect(result.results[0]?.status.result).toBe('pass')
      expect(message!.parsed.subject).toBe('Confirm your subscription to Test Blog')
    } finally {
      await sink.close()
    }
  })
})
