import { mkdir, readdir, rm, writeFile } from 'node:fs/promises'
import { createServer as createNetServer, type Server } from 'node:net'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { EditionStore } from '../../src/editions/store.js'
import { SubscriberStore } from '../../src/subscribers/store.js'
import { runHerald } from '../support/cli.js'
import { type TestRedis, useTestRedis } from '../support/redis.js'
import { makeSite, post, siteConfig } from '../support/site.js'
import { type SmtpSink, startSmtpSink } from '../support/smtp.js'

// Each scenario is a mail server that misbehaves the way real ones do, and the end state is checked: messages per
// recipient at the server, subscriber statuses, the edition, the exit status and `status --json`.
const SECRET = 'delivery-safety-secret-0123456789-abcdefghijklmnop'
const READERS = Array.from({ length: 8 }, (_, index) => `reader${index}@example.org`)

let redis: TestRedis
let sink: SmtpSink
let site: string
let env: NodeJS.ProcessEnv
let store: SubscriberStore
let editions: EditionStore
const servers: Array<{ close(): unknown }> = []

const yaml = (extra: string[] = []) =>
  siteConfig(
    [
      'email:',
      '  from: "Safety Blog <news@blog.example.org>"',
      '  postal_address: "1 Test Street"',
      '  attempts: 3',
      '  backoff_ms: 50',
      '  message_timeout_s: 3',
      '  run_wait_s: 20',
      ...extra,
    ].join('\n'),
  )

beforeEach(async () => {
  redis = await useTestRedis('safety')
  sink = await startSmtpSink()
  site = await makeSite({ 'posts/old.rst': post({ title: 'Old', slug: 'old', date: '2020-01-01 10:00' }) }, yaml())
  env = { REDIS_URL: redis.url, HERALD_PREFIX: redis.prefix, SMTP_URL: sink.url, HERALD_SECRET: SECRET, HERALD_STALL_MS: '1000' }
  store = new SubscriberStore({ redis: redis.redis, prefix: redis.prefix })
  editions = new EditionStore({ redis: redis.redis, prefix: redis.prefix })
  for (const email of READERS) await store.subscribe({ email, confirmed: true, consent: { source: 'cli' } })
  // First activation: the archive is recorded, nobody is mailed.
  expect((await run()).code).toBe(0)
})

afterEach(async () => {
  for (const server of servers.splice(0)) await server.close()
  await sink.close()
  await redis.cleanup()
  await rm(site, { recursive: true, force: true })
})

const run = (...extra: string[]) => runHerald(['run', '--site', site, ...extra], env)
const herald = (...argv: string[]) => runHerald([...argv, '--site', site], env)
const newPost = (slug = 'news') =>
  writeFile(path.join(site, 'posts', `${slug}.rst`), post({ title: `News ${slug}`, slug, date: '2024-01-01 10:00' }))
const statuses = async () => new Set(await Promise.all(READERS.map(async (email) => (await store.getByEmail(email))?.status)))
const copies = () => READERS.map((email) => sink.received(email))
const statusJson = async () => JSON.parse((await herald('status', '--json')).stdout) as { editions: Array<Record<string, unknown>> }

