import { rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { Job } from 'bullmq'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createMetricsRegistry, registerPipelineMetrics } from '../../src/app/metrics.js'
import { EditionStore } from '../../src/editions/store.js'
import { silentLogger } from '../../src/log.js'
import { CycleStatsStore } from '../../src/publishing/cycle-stats.js'
import { createFanoutProcessor } from '../../src/queue/fanout-job.js'
import { type EditionJobData, openQueues } from '../../src/queue/queues.js'
import { SubscriberStore } from '../../src/subscribers/store.js'
import { runHerald } from '../support/cli.js'
import { type TestRedis, useTestRedis } from '../support/redis.js'
import { makeSite, post, siteConfig } from '../support/site.js'
import { type ReceivedMessage, type SmtpSink, startSmtpSink } from '../support/smtp.js'

const SECRET = 'test-secret-0123456789-abcdefghijklmnopqrstuvwxyz'

interface Setup {
  site: string
  env: NodeJS.ProcessEnv
  store: SubscriberStore
  editions: EditionStore
  sink: SmtpSink
  run: (...extra: string[]) => ReturnType<typeof runHerald>
}

let redis: TestRedis
let setup: Setup

const config = siteConfig(
  [
    'email:',
    '  from: "Test Blog <news@blog.example.org>"',
    '  postal_address: "1 Test Street, Testville"',
    '  attempts: 3',
    '  backoff_ms: 50',
    'http:',
    '  public_url: https://news.example.org/',
  ].join('\n'),
)
const oldPosts = {
  'posts/old-1.rst': post({ title: 'Old one', slug: 'old-1', date: '2020-01-01 10:00', tags: 'rust' }),
  'posts/old-2.rst': post({ title: 'Old two', slug: 'old-2', date: '2020-02-01 10:00', tags: 'go' }),
}

beforeEach(async () => {
  redis = await useTestRedis('digest')
  const sink = await startSmtpSink()
  const site = await makeSite(oldPosts, config)
  const env = { REDIS_URL: redis.url, HERALD_PREFIX: redis.prefix, SMTP_URL: sink.url, HERALD_SECRET: SECRET, HERALD_STALL_MS: '1000' }
  setup = {
    site,
    env,
    sink,
    store: new SubscriberStore({ redis: redis.redis, prefix: redis.prefix }),
    editions: new EditionStore({ redis: redis.redis, prefix: redis.prefix }),
    run: (...extra) => runHerald(['run', '--site', site, ...extra], env),
  }
})

afterEach(async () => {
  await setup.sink.close()
  await redis.cleanup()
  await rm(setup.site, { recursive: true, force: true })
})

async function subscribe(email: string, tags: string[] = []): Promise<void> {
  await setup.store.subscribe({ email, tags, confirmed: true, consent: { source: 'cli' } })
}

async function addPost(name: string, fields: Record<string, string>, body?: string): Promise<void> {
  await writeFile(path.join(setup.site, 'posts', name), post(fields, body))
}

const byRecipient = (messages: readonly ReceivedMessage[]) => {
  const map = new Map<string, ReceivedMessage[]>()
  for (const message of messages) for (const to of message.envelopeTo) map.set(to, [...(map.get(to) ?? []), message])
  return map
}

