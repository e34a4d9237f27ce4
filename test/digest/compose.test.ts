import { generateKeyPairSync } from 'node:crypto'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { Job } from 'bullmq'
import { dkimVerify } from 'mailauth'
import { simpleParser } from 'mailparser'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { DKIM_SIGNED_HEADERS } from '../../src/app/services.js'
import type { Config } from '../../src/config.js'
import { parseConfig } from '../../src/config-parse.js'
import { DigestComposer } from '../../src/digest/compose.js'
import { AnnouncementLedger } from '../../src/editions/announcements.js'
import type { PostSnapshot } from '../../src/editions/snapshot.js'
import { EditionStore } from '../../src/editions/store.js'
import { silentLogger } from '../../src/log.js'
import { loadTemplate } from '../../src/mail/render.js'
import { createTransport } from '../../src/mail/transport.js'
import { CircuitBreaker } from '../../src/queue/breaker.js'
import type { SendJobData } from '../../src/queue/queues.js'
import { createSendProcessor } from '../../src/queue/send-job.js'
import { SendLocks } from '../../src/queue/send-lock.js'
import { SubscriberStore } from '../../src/subscribers/store.js'
import { TokenSigner } from '../../src/subscribers/tokens.js'
import { type TestRedis, useTestRedis } from '../support/redis.js'
import { siteConfig } from '../support/site.js'

const tokens = new TokenSigner({ secret: 'compose-test-secret-0123456789-abcdefghij' })

function snapshot(feedId: string, overrides: Partial<PostSnapshot> = {}): PostSnapshot {
  return {
    feedId,
    title: `Title ${feedId}`,
    permalink: `https://blog.example.org/posts/${feedId}/`,
    date: '2024-01-02T10:00:00+03:00',
    author: 'Author',
    tags: [],
    category: null,
    description: null,
    previewImage: null,
    teaserHtml: null,
    html: `<p>Body of ${feedId}</p>`,
    readMoreLabel: 'Read more…',
    ...overrides,
  }
}

let outbox: string
let config: Config

beforeEach(async () => {
  outbox = await mkdtemp(path.join(tmpdir(), 'herald-compose-'))
  config = parseConfig(
    siteConfig(
      [
        'email:',
        '  from: "Blog <news@blog.example.org>"',
        '  postal_address: "1 Street"',
        '  transport: outbox',
        `  outbox: ${JSON.stringify(outbox)}`,
      ].join('\n'),
    ),
    outbox,
    {},
  )
})

afterEach(async () => {
  await rm(outbox, { recursive: true, force: true })
})

async function composer(configToUse = config): Promise<DigestComposer> {
  return new DigestComposer({ config: configToUse, template: await loadTemplate('digest', { siteDir: configToUse.siteDir }), tokens })
}