describe('blame the right party: the server refuses the sender, the relay or the login', () => {
  it('a relay refusal at RCPT (554 5.7.1) pauses the edition, bounces nobody, and a run after the fix sends each one copy', async () => {
    sink.setPolicy((address) => ({ code: 554, message: `5.7.1 <${address}>: Relay access denied` }))
    await newPost()
    const paused = await run()
    expect(paused.code, paused.stderr).toBe(5)
    expect(paused.stdout).toContain('paused: edition')
    expect(paused.stderr).toContain('Relay access denied')
    expect(paused.stderr).toContain('the server refuses to relay')
    expect(await statuses()).toEqual(new Set(['active']))
    const [edition] = (await statusJson()).editions
    expect(edition).toMatchObject({ status: 'paused', sent: 0, failed: 0 })
    expect(edition!.pausedReason).toMatch(/Relay access denied/)

    // The same configuration: still paused, nothing more is tried.
    const attemptsBefore = [...sink.attempts.values()].reduce((sum, count) => sum + count, 0)
    expect((await run()).code).toBe(5)
    expect([...sink.attempts.values()].reduce((sum, count) => sum + count, 0)).toBe(attemptsBefore)

    // The operator fixes the relay (here: credentials added to SMTP_URL): the next run continues where it stopped.
    sink.setPolicy(() => undefined)
    env.SMTP_URL = sink.url.replace('smtp://', 'smtp://herald:secret@')
    const fixed = await run()
    expect(fixed.code, fixed.stderr).toBe(0)
    expect(copies()).toEqual(READERS.map(() => 1))
    expect((await editions.recent(1))[0]).toMatchObject({ status: 'done', sent: READERS.length, failed: 0 })
    expect(await statuses()).toEqual(new Set(['active']))
  })

  it.each([
    [
      '553 5.1.8 at MAIL FROM',
      { code: 553, message: '5.1.8 <news@blog.example.org>: Sender address rejected: Domain not found' },
      'refuses the sender',
    ],
    ['530 5.7.0 at MAIL FROM', { code: 530, message: '5.7.0 Authentication required' }, 'valid login'],
  ])('%s pauses; "herald editions resume" continues: one copy each, nobody bounced', async (_label, verdict, advice) => {
    sink.setSenderPolicy(() => verdict)
    await newPost()
    const paused = await run()
    expect(paused.code).toBe(5)
    expect(paused.stderr).toContain(advice)
    expect(await statuses()).toEqual(new Set(['active']))
    sink.setSenderPolicy(() => undefined)
    const [edition] = await editions.recent(1)
    const resumed = await herald('editions', 'resume', edition!.id)
    expect(resumed.code, resumed.stderr).toBe(0)
    expect(copies()).toEqual(READERS.map(() => 1))
  })

  it('a wrong password (535) is found before anything is claimed: exit 2 with the reply; the fixed run sends the post', async () => {
    const strict = await startSmtpSink({
      authOptional: false,
      allowInsecureAuth: true,
      onAuth(auth, _session, callback) {
        if (auth.password === 'right') return callback(null, { user: auth.username })
        callback(Object.assign(new Error('Error: authentication failed: Invalid username or password'), { responseCode: 535 }))
      },
    })
    servers.push(strict)
    env.SMTP_URL = strict.url.replace('smtp://', 'smtp://herald:wrong@')
    await newPost()
    const refused = await run()
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain('535')
    expect(refused.stderr).toContain('check the user name and password in SMTP_URL')
    expect(refused.stderr).toContain('Nothing was claimed or sent')
    expect(await editions.count()).toBe(0)

    env.SMTP_URL = strict.url.replace('smtp://', 'smtp://herald:right@')
    expect((await run()).code).toBe(0)
    expect(READERS.map((email) => strict.received(email))).toEqual(READERS.map(() => 1))
  })

  it('with no transport chosen (SMTP_URL missing from cron), nothing is claimed; setting it later sends the post', async () => {
    delete env.SMTP_URL
    await newPost()
    const refused = await run()
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain('no mail transport is set: set SMTP_URL')
    expect(await editions.count()).toBe(0)
    expect(await readdir(path.join(site, 'outbox')).catch(() => [])).toEqual([])
    env.SMTP_URL = sink.url
    expect((await run()).code).toBe(0)
    expect(copies()).toEqual(READERS.map(() => 1))
  })

  it('a server that is down is found before claiming (exit 2); one that fails every send the same way trips the breaker', async () => {
    const down = await startSmtpSink()
    const url = down.url
    await down.close()
    env.SMTP_URL = url
    await newPost()
    const refused = await run()
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain('ECONNREFUSED')
    expect(await editions.count()).toBe(0)

    // Up for the check, then the same temporary refusal for everyone: no recipient is failed, the edition pauses.
    env.SMTP_URL = sink.url
    sink.setSenderPolicy(() => ({ code: 421, message: '4.3.2 Service not available, closing channel' }))
    const tripped = await run()
    expect(tripped.code).toBe(5)
    expect(tripped.stderr).toContain('Service not available')
    const [edition] = await editions.recent(1)
    expect(edition).toMatchObject({ status: 'paused', failed: 0, sent: 0 })
    expect(await statuses()).toEqual(new Set(['active']))

    sink.setSenderPolicy(() => undefined)
    expect((await herald('editions', 'resume', edition!.id)).code).toBe(0)
    expect(copies()).toEqual(READERS.map(() => 1))
  })
})

