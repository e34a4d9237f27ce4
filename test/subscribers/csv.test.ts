import { PassThrough, Readable } from 'node:stream'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { exportSubscribers, importSubscribers } from '../../src/subscribers/csv.js'
import { SubscriberStore } from '../../src/subscribers/store.js'
import { type TestRedis, useTestRedis } from '../support/redis.js'

let test: TestRedis
let store: SubscriberStore

beforeEach(async () => {
  test = await useTestRedis('csv')
  store = new SubscriberStore({ redis: test.redis, prefix: test.prefix, now: () => new Date('2030-01-01T00:00:00Z') })
})
afterEach(() => test.cleanup())

const importText = (text: string, into = store) => importSubscribers({ store: into, input: Readable.from([Buffer.from(text)]) })

async function exportText(from = store): Promise<string> {
  const output = new PassThrough()
  const chunks: Buffer[] = []
  output.on('data', (chunk: Buffer) => chunks.push(chunk))
  await exportSubscribers({ store: from, output })
  return Buffer.concat(chunks).toString('utf8')
}

describe('CSV import', () => {
  it('imports good lines, reports bad ones by line number, and is idempotent', async () => {
    const file = [
      'email,tags,status',
      'ann@example.org,fedora;cloud,active',
      'not-an-address,,active',
      'bob@example.org,,',
      '',
      'carol@example.org,,pending',
      'dave@example.org,,sleeping',
      '"eve@example.org\r\nBcc: x@example.org",,active',
      'frank@example.org,,unsubscribed',
    ].join('\n')
    const first = await importText(file)
    expect(
      first.errors.map((problem) => problem.line),
      JSON.stringify(first.errors),
    ).toEqual([3, 7, 8])
    expect(first.errors[0]!.message).toMatch(/address/)
    expect(first.errors[1]!.message).toMatch(/unknown status "sleeping"/)
    expect(first).toMatchObject({ created: 4, updated: 0, unchanged: 0 })
    expect(await store.getByEmail('ann@example.org')).toMatchObject({
      status: 'active',
      tags: ['fedora', 'cloud'],
      consent: { source: 'import' },
    })
    expect((await store.getByEmail('bob@example.org'))?.status).toBe('active')
    const before = await exportText()

    const second = await importText(file)
    expect(second).toMatchObject({ created: 0, updated: 0, unchanged: 4 })
    expect(await exportText()).toBe(before)
  })

  it('refuses a file without an email column, naming the columns it reads', async () => {
    await expect(importText('name,tags\nann,x\n')).rejects.toThrow(/no "email" column/)
  })

  it('reports malformed CSV lines and imports the rest', async () => {
    const report = await importText('email\nann@example.org\n\n"bob@example.org\ncarol@example.org\n')
    expect(report.created).toBe(1)
    expect(report.errors).toEqual([{ line: 4, message: expect.stringMatching(/not valid CSV: Quote Not Closed/) }])
  })
})

describe('CSV export', () => {
  it('round-trips everything, consent included, into an empty store', async () => {
    await store.subscribe({
      email: 'Ann@example.org',
      tags: ['fedora', 'cloud'],
      consent: { source: 'form', ip: '203.0.113.5', userAgent: '=HYPERLINK("http://evil")' },
    })
    await store.subscribe({ email: 'bob@example.org', confirmed: true, consent: { source: 'cli' } })
    const carol = await store.subscribe({ email: 'carol@example.org', confirmed: true, consent: { source: 'cli' } })
    await store.markBounced(carol.subscriber.id, '550 5.1.1 no such user, "really"')
    const dave = await store.subscribe({ email: 'dave@example.org', consent: { source: 'form' } })
    await store.unsubscribe(dave.subscriber.id)

    const csv = await exportText()
    expect(csv.split('\n')[0]).toBe(
      'email,status,tags,cadence,created_at,confirmed_at,unsubscribed_at,bounced_at,bounce_reason,' +
        'consent_source,consent_at,consent_ip,consent_user_agent,reactivated_at,reactivated_by,unsubscribe_reason,events',
    )
    expect(csv).toContain(`'=HYPERLINK`)

    const other = await useTestRedis('csv2')
    try {
      const restored = new SubscriberStore({ redis: other.redis, prefix: other.prefix, now: () => new Date('2040-01-01T00:00:00Z') })
      const report = await importText(csv, restored)
      expect(report).toMatchObject({ created: 4, errors: [] })
      for (const email of ['ann@example.org', 'bob@example.org', 'carol@example.org', 'dave@example.org']) {
        expect(await restored.getByEmail(email)).toEqual(await store.getByEmail(email))
      }
      expect(await exportText(restored)).toBe(csv)
    } finally {
      await other.cleanup()
    }
  })

  it('writes just the header for an empty store', async () => {
    expect((await exportText()).trim()).toMatch(/^email,status,tags/)
  })
})