describe('DigestComposer', () => {
  it('uses the title as subject for one post, the language pattern or email.subject for several', async () => {
    const one = await composer()
    expect(one.subjectFor([snapshot('a')])).toBe('Title a')
    expect(one.subjectFor([snapshot('a'), snapshot('b'), snapshot('c')])).toBe('3 new posts on Test Blog')
    const russian = parseConfig(siteConfig('', { language: 'ru' }), outbox, {})
    expect((await composer(russian)).subjectFor([snapshot('a'), snapshot('b')])).toBe('2 новые записи в «Test Blog»')
    expect((await composer(russian)).subjectFor(Array.from({ length: 5 }, (_, index) => snapshot(String(index))))).toBe(
      '5 новых записей в «Test Blog»',
    )
    const custom = parseConfig(siteConfig('email:\n  subject: "{site}: {count} fresh"'), outbox, {})
    expect((await composer(custom)).subjectFor([snapshot('a'), snapshot('b')])).toBe('Test Blog: 2 fresh')
  })

  it('compiles once and personalises by substitution: unsubscribe link, Message-ID, list headers, text part', async () => {
    const digest = await (await composer()).compile([
      snapshot('a', { title: 'A & <b>', teaserHtml: '<p>Teaser of a</p>', html: '<p>Teaser of a</p><p>Rest of a</p>' }),
      snapshot('b', { date: '2024-02-01T10:00:00+00:00', previewImage: 'https://blog.example.org/b.png' }),
    ])
    const compose = await composer()
    const message = compose.personalise(digest, { subscriberId: 'ab'.repeat(16), email: 'ann@example.org' }, 'e1')
    const url = compose.unsubscribeUrl('ab'.repeat(16))
    expect(tokens.verify('unsubscribe', new URL(url).searchParams.get('token'))).toMatchObject({ ok: true, subscriberId: 'ab'.repeat(16) })
    expect(message.html).toContain(`href="${url}"`)
    expect(message.html).not.toContain('HERALD-SLOT')
    expect(message.text).toContain(url)
    expect(message.text).not.toContain('HERALD-SLOT')
    expect(message.html).toContain('A &amp; &lt;b&gt;')
    // Newest first; teaser with a read-more button when the post has one (email.content: teaser).
    expect(message.html.indexOf('Title b')).toBeLessThan(message.html.indexOf('A &amp;'))
    expect(message.html).toContain('Teaser of a')
    expect(message.html).not.toContain('Rest of a')
    expect(message.html).toContain('Read more…')
    expect(message.html).toContain('src="https://blog.example.org/b.png"')
    expect(message.html).toContain('1 Street')
    expect(message.messageId).toBe(`<e1.${'ab'.repeat(16)}@blog.example.org>`)
    expect(message.headers).toMatchObject({
      'List-Unsubscribe': `<${url}>`,
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
      'List-Id': 'Test Blog <digest.blog.example.org>',
      Precedence: 'bulk',
    })
    const other = compose.personalise(digest, { subscriberId: 'cd'.repeat(16), email: 'bob@example.org' }, 'e1')
    expect(other.html).not.toContain(url)
  })

  it('offers a mailto: unsubscribe only when email.unsubscribe_mailto names a mailbox', async () => {
    const withMailto = parseConfig(siteConfig('email:\n  unsubscribe_mailto: leave@blog.example.org'), outbox, {})
    const compose = await composer(withMailto)
    const message = compose.personalise(
      await compose.compile([snapshot('a')]),
      { subscriberId: 'ab'.repeat(16), email: 'a@example.org' },
      'e1',
    )
    expect(message.headers?.['List-Unsubscribe']).toMatch(/^<https:\/\/[^>]+>, <mailto:leave@blog\.example\.org\?subject=unsubscribe>$/)
  })

  it('escapes per-recipient values for HTML and leaves them plain in text', async () => {
    await writeFile(
      path.join(outbox, 'custom.mjml'),
      '<mjml><mj-body><mj-section><mj-column>' +
        '<mj-text>To {{recipientEmail}}: <a href="{{unsubscribeUrl}}">x</a></mj-text>' +
        '</mj-column></mj-section></mj-body></mjml>',
    )
    const template = {
      name: 'custom',
      file: path.join(outbox, 'custom.mjml'),
      source: await readFile(path.join(outbox, 'custom.mjml'), 'utf8'),
    }
    const compose = new DigestComposer({ config, template, tokens })
    const message = compose.personalise(
      await compose.compile([snapshot('a')]),
      { subscriberId: 'ab'.repeat(16), email: "o'neil&co@example.org" },
      'e1',
    )
    expect(message.html).toContain('To o&#39;neil&amp;co@example.org')
    expect(message.text).toContain("To o'neil&co@example.org")
  })

  it('signs with DKIM over both List-Unsubscribe headers, and the signature verifies', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const transport = createTransport({
      config,
      logger: silentLogger(),
      dkim: {
        domainName: 'blog.example.org',
        keySelector: 'herald',
        privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        headerFieldNames: DKIM_SIGNED_HEADERS,
      },
    })
    const compose = await composer()
    await transport.send(
      compose.personalise(await compose.compile([snapshot('a')]), { subscriberId: 'ab'.repeat(16), email: 'ann@example.org' }, 'e1'),
    )
    await transport.close()
    const [file] = (await readdir(outbox)).filter((name) => name.endsWith('.eml'))
    const raw = await readFile(path.join(outbox, file!))
    const dnsRecord = `v=DKIM1; k=rsa; p=${publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`
    const result = await dkimVerify(raw, {
      resolver: async (name: string, type: string) => {
        if (name === 'herald._domainkey.blog.example.org' && type === 'TXT') return [[dnsRecord]]
        throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' })
      },
    })
    const signature = result.results[0]!
    expect(signature.status.result).toBe('pass')
    const dkimHeader = /^DKIM-Signature:([\s\S]*?)\r\n(?=\S)/im.exec(raw.toString())![1]!.replace(/\s+/g, '')
    const signed = /(?:^|;)h=([^;]+)/.exec(dkimHeader)![1]!.toLowerCase().split(':')
    expect(signed).toEqual(expect.arrayContaining(['list-unsubscribe', 'list-unsubscribe-post', 'list-id', 'from', 'subject']))
    const parsed = await simpleParser(raw)
    expect(parsed.subject).toBe('Title a')
  })
})

