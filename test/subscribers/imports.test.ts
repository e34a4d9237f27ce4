import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { runHerald } from '../support/cli.js'
import { type TestRedis, useTestRedis } from '../support/redis.js'
import { FIXTURES, makeSite, post } from '../support/site.js'

let test: TestRedis
let site: string
let env: NodeJS.ProcessEnv

beforeEach(async () => {
  test = await useTestRedis('imp')
  // A blog with posts tagged "VIP" and "Editors": labels of those names become tag filters, others do not.
  site = await makeSite({
    'posts/a.rst': post({ title: 'A', slug: 'a', date: '2024-01-01 10:00', tags: 'vip, editors' }),
  })
  env = { HERALD_PREFIX: test.prefix, REDIS_URL: test.url, HERALD_SECRET: 's'.repeat(48) }
})
afterEach(() => test.cleanup())

const fixture = (name: string) => path.join(FIXTURES, 'imports', name)
const herald = (...argv: string[]) => runHerald([...argv, '--site', site], env, site)

async function listed(): Promise<Map<string, Record<string, unknown>>> {
  const rows = JSON.parse((await herald('subscribers', 'list', '--json')).stdout) as Array<Record<string, unknown>>
  return new Map(rows.map((row) => [String(row.email).toLowerCase(), row]))
}