describe('herald run: new posts reach every subscriber exactly once', () => {
  it('first activation mails nothing; then each subscriber gets one email with exactly the new posts; a rerun sends nothing', async () => {
    const emails = ['ann@example.org', 'bob@example.org', 'cyd@example.net', 'dee@example.com', 'eve@example.org']
    for (const email of emails) await subscribe(email)

    const first = await setup.run()
    expect(first.code, first.stderr).toBe(0)
    expect(setup.sink.messages).toHaveLength(0)

    await addPost(
      'new-1.rst',
      { title: 'Fresh & new <post>', slug: 'fresh', date: '2024-05-01 10:00', tags: 'rust' },
      'Fresh body with a `link </about/>`__.\n',
    )
    // Backdated: older than everything announced so far, but never announced, so it is new.
    await addPost('new-2.rst', { title: 'Backdated post', slug: 'backdated', date: '2019-01-01 10:00', tags: 'go' })
    const second = await setup.run()
    expect(second.code, second.stderr).toBe(0)
    expect(setup.sink.messages).toHaveLength(emails.length)
    const received = byRecipient(setup.sink.messages)
    for (const email of emails) {
      const mine = received.get(email) ?? []
      expect(mine, email).toHaveLength(1)
      const mail = mine[0]!.parsed
      expect(mail.subject).toBe('2 new posts on Test Blog')
      expect(mail.html).toContain('Fresh &amp; new &lt;post&gt;')
      expect(mail.html).toContain('Backdated post')
      expect(mail.html).not.toContain('Old one')
      expect(mail.html).toContain('href="https://blog.example.org/about/"')
      expect(mail.html).toContain('1 Test Street, Testville')
      expect(mail.text).toContain('Fresh & new <post>')
      expect(mail.text).toContain('Backdated post')
      expect(mail.from?.value[0]).toMatchObject({ name: 'Test Blog', address: 'news@blog.example.org' })
      // mailparser groups the List-* headers (RFC 2369/2919/8058) under "list".
      const list = mail.headers.get('list') as {
        unsubscribe: { url: string; mail: string }
        'unsubscribe-post': { name: string }
        id: { id: string }
      }
      const listUnsubscribe = list.unsubscribe
      expect(listUnsubscribe.url).toMatch(/^https:\/\/news\.example\.org\/unsubscribe\?token=/)
      expect(listUnsubscribe.mail).toBeUndefined() // no mailto: unless email.unsubscribe_mailto names a mailbox someone reads
      expect(list['unsubscribe-post'].name).toBe('List-Unsubscribe=One-Click')
      expect(mail.headers.get('precedence')).toBe('bulk')
      expect(list.id?.id, mine[0]!.raw.toString().split('\r\n\r\n')[0]).toBe('digest.blog.example.org')
      expect(mail.messageId).toMatch(/^<[0-9a-f]{20}\.[0-9a-f]+@blog\.example\.org>$/)
      expect(mail.html).toContain(listUnsubscribe.url!.replace(/&/g, '&amp;'))
    }

    const third = await setup.run()
    expect(third.code).toBe(0)
    expect(setup.sink.messages).toHaveLength(emails.length)
  })

  it('an edited post is not new again', async () => {
    await subscribe('ann@example.org')
    await setup.run()
    await addPost(
      'old-1.rst',
      { title: 'Old one, edited', slug: 'old-1', date: '2020-01-01 10:00', tags: 'rust', updated: '2024-01-01 10:00' },
      'Edited.\n',
    )
    const result = await setup.run()
    expect(result.code).toBe(0)
    expect(setup.sink.messages).toHaveLength(0)
  })

  it('--announce-latest N on first activation mails the newest N and records the rest', async () => {
    await subscribe('ann@example.org')
    const result = await setup.run('--announce-latest', '1')
    expect(result.code, result.stderr).toBe(0)
    const [message] = await setup.sink.waitFor(1)
    expect(message!.parsed.subject).toBe('Old two')
    expect(setup.sink.messages).toHaveLength(1)
  })

  it('a scheduled post is sent by the first run after its date', async () => {
    await subscribe('ann@example.org')
    await setup.run()
    await addPost('future.rst', { title: 'From the future', slug: 'future', date: '2030-01-01 09:00 UTC+00:00' })
    await setup.run('--now', '2029-12-31T23:59:00Z')
    expect(setup.sink.messages).toHaveLength(0)
    const later = await setup.run('--now', '2030-01-01T09:00:01Z')
    expect(later.code).toBe(0)
    expect(setup.sink.messages.map((message) => message.parsed.subject)).toEqual(['From the future'])
  })

  it('respects tag filters: each subscriber gets only the posts with their tags, and nothing when none match', async () => {
    await subscribe('all@example.org')
    await subscribe('rust@example.org', ['Rust'])
    await subscribe('python@example.org', ['python'])
    await setup.run()
    await addPost('r.rst', { title: 'Rust news', slug: 'rust-news', date: '2024-01-01 10:00', tags: 'rust, systems' })
    await addPost('g.rst', { title: 'Go news', slug: 'go-news', date: '2024-01-02 10:00', tags: 'go' })
    const result = await setup.run()
    expect(result.code).toBe(0)
    const received = byRecipient(setup.sink.messages)
    expect(received.get('all@example.org')?.[0]?.parsed.subject).toBe('2 new posts on Test Blog')
    const rust = received.get('rust@example.org') ?? []
    expect(rust).toHaveLength(1)
    expect(rust[0]!.parsed.subject).toBe('Rust news')
    expect(rust[0]!.parsed.html).not.toContain('Go news')
    expect(received.has('python@example.org')).toBe(false)
  })
})