describe('send jobs compile MJML once per distinct post list, never per recipient', () => {
  let redis: TestRedis
  beforeEach(async () => {
    redis = await useTestRedis('compile')
  })
  afterEach(async () => {
    await redis.cleanup()
  })

  it('compiles 3 times for 30 recipients in 3 tag groups', async () => {
    const { prefix } = redis
    const subscribers = new SubscriberStore({ redis: redis.redis, prefix })
    const editions = new EditionStore({ redis: redis.redis, prefix })
    const ledger = new AnnouncementLedger({ redis: redis.redis, prefix })
    const ids: string[] = []
    for (let index = 0; index < 30; index++) {
      const tags = index % 3 === 0 ? [] : index % 3 === 1 ? ['rust'] : ['go']
      const { subscriber } = await subscribers.subscribe({
        email: `r${index}@example.org`,
        tags,
        confirmed: true,
        consent: { source: 'cli' },
      })
      ids.push(subscriber.id)
    }
    const claimed = await ledger.claimEdition([
      { feedId: 'a', snapshot: JSON.stringify(snapshot('a', { tags: ['rust'] })) },
      { feedId: 'b', snapshot: JSON.stringify(snapshot('b', { tags: ['go'] })) },
    ])
    await editions.queueRecipients(claimed!.editionId, ids)
    const compose = await composer()
    const compile = vi.spyOn(compose, 'compile')
    const transport = createTransport({ config, logger: silentLogger() })
    const locks = new SendLocks({ redis: redis.redis, prefix })
    await locks.start()
    const breaker = new CircuitBreaker({ redis: redis.redis, prefix })
    const pause = async () => {
      throw new Error('nothing here should pause')
    }
    const send = createSendProcessor({ editions, subscribers, composer: compose, transport, locks, breaker, pause, logger: silentLogger() })
    const messageTemplate = vi.spyOn(compose, 'messageTemplate')
    const job = (subscriberIds: string[]) =>
      ({ data: { editionId: claimed!.editionId, subscriberIds }, attemptsMade: 0, opts: { attempts: 3 } }) as unknown as Job<SendJobData>
    // Three batches of ten, each mixing the three tag groups.
    for (let start = 0; start < ids.length; start += 10) {
      expect(await send(job(ids.slice(start, start + 10)))).toMatchObject({ sent: 10, failed: 0, skipped: 0, paused: false })
    }
    await locks.stop()
    await transport.close()
    expect(compile).toHaveBeenCalledTimes(3)
    // The message itself is built once per post list too; each copy is made by substitution.
    expect(messageTemplate).toHaveBeenCalledTimes(3)
    expect((await readdir(outbox)).filter((name) => name.endsWith('.eml'))).toHaveLength(30)
    expect(await editions.get(claimed!.editionId)).toMatchObject({ sent: 30, expected: 30 })
    // Sending again is a no-op: the ledger says sent.
    expect(await send(job([ids[0]!]))).toMatchObject({ sent: 0, alreadyDone: 1 })
  })
})