describe('herald subscribers import --from', () => {
  it('mailchimp: "Email Address", statuses by file, consent at CONFIRM_TIME (UTC), TAGS as tags when they are blog tags', async () => {
    for (const file of ['mailchimp.csv', 'mailchimp-unsubscribed.csv', 'mailchimp-cleaned.csv']) {
      const result = await herald('subscribers', 'import', '--from', 'mailchimp', fixture(file))
      expect(result.code, result.stderr).toBe(0)
    }
    const rows = await listed()
    expect(rows.get('ada.lovelace@example.com')).toMatchObject({
      status: 'active',
      tags: ['vip'],
      created: '2023-03-14T09:12:31.000Z',
      consent: { source: 'import', at: '2023-03-14T09:14:02.000Z', ip: '203.0.113.10' },
    })
    // Imported by an admin: no opt-in time, consent at the confirmation time.
    expect(rows.get('grace.hopper@example.com')).toMatchObject({ status: 'active', consent: { at: '2022-01-05T16:20:00.000Z' } })
    expect(rows.get('mary.jackson@example.com')).toMatchObject({ tags: ['editors'] })
    expect(rows.get('alan.turing@example.com')).toMatchObject({ status: 'unsubscribed', unsubscribed: '2024-09-17T19:45:02.000Z' })
    expect(rows.get('old.address@example.com')).toMatchObject({ status: 'bounced', bounced: '2020-03-23T17:30:05.000Z' })
    expect(String(rows.get('old.address@example.com')!.bounceReason)).toContain('cleaned by Mailchimp')
    expect(rows.size).toBe(13)
  })

  it('substack: email_disabled=true is unsubscribed, deletion requests are skipped', async () => {
    const result = await herald('subscribers', 'import', '--from', 'substack', fixture('substack.csv'))
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toMatch(/0b1c2d3e@deletion-request\.substack\.com: a reader who asked Substack to delete their data/)
    expect(result.stdout).toMatch(/5 added, 0 updated, 0 unchanged, 1 skipped/)
    const rows = await listed()
    expect(rows.get('muted.reader@example.com')).toMatchObject({ status: 'unsubscribed' })
    expect(rows.get('founding.member@example.com')).toMatchObject({ status: 'active', consent: { at: '2023-03-02T09:29:41.512Z' } })
  })

  it('buttondown: subscriber_type to statuses (both of its documented field names), spam-flagged rows skipped', async () => {
    const result = await herald('subscribers', 'import', '--from', 'buttondown', fixture('buttondown.csv'))
    expect(result.code, result.stderr).toBe(0)
    const rows = await listed()
    expect(rows.get('regular.reader@example.com')).toMatchObject({ status: 'active', created: '2023-05-04T12:00:00.000Z' })
    expect(rows.get('pending.person@example.com')).toMatchObject({ status: 'pending' })
    expect(rows.get('paying.fan@example.com')).toMatchObject({ status: 'active' })
    expect(rows.get('gone.away@example.com')).toMatchObject({ status: 'unsubscribed', unsubscribed: '2024-07-08T09:10:11.000Z' })
    expect(rows.get('bounced.box@example.com')).toMatchObject({ status: 'bounced', bounced: '2025-02-26T14:00:00.000Z' })
    expect(rows.get('complainer@example.com')).toMatchObject({ status: 'unsubscribed' })
    const renamed = await makeSiteFile(
      'email_address,type,created_date\nnew.api@example.com,regular,2025-01-01T00:00:00Z\nbad@example.com,spammy,\n',
    )
    const again = await herald('subscribers', 'import', '--from', 'buttondown', renamed)
    expect(again.stdout).toMatch(/bad@example\.com: flagged by Buttondown's spam firewall \(spammy\)/)
    expect((await listed()).get('new.api@example.com')).toMatchObject({ status: 'active' })
  })

  it('listmonk: blocklisted is unsubscribed, Go timestamps with their offset', async () => {
    const result = await herald('subscribers', 'import', '--from', 'listmonk', fixture('listmonk.csv'))
    expect(result.code, result.stderr).toBe(0)
    const rows = await listed()
    expect(rows.get('blocked@example.com')).toMatchObject({ status: 'unsubscribed' })
    expect(rows.get('quiet.one@example.com')).toMatchObject({ status: 'active' })
    expect(rows.get('new.signup@example.com')).toMatchObject({ status: 'active', created: '2025-10-01T04:30:00.000Z' })
    expect(rows.get('comma@example.com')).toMatchObject({ created: '2021-05-05T05:05:05.500Z' })
  })

  it('ghost: subscribed_to_emails, labels as tags when they are blog tags, formula escapes undone', async () => {
    const result = await herald('subscribers', 'import', '--from', 'ghost', fixture('ghost.csv'))
    expect(result.code, result.stderr).toBe(0)
    expect(result.stderr).toMatch(/not made tag filters.*Import 2023, Press, churned/)
    const rows = await listed()
    expect(rows.get('paid.member@example.com')).toMatchObject({ status: 'active', tags: ['vip'], created: '2023-01-10T12:00:00.000Z' })
    expect(rows.get('optedout@example.com')).toMatchObject({ status: 'unsubscribed' })
    expect(rows.get('comped@example.com')).toMatchObject({ status: 'active', tags: [] })
  })

  it('--dry-run prints what would change, row by row, and changes nothing', async () => {
    await herald('subscribers', 'add', 'ada.lovelace@example.com', '--confirmed')
    const result = await herald('subscribers', 'import', '--from', 'mailchimp', '--dry-run', fixture('mailchimp-unsubscribed.csv'))
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toMatch(
      /mailchimp-unsubscribed\.csv:2: alan\.turing@example\.com: would add \(unsubscribed; consent 2022-04-01T10:02:30Z/,
    )
    expect(result.stdout).toContain('(dry run: nothing was changed)')
    const mailchimp = await herald('subscribers', 'import', '--from', 'mailchimp', '--dry-run', fixture('mailchimp.csv'))
    expect(mailchimp.stdout).toMatch(/ada\.lovelace@example\.com: would update \(active\)/)
    expect((await listed()).size).toBe(1)
  })

  it('refuses a file that is not the named export, and an unknown tool', async () => {
    const wrong = await herald('subscribers', 'import', '--from', 'ghost', fixture('mailchimp.csv'))
    expect(wrong.code).not.toBe(0)
    expect(wrong.stderr).toMatch(/not a ghost export: the header row has no "email" column/)
    expect((await herald('subscribers', 'import', '--from', 'tinyletter', fixture('mailchimp.csv'))).code).toBe(2)
  })
})

async function makeSiteFile(content: string): Promise<string> {
  const { writeFile } = await import('node:fs/promises')
  const file = path.join(site, 'export.csv')
  await writeFile(file, content)
  return file
}