describe('herald run: guarding the archive', () => {
  it('refuses to mail more than email.max_edition_posts new posts at once; --record-only records them without mailing', async () => {
    await subscribe('ann@example.org')
    await setup.run()
    // As if site.url or the permalink pattern had changed: every post looks new.
    for (let index = 0; index < 11; index++)
      await addPost(`moved-${index}.rst`, { title: `Moved ${index}`, slug: `moved-${index}`, date: '2021-01-01 10:00' })
    const refused = await setup.run()
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain('11 posts are new at once (email.max_edition_posts is 10): nothing was mailed')
    expect(refused.stderr).toContain('herald run --record-only')
    expect(setup.sink.messages).toHaveLength(0)
    expect(await setup.editions.count()).toBe(0)

    const recorded = await setup.run('--record-only')
    expect(recorded.code, recorded.stderr).toBe(0)
    expect(setup.sink.messages).toHaveLength(0)

    await addPost('really-new.rst', { title: 'Really new', slug: 'really-new', date: '2024-06-01 10:00' })
    expect((await setup.run()).code).toBe(0)
    expect(setup.sink.messages.map((message) => message.parsed.subject)).toEqual(['Really new'])
  })
})

describe('herald run: failures', () => {
  it('retries a 451 until accepted (one email), does not retry a 550, marks that subscriber bounced, others unaffected', async () => {
    for (const email of ['ok1@example.org', 'greylisted@example.org', 'gone@example.org', 'ok2@example.org']) await subscribe(email)
    await setup.run()
    setup.sink.setPolicy((address, attempt) => {
      if (address === 'greylisted@example.org' && attempt === 1) return { code: 451, message: '4.7.1 Greylisted, try again later' }
      if (address === 'gone@example.org') return { code: 550, message: '5.1.1 No such user here' }
      return undefined
    })
    await addPost('n.rst', { title: 'Something new', slug: 'new', date: '2024-01-01 10:00' })
    const result = await setup.run()
    expect(result.code).toBe(4)
    expect(result.stdout).toContain('failed: gone@example.org: 550 5.1.1 No such user here')

    const received = byRecipient(setup.sink.messages)
    expect(received.get('greylisted@example.org')).toHaveLength(1)
    expect(received.get('ok1@example.org')).toHaveLength(1)
    expect(received.get('ok2@example.org')).toHaveLength(1)
    expect(received.has('gone@example.org')).toBe(false)
    expect(setup.sink.attempts.get('greylisted@example.org')).toBe(2)
    expect(setup.sink.attempts.get('gone@example.org')).toBe(1)
    const gone = await setup.store.getByEmail('gone@example.org')
    expect(gone?.status).toBe('bounced')
    expect(gone?.bounceReason).toContain('5.1.1 No such user here')
    // Kept with the subscriber's returned mail, as `herald subscribers show` lists it.
    const shown = await runHerald(['subscribers', 'show', 'gone@example.org', '--site', setup.site], setup.env)
    expect(shown.stdout).toMatch(/\thard\t5\.1\.1\tsend\t[0-9a-f]+\tbounced\t550 5\.1\.1 No such user here/)

    const [edition] = await setup.editions.recent(1)
    expect(edition).toMatchObject({ status: 'done', expected: 4, sent: 3, failed: 1, skipped: 0 })
  })

  it('skips a subscriber who unsubscribed between the fan-out and their send', async () => {
    await subscribe('ann@example.org')
    await subscribe('bob@example.org')
    await setup.run()
    await addPost('n.rst', { title: 'Something new', slug: 'new', date: '2024-01-01 10:00' })
    const queued = await setup.run('--no-wait')
    expect(queued.code).toBe(0)
    expect(setup.sink.messages).toHaveLength(0)
    // Run only the fan-out (as a worker would), so both sends are queued before bob leaves.
    const [editionId] = await setup.editions.openIds()
    const queues = openQueues(redis.redis, redis.prefix)
    const fanout = createFanoutProcessor({
      editions: setup.editions,
      subscribers: setup.store,
      queues,
      sendOptions: {},
      logger: silentLogger(),
    })
    expect(await fanout({ data: { editionId: editionId! }, updateProgress: async () => {} } as unknown as Job<EditionJobData>)).toEqual({
      queued: 2,
      repaired: 0,
    })
    await queues.close()
    const bob = await setup.store.getByEmail('bob@example.org')
    await setup.store.unsubscribe(bob!.id)
    const sent = await setup.run()
    expect(sent.code).toBe(0)
    expect(setup.sink.messages.flatMap((message) => message.envelopeTo)).toEqual(['ann@example.org'])
    const [edition] = await setup.editions.recent(1)
    expect(edition).toMatchObject({ status: 'done', sent: 1, skipped: 1 })
  })
})

