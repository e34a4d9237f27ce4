import { rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { EditionStore } from '../../src/editions/store.js'
import { SubscriberStore } from '../../src/subscribers/store.js'
import { type HeraldProcess, runHerald, spawnHerald } from '../support/cli.js'
import { type TestRedis, useTestRedis } from '../support/redis.js'
import { makeSite, post, siteConfig } from '../support/site.js'
import { type SmtpSink, startSmtpSink } from '../support/smtp.js'

// Real processes, real Redis, a real SMTP server: the guarantees that matter most are about crashes and races.
const SECRET = 'crash-test-secret-0123456789-abcdefghijklmnopqrstuvwxyz'

let redis: TestRedis
let sink: SmtpSink
let site: string
let env: NodeJS.ProcessEnv
let store: SubscriberStore
let editions: EditionStore
const processes: HeraldProcess[] = []

beforeEach(async () => {
  redis = await useTestRedis('crash')
  sink = await startSmtpSink()
  site = await makeSite(
    { 'posts/old.rst': post({ title: 'Old', slug: 'old', date: '2020-01-01 10:00' }) },
    siteConfig(['email:', '  from: "Crash Blog <news@blog.example.org>"', '  attempts: 5', '  backoff_ms: 100'].join('\n')),
  )
  env = { REDIS_URL: redis.url, HERALD_PREFIX: redis.prefix, SMTP_URL: sink.url, HERALD_SECRET: SECRET, HERALD_STALL_MS: '1000' }
  store = new SubscriberStore({ redis: redis.redis, prefix: redis.prefix })
  editions = new EditionStore({ redis: redis.redis, prefix: redis.prefix })
})

afterEach(async () => {
  for (const child of processes.splice(0)) if (child.child.exitCode === null) child.child.kill('SIGKILL')
  await sink.close()
  await redis.cleanup()
  await rm(site, { recursive: true, force: true })
})

async function subscribeMany(count: number): Promise<string[]> {
  const emails = Array.from({ length: count }, (_, index) => `reader${String(index).padStart(3, '0')}@example.org`)
  for (const email of emails) await store.subscribe({ email, confirmed: true, consent: { source: 'cli' } })
  return emails
}

function recipientsCount(): Map<string, number> {
  const counts = new Map<string, number>()
  for (const message of sink.messages) for (const to of message.envelopeTo) counts.set(to, (counts.get(to) ?? 0) + 1)
  return counts
}

async function until(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

describe('crashes and races', () => {
  it('a worker killed with SIGKILL in the middle of an edition, then restarted: every subscriber has exactly one email', async () => {
    const emails = await subscribeMany(60)
    expect((await runHerald(['run', '--site', site], env)).code).toBe(0)
    await writeFile(path.join(site, 'posts/new.rst'), post({ title: 'Breaking news', slug: 'news', date: '2024-01-01 10:00' }))
    const queued = await runHerald(['run', '--site', site, '--no-wait'], env)
    expect(queued.code, queued.stderr).toBe(0)

    sink.holdAfter(20)
    const first = spawnHerald(['worker', '--site', site, '--concurrency', '8'], env)
    processes.push(first)
    await until(() => sink.messages.length >= 20, 30_000, 'the first 20 messages')
    // From the 20th on the server takes messages but does not acknowledge them: whatever is in flight when the
    // worker dies was provably not accepted. The pause lets acknowledged messages be recorded first.
    // Wait until every acknowledged message is recorded as sent (the worker keeps running meanwhile).
    const [edition] = await editions.recent(1)
    await until(
      async () => (await editions.get(edition!.id))!.sent === sink.messages.length,
      10_000,
      'acknowledged messages to be recorded',
    )
    first.child.kill('SIGKILL')
    expect(await first.exited).toBe('SIGKILL')
    sink.discardHeld()
    const afterKill = await editions.get(edition!.id)
    expect(afterKill!.status, 'the kill must land mid-edition').toBe('open')
    expect(sink.messages.length).toBeLessThan(emails.length)

    const second = spawnHerald(['worker', '--site', site], env)
    processes.push(second)
    await until(async () => (await editions.get(edition!.id))!.status === 'done', 60_000, 'the edition to complete after the restart')
    second.child.kill('SIGTERM')
    expect(await second.exited).toBe(0)

    const counts = recipientsCount()
    expect([...counts.keys()].sort()).toEqual(emails)
    expect(
      [...counts.values()].every((count) => count === 1),
      // The workers' logs say who resent what (and which worker held it before), should this ever fail.
      `${JSON.stringify([...counts].filter(([, count]) => count !== 1))}\n${first.output()}\n${second.output()}`,
    ).toBe(true)
    const done = await editions.get(edition!.id)
    expect(done).toMatchObject({ status: 'done', expected: 60, sent: 60, failed: 0 })
    // The sends interrupted by the kill are resent and counted as "possible duplicates" (docs/reliability.md).
    expect(done!.possibleDuplicates).toBeGreaterThan(0)
  })

  it("a worker killed with SIGKILL in the middle of a weekly edition, then restarted: one digest each with the week's posts", async () => {
    const emails = Array.from({ length: 60 }, (_, index) => `weekly${String(index).padStart(3, '0')}@example.org`)
    for (const email of emails) await store.subscribe({ email, cadence: 'weekly', confirmed: true, consent: { source: 'cli' } })
    expect((await runHerald(['run', '--site', site, '--now', '2026-03-16T09:00:00Z'], env)).code).toBe(0)
    await writeFile(path.join(site, 'posts/tue.rst'), post({ title: 'Tuesday', slug: 'tue', date: '2026-03-17 10:00' }))
    await writeFile(path.join(site, 'posts/thu.rst'), post({ title: 'Thursday', slug: 'thu', date: '2026-03-19 18:00' }))
    // Announced on Friday (an instant edition nobody here reads), mailed on Monday at 08:00 or the first run after.
    expect((await runHerald(['run', '--site', site, '--now', '2026-03-20T10:00:00Z'], env)).code).toBe(0)
    expect(sink.messages).toHaveLength(0)
    const queued = await runHerald(['run', '--site', site, '--now', '2026-03-23T09:00:00Z', '--no-wait'], env)
    expect(queued.code, queued.stderr).toBe(0)
    const [edition] = await editions.recent(1)
    expect(edition).toMatchObject({ cadence: 'weekly', slot: '2026-03-23', postCount: 2 })

    sink.holdAfter(20)
    const first = spawnHerald(['worker', '--site', site, '--concurrency', '8'], env)
    processes.push(first)
    await until(() => sink.messages.length >= 20, 30_000, 'the first 20 messages')
    await until(
      async () => (await editions.get(edition!.id))!.sent === sink.messages.length,
      10_000,
      'acknowledged messages to be recorded',
    )
    first.child.kill('SIGKILL')
    expect(await first.exited).toBe('SIGKILL')
    sink.discardHeld()
    expect((await editions.get(edition!.id))!.status, 'the kill must land mid-edition').toBe('open')

    const second = spawnHerald(['worker', '--site', site], env)
    processes.push(second)
    await until(async () => (await editions.get(edition!.id))!.status === 'done', 60_000, 'the edition to complete after the restart')
    second.child.kill('SIGTERM')
    expect(await second.exited).toBe(0)
    // Later runs the same week send nothing more.
    expect((await runHerald(['run', '--site', site, '--now', '2026-03-24T09:00:00Z'], env)).code).toBe(0)

    const counts = recipientsCount()
    expect([...counts.keys()].sort()).toEqual(emails)
    expect(
      [...counts.values()].every((count) => count === 1),
      JSON.stringify([...counts].filter(([, count]) => count !== 1)),
    ).toBe(true)
    for (const message of sink.messages) {
      expect(message.parsed.subject).toBe('2 new posts on Test Blog — week of March 16')
      expect(String(message.parsed.html)).toContain('/posts/tue/')
      expect(String(message.parsed.html)).toContain('/posts/thu/')
    }
    expect(await editions.get(edition!.id)).toMatchObject({ status: 'done', expected: 60, sent: 60, failed: 0 })
  })

  it('a paused edition, resumed, then its worker killed with SIGKILL and restarted: still exactly one email each', async () => {
    const emails = await subscribeMany(60)
    expect((await runHerald(['run', '--site', site], env)).code).toBe(0)
    await writeFile(path.join(site, 'posts/new.rst'), post({ title: 'Paused news', slug: 'paused', date: '2024-01-01 10:00' }))
    // The relay takes 15 messages, then refuses to relay (a quota, a credential that expired): the edition pauses.
    let accepted = 0
    sink.setPolicy(() => (accepted >= 15 ? { code: 554, message: '5.7.1 Relay access denied' } : undefined))
    sink.setDataPolicy(() => {
      accepted++
      return 'accept'
    })
    const paused = await runHerald(['run', '--site', site], env)
    expect(paused.code, paused.stderr).toBe(5)
    const [edition] = await editions.recent(1)
    expect(edition).toMatchObject({ status: 'paused', failed: 0 })
    expect(edition!.sent).toBeGreaterThanOrEqual(15)

    // Fixed; resumed (queued only), and a worker sends until it is killed in the middle.
    sink.setPolicy(() => undefined)
    expect((await runHerald(['editions', 'resume', edition!.id, '--no-wait', '--site', site], env)).code).toBe(0)
    sink.holdAfter(35)
    const first = spawnHerald(['worker', '--site', site, '--concurrency', '8'], env)
    processes.push(first)
    await until(() => sink.messages.length >= 35, 30_000, '35 messages')
    await until(
      async () => (await editions.get(edition!.id))!.sent === sink.messages.length,
      10_000,
      'acknowledged messages to be recorded',
    )
    first.child.kill('SIGKILL')
    expect(await first.exited).toBe('SIGKILL')
    sink.discardHeld()
    expect((await editions.get(edition!.id))!.status).toBe('open')

    const second = spawnHerald(['worker', '--site', site], env)
    processes.push(second)
    await until(async () => (await editions.get(edition!.id))!.status === 'done', 60_000, 'the edition to complete after the restart')
    second.child.kill('SIGTERM')
    expect(await second.exited).toBe(0)
    const counts = recipientsCount()
    expect([...counts.keys()].sort()).toEqual(emails)
    expect(
      [...counts.values()].every((count) => count === 1),
      JSON.stringify([...counts].filter(([, count]) => count !== 1)),
    ).toBe(true)
    expect(await editions.get(edition!.id)).toMatchObject({ status: 'done', sent: 60, failed: 0 })
    for (const email of emails) expect((await store.getByEmail(email))?.status).toBe('active')
  })

  it('two `herald run`s started at the same moment make one edition and one email per subscriber', async () => {
    const emails = await subscribeMany(25)
    expect((await runHerald(['run', '--site', site], env)).code).toBe(0)
    await writeFile(path.join(site, 'posts/a.rst'), post({ title: 'Post A', slug: 'a', date: '2024-01-01 10:00' }))
    await writeFile(path.join(site, 'posts/b.rst'), post({ title: 'Post B', slug: 'b', date: '2024-01-02 10:00' }))
    const runs = [spawnHerald(['run', '--site', site], env), spawnHerald(['run', '--site', site], env)]
    processes.push(...runs)
    const codes = await Promise.all(runs.map((run) => run.exited))
    expect(codes, runs.map((run) => run.output()).join('\n----\n')).toEqual([0, 0])
    expect(await editions.count()).toBe(1)
    const counts = recipientsCount()
    expect([...counts.keys()].sort()).toEqual(emails)
    expect([...counts.values()].every((count) => count === 1)).toBe(true)
    expect(sink.messages[0]!.parsed.subject).toBe('2 new posts on Test Blog')
  })

  it('herald worker with schedule: runs the publish cycle on its own and stops cleanly on SIGTERM', async () => {
    await writeFile(
      path.join(site, 'herald.yml'),
      siteConfig(['schedule: "*/1 * * * * *"', 'email:', '  from: "Crash Blog <news@blog.example.org>"', '  backoff_ms: 100'].join('\n')),
    )
    const emails = await subscribeMany(3)
    expect((await runHerald(['run', '--site', site], env)).code).toBe(0)
    await writeFile(path.join(site, 'posts/new.rst'), post({ title: 'Scheduled pickup', slug: 'pickup', date: '2024-01-01 10:00' }))
    const worker = spawnHerald(['worker', '--site', site], env)
    processes.push(worker)
    await sink.waitFor(3, 30_000)
    worker.child.kill('SIGTERM')
    expect(await worker.exited, worker.output()).toBe(0)
    expect(worker.output()).toContain('scheduled runs: ')
    expect([...recipientsCount().entries()].sort()).toEqual(emails.map((email) => [email, 1]))
    expect(sink.messages[0]!.parsed.subject).toBe('Scheduled pickup')
  })
})