describe('duplicates counted right', () => {
  it('a connection cut right after the final dot is resent with the same Message-ID and counted; a cut before DATA is not', async () => {
    sink.setDataPolicy((recipient, delivery) => (recipient === 'reader1@example.org' && delivery === 1 ? 'close' : 'accept'))
    sink.setPolicy((address, attempt) =>
      address === 'reader2@example.org' && attempt === 1 ? { code: 421, message: '4.4.2 closing' } : undefined,
    )
    await newPost()
    const result = await run()
    expect(result.code, result.stderr).toBe(0)
    const twice = sink.messages.filter((message) => message.envelopeTo.includes('reader1@example.org'))
    expect(twice).toHaveLength(2)
    expect(twice[0]!.parsed.messageId).toBe(twice[1]!.parsed.messageId)
    expect(sink.received('reader2@example.org')).toBe(1)
    expect((await editions.recent(1))[0]).toMatchObject({ status: 'done', sent: READERS.length, possibleDuplicates: 1 })
  })
})

describe('everything bounded', () => {
  it('a server that keeps sending "250-" lines cannot keep a run alive: it ends within the deadline (exit 2)', async () => {
    const trickle: Server = createNetServer((socket) => {
      socket.on('error', () => {})
      socket.write('220 trickle ESMTP\r\n')
      let timer: NodeJS.Timeout | undefined
      socket.on('data', () => {
        timer ??= setInterval(() => socket.write('250-still going\r\n'), 50)
      })
      socket.on('close', () => clearInterval(timer))
    })
    await new Promise<void>((resolve) => trickle.listen(0, '127.0.0.1', resolve))
    servers.push({ close: () => new Promise((resolve) => trickle.close(resolve)) })
    env.SMTP_URL = `smtp://127.0.0.1:${(trickle.address() as { port: number }).port}`
    await newPost()
    const started = Date.now()
    const result = await run()
    expect(result.code).toBe(2)
    expect(Date.now() - started).toBeLessThan(15_000)
    expect(await editions.count()).toBe(0)
  })

  it('a recipient whose server never answers DATA does not hold the others; run stops waiting and says what is deferred', async () => {
    await writeFile(path.join(site, 'herald.yml'), yaml(['  run_wait_s: 6']).replace('  run_wait_s: 20\n', ''))
    sink.setDataPolicy((recipient) => (recipient === 'reader0@example.org' ? 'hang' : 'accept'))
    await newPost()
    const started = Date.now()
    const others = sink.waitFor(READERS.length - 1, 20_000).then(() => Date.now() - started)
    const result = await run()
    expect(await others).toBeLessThan(6_000)
    expect(result.code, result.stderr).toBe(6)
    expect(result.stderr).toMatch(/1 recipient\(s\) not sent yet \(temporary failures being retried (from|between) /)
    expect(Date.now() - started).toBeLessThan(20_000)
    expect(copies().slice(1)).toEqual(READERS.slice(1).map(() => 1))
    // The deferred recipient goes out with the next run once the server answers again: still one copy each.
    sink.setDataPolicy(() => 'accept')
    await new Promise((resolve) => setTimeout(resolve, 300))
    const next = await run()
    expect([0, 6]).toContain(next.code)
    if (next.code === 6) expect((await run()).code).toBe(0)
    expect(copies()).toEqual(READERS.map(() => 1))
  })
})

describe('the outbox', () => {
  it('a folder that cannot be written is found before claiming, and never counts possible duplicates', async () => {
    env.SMTP_URL = 'outbox:'
    await writeFile(path.join(site, 'outbox'), 'not a folder')
    await newPost()
    const refused = await run()
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain('outbox')
    expect(await editions.count()).toBe(0)
    await rm(path.join(site, 'outbox'))
    await mkdir(path.join(site, 'outbox'))
    expect((await run()).code).toBe(0)
    expect((await readdir(path.join(site, 'outbox'))).filter((name) => name.endsWith('.eml'))).toHaveLength(READERS.length)
  })
})

describe('repair commands', () => {
  it('retry-failed resends only to the recipients whose sends failed, never to those already sent', async () => {
    sink.setDataPolicy((recipient, delivery) =>
      recipient === 'reader3@example.org' && delivery === 1 ? { code: 552, message: '5.3.4 Message size exceeds fixed limit' } : 'accept',
    )
    await newPost()
    const first = await run()
    expect(first.code).toBe(4)
    expect(first.stdout).toContain('failed: reader3@example.org: 552 5.3.4')
    expect((await store.getByEmail('reader3@example.org'))?.status).toBe('active')
    const [edition] = await editions.recent(1)
    const retried = await herald('editions', 'retry-failed', edition!.id)
    expect(retried.code, retried.stderr).toBe(0)
    expect(retried.stdout).toContain('1 failed send(s) queued again')
    expect(copies()).toEqual(READERS.map(() => 1))
    expect((await editions.get(edition!.id))!).toMatchObject({ status: 'done', sent: READERS.length, failed: 0 })
    const list = JSON.parse((await herald('editions', 'list', '--json')).stdout) as Array<{ id: string; status: string }>
    expect(list).toEqual([expect.objectContaining({ id: edition!.id, status: 'done' })])
  })

  it('reactivate undoes a mistaken bounce, keeping consent and noting who and when', async () => {
    const reader = await store.getByEmail('reader5@example.org')
    await store.markBounced(reader!.id, '550 5.1.1 mistaken')
    const result = await herald('subscribers', 'reactivate', 'reader5@example.org', '--by', 'ops')
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toContain('reader5@example.org: active again')
    const after = await store.getByEmail('reader5@example.org')
    expect(after).toMatchObject({ status: 'active', reactivatedBy: 'ops', consent: reader!.consent, bounceReason: '550 5.1.1 mistaken' })
    expect(after!.reactivatedAt).toBeTruthy()

    await store.markBounced(reader!.id, 'again')
    const since = await herald('subscribers', 'reactivate', '--bounced-since', new Date(Date.now() - 60_000).toISOString())
    expect(since.stdout).toContain('1 subscriber(s) reactivated')
  })
})

describe('long-running commands check first, and logs keep addresses out', () => {
  it('herald worker refuses to start (exit 2) when the mail server does not answer; herald serve without a transport too', async () => {
    const down = await startSmtpSink()
    const url = down.url
    await down.close()
    env.SMTP_URL = url
    const worker = await herald('worker')
    expect(worker.code).toBe(2)
    expect(worker.stderr).toContain('cannot send mail through the SMTP server')
    delete env.SMTP_URL
    const serve = await herald('serve', '--port', '0')
    expect(serve.code).toBe(2)
    expect(serve.stderr).toContain('no mail transport is set')
  })

  it('a retried send is logged with the subscriber id, not the address', async () => {
    sink.setPolicy((address, attempt) =>
      address === 'reader4@example.org' && attempt === 1 ? { code: 451, message: '4.7.1 try later' } : undefined,
    )
    await newPost()
    const result = await run('--verbose')
    expect(result.code, result.stderr).toBe(0)
    const lines = result.stderr.split('\n').filter((line) => line.startsWith('{'))
    const retry = lines.find((line) => line.includes('temporary failure; will retry'))
    expect(retry).toBeDefined()
    expect(retry).toContain((await store.getByEmail('reader4@example.org'))!.id)
    for (const line of lines) if ((JSON.parse(line) as { level: number }).level <= 30) expect(line).not.toContain('@example.org')
  })
})