describe('metrics after runs', () => {
  it('reports sends by outcome, editions, queue depth and the last run', async () => {
    await subscribe('ann@example.org')
    await subscribe('gone@example.org')
    await setup.run()
    setup.sink.setPolicy((address) => (address === 'gone@example.org' ? { code: 550, message: '5.1.1 unknown user' } : undefined))
    await addPost('n.rst', { title: 'Something new', slug: 'new', date: '2024-01-01 10:00' })
    expect((await setup.run()).code).toBe(4)

    const registry = createMetricsRegistry()
    const queues = openQueues(redis.redis, redis.prefix)
    registerPipelineMetrics(
      registry,
      { editions: setup.editions, queues, cycles: new CycleStatsStore({ redis: redis.redis, prefix: redis.prefix }) },
      silentLogger(),
    )
    const text = await registry.metrics()
    await queues.close()
    expect(text).toContain('# TYPE herald_sends_total counter')
    expect(text).toMatch(/^herald_sends_total\{outcome="sent"\} 1$/m)
    expect(text).toMatch(/^herald_sends_total\{outcome="failed"\} 1$/m)
    expect(text).toMatch(/^herald_editions_total{cadence="instant"} 1$/m)
    expect(text).toMatch(/^herald_editions_total{cadence="weekly"} 0$/m)
    expect(text).toMatch(/^herald_editions_open{cadence="instant"} 0$/m)
    expect(text).toMatch(/^herald_queue_jobs\{queue="sends",state="waiting"\} 0$/m)
    expect(text).toMatch(/^herald_posts\{state="live"\} 3$/m)
    expect(text).toMatch(/^herald_last_run_duration_seconds \d+(\.\d+)?(e-?\d+)?$/m)
  })
})

describe('herald preview and herald status', () => {
  it('preview renders the next digest to a file, sends nothing and changes nothing', async () => {
    await subscribe('ann@example.org')
    await subscribe('bob@example.org', ['nothing-matches'])
    const out = path.join(setup.site, 'preview.html')
    const first = await runHerald(['preview', '--site', setup.site, '--out', out], setup.env)
    expect(first.code, first.stderr).toBe(0)
    expect(first.stdout).toContain('First activation: nothing would be sent')
    const latest = await runHerald(['preview', '--site', setup.site, '--out', out, '--announce-latest', '2'], setup.env)
    expect(latest.stdout).toContain('Subject: 2 new posts on Test Blog')
    expect(latest.stdout).toContain('Old two')
    expect(latest.stdout).toContain('Recipients: 1 active instant subscriber(s)')
    const { readFile } = await import('node:fs/promises')
    expect(await readFile(out, 'utf8')).toContain('Old two')
    expect(setup.sink.messages).toHaveLength(0)
    // Nothing changed: the real first run is still a first activation.
    const run = await setup.run()
    expect(run.stderr).toContain('first activation')
  })

  it('status shows editions with their counts, queues and subscribers', async () => {
    await subscribe('ann@example.org')
    await setup.run()
    await addPost('n.rst', { title: 'Something new', slug: 'new', date: '2024-01-01 10:00' })
    await setup.run()
    const result = await runHerald(['status', '--site', setup.site, '--json'], setup.env)
    expect(result.code, result.stderr).toBe(0)
    const status = JSON.parse(result.stdout) as {
      editions: Array<Record<string, unknown>>
      subscribers: Record<string, number>
      queues: Record<string, Record<string, number>>
    }
    expect(status.editions).toEqual([expect.objectContaining({ posts: 1, status: 'done', sent: 1, failed: 0, pending: 0 })])
    expect(status.subscribers).toMatchObject({ active: 1, total: 1 })
    expect(status.queues.sends).toMatchObject({ waiting: 0, active: 0 })
    const text = await runHerald(['status', '--site', setup.site], setup.env)
    expect(text.stdout).toMatch(/1 post\(s\)\s+done\s+sent 1, failed 0, skipped 0, pending 0/)
  })
})
