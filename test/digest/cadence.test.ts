import { readFile, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { DateTime } from 'luxon'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EditionStore } from '../../src/editions/store.js'
import { type Cadence, SubscriberStore } from '../../src/subscribers/store.js'
import { runHerald } from '../support/cli.js'
import { type TestRedis, useTestRedis } from '../support/redis.js'
import { makeSite, post, siteConfig } from '../support/site.js'
import { type SmtpSink, startSmtpSink } from '../support/smtp.js'

// A simulated fortnight (and a bit) of cron runs with --now, across the night clocks go forward in Berlin
// (2026-03-29): posts on different days and at different times, subscribers of all three cadences, some with tag
// filters, some switching cadence midway, one joining late. Every subscriber must get every post meant for them
// exactly once, in an edition of their cadence at the time, at the slot their cadence says, and never an empty one.

const SECRET = 'test-secret-0123456789-abcdefghijklmnopqrstuvwxyz'
const ZONE = 'Europe/Berlin'
const local = (text: string) => DateTime.fromISO(text, { zone: ZONE })

interface PlannedPost {
  readonly slug: string
  readonly date: string
  readonly tags: readonly string[]
}

// Saturday 2026-03-21 to Monday 2026-04-06; Mondays are 03-23, 03-30 and 04-06.
const POSTS: PlannedPost[] = [
  { slug: 'p01', date: '2026-03-21T09:10', tags: ['a'] },
  { slug: 'p02', date: '2026-03-21T21:45', tags: ['b'] },
  { slug: 'p03', date: '2026-03-23T07:59', tags: ['a', 'b'] },
  { slug: 'p04', date: '2026-03-24T12:00', tags: ['c'] },
  { slug: 'p05', date: '2026-03-24T12:30', tags: ['a'] },
  { slug: 'p06', date: '2026-03-26T03:00', tags: ['b'] },
  { slug: 'p07', date: '2026-03-28T23:30', tags: ['a'] },
  { slug: 'p08', date: '2026-03-29T02:30', tags: ['b'] },
  { slug: 'p09', date: '2026-03-30T08:00', tags: ['a'] },
  { slug: 'p10', date: '2026-03-31T18:20', tags: ['c'] },
  { slug: 'p11', date: '2026-04-02T10:00', tags: ['b'] },
  { slug: 'p12', date: '2026-04-03T16:45', tags: ['a', 'c'] },
]

// Cron every six hours at 01:05, 07:05, 13:05, 19:05 local, plus runs exactly at the slot times and a few odd ones.
function runTimes(): DateTime[] {
  const times: DateTime[] = []
  for (let day = local('2026-03-21T00:00'); day < local('2026-04-06T12:00'); day = day.plus({ days: 1 })) {
    for (const hour of [1, 7, 13, 19]) times.push(day.set({ hour, minute: 5 }))
  }
  times.push(local('2026-03-23T08:00'), local('2026-03-25T08:00'), local('2026-03-30T08:00'), local('2026-04-06T08:00'))
  times.push(local('2026-03-27T08:01'), local('2026-04-02T11:11'))
  return times.filter((time) => time <= local('2026-04-06T12:00')).sort((a, b) => a.toMillis() - b.toMillis())
}

interface Reader {
  readonly email: string
  readonly tags: readonly string[]
  /** Cadence from the start, then changes at given times. */
  readonly cadences: ReadonlyArray<readonly [string, Cadence]>
  /** Subscribes (confirmed) at this time instead of at the start. */
  readonly joins?: string
}

const READERS: Reader[] = [
  { email: 'instant-all@example.org', tags: [], cadences: [['start', 'instant']] },
  { email: 'instant-a@example.org', tags: ['a'], cadences: [['start', 'instant']] },
  { email: 'daily-all@example.org', tags: [], cadences: [['start', 'daily']] },
  { email: 'daily-b@example.org', tags: ['b'], cadences: [['start', 'daily']] },
  { email: 'weekly-all@example.org', tags: [], cadences: [['start', 'weekly']] },
  { email: 'weekly-a@example.org', tags: ['a'], cadences: [['start', 'weekly']] },
  {
    email: 'switcher-1@example.org',
    tags: [],
    cadences: [
      ['start', 'instant'],
      ['2026-03-25T10:00', 'weekly'],
      ['2026-03-31T10:00', 'daily'],
    ],
  },
  {
    email: 'switcher-2@example.org',
    tags: [],
    cadences: [
      ['start', 'weekly'],
      ['2026-03-26T09:00', 'instant'],
    ],
  },
  {
    email: 'switcher-3@example.org',
    tags: ['b'],
    cadences: [
      ['start', 'daily'],
      ['2026-03-24T02:00', 'weekly'],
    ],
  },
  { email: 'late-daily@example.org', tags: [], cadences: [['start', 'daily']], joins: '2026-03-26T12:00' },
  { email: 'never-matches@example.org', tags: ['zzz'], cadences: [['start', 'weekly']] },
]

let redis: TestRedis
let sink: SmtpSink
let site: string
let editions: EditionStore
/** When each post was announced: the first run at or after its date. */
const announcedAt = new Map<string, DateTime>()
/** Every run's time, in order. */
const runs: DateTime[] = runTimes()
/** What each reader received: post slug → editions (id) it came in. */
const received = new Map<string, Array<{ slug: string; editionId: string }>>()
const emptyDigests: string[] = []
/** The run that made each edition, and its cadence. */
const madeBy = new Map<string, DateTime>()
const editionCadence = new Map<string, Cadence>()

beforeAll(async () => {
  redis = await useTestRedis('cadence')
  sink = await startSmtpSink()
  const files: Record<string, string> = {
    'posts/archive.rst': post({ title: 'Archive', slug: 'archive', date: '2020-01-01 10:00', tags: 'a' }),
  }
  for (const planned of POSTS) {
    files[`posts/${planned.slug}.rst`] = post({
      title: `Post ${planned.slug}`,
      slug: planned.slug,
      date: local(planned.date).toFormat('yyyy-MM-dd HH:mm:ss ZZ'),
      tags: planned.tags.join(', '),
    })
  }
  const config = siteConfig(
    ['email:', '  from: "Test Blog <news@blog.example.org>"', '  daily_at: "08:00"', '  weekly_on: "Monday 08:00"'].join('\n'),
    { timezone: ZONE },
  )
  site = await makeSite(files, config)
  const env = { REDIS_URL: redis.url, HERALD_PREFIX: redis.prefix, SMTP_URL: sink.url, HERALD_SECRET: SECRET, HERALD_STALL_MS: '1000' }
  const store = new SubscriberStore({ redis: redis.redis, prefix: redis.prefix })
  editions = new EditionStore({ redis: redis.redis, prefix: redis.prefix })

  const ids = new Map<string, string>()
  const join = async (reader: Reader) => {
    const { subscriber } = await store.subscribe({
      email: reader.email,
      tags: reader.tags,
      cadence: reader.cadences[0]![1],
      confirmed: true,
      consent: { source: 'cli' },
    })
    ids.set(reader.email, subscriber.id)
  }
  for (const reader of READERS) if (!reader.joins) await join(reader)

  const start = runs[0]!
  for (const [index, time] of runs.entries()) {
    // Changes made by readers between the previous run and this one.
    const previous = index === 0 ? start.minus({ days: 1 }) : runs[index - 1]!
    for (const reader of READERS) {
      if (reader.joins && local(reader.joins) > previous && local(reader.joins) <= time) await join(reader)
      for (const [at, cadence] of reader.cadences) {
        if (at !== 'start' && local(at) > previous && local(at) <= time) await store.setPreferences(ids.get(reader.email)!, { cadence })
      }
    }
    const result = await runHerald(['run', '--site', site, '--now', time.toISO()!, '--quiet'], env)
    expect(result.stderr, `run at ${time.toISO()}`).not.toMatch(/error|fail/i)
    expect(result.code, `run at ${time.toISO()}: ${result.stderr}`).toBe(0)
    for (const planned of POSTS) {
      if (!announcedAt.has(planned.slug) && local(planned.date) <= time) announcedAt.set(planned.slug, time)
    }
    for (const edition of await editions.recent(1000)) {
      if (!madeBy.has(edition.id)) madeBy.set(edition.id, time)
      editionCadence.set(edition.id, edition.cadence)
    }
  }

  for (const message of sink.messages) {
    const editionId = String(message.parsed.headers.get('x-herald-edition') ?? '')
    const text = `${message.parsed.html || ''}`
    const slugs = POSTS.map((planned) => planned.slug).filter((slug) => text.includes(`/posts/${slug}/`))
    if (slugs.length === 0) emptyDigests.push(`${message.envelopeTo.join(',')} ${editionId}`)
    for (const to of message.envelopeTo) {
      received.set(to, [...(received.get(to) ?? []), ...slugs.map((slug) => ({ slug, editionId }))])
    }
  }
}, 240_000)

afterAll(async () => {
  await sink?.close()
  await redis?.cleanup()
  if (site) await rm(site, { recursive: true, force: true })
})

/** The reader's cadence at a moment. */
function cadenceAt(reader: Reader, time: DateTime): Cadence {
  let cadence = reader.cadences[0]![1]
  for (const [at, next] of reader.cadences) if (at === 'start' || local(at) <= time) cadence = next
  return cadence
}

/** The latest daily (08:00) or weekly (Monday 08:00) slot at or before a moment. */
function latestSlot(cadence: 'daily' | 'weekly', time: DateTime): DateTime {
  let slot = time.set({ hour: 8, minute: 0, second: 0, millisecond: 0 })
  if (cadence === 'weekly') slot = slot.minus({ days: (slot.weekday - 1 + 7) % 7 })
  while (slot > time) slot = slot.minus(cadence === 'daily' ? { days: 1 } : { weeks: 1 })
  return slot
}

const matches = (reader: Reader, planned: PlannedPost) => reader.tags.length === 0 || planned.tags.some((tag) => reader.tags.includes(tag))

describe('per-subscriber cadence over a simulated fortnight', () => {
  it('sends no empty digest, and every message carries posts', () => {
    expect(sink.messages.length).toBeGreaterThan(20)
    expect(emptyDigests).toEqual([])
  })

  it('gives every subscriber every matching post exactly once, and nothing from before they joined', () => {
    for (const reader of READERS) {
      const got = (received.get(reader.email) ?? []).map((entry) => entry.slug).sort()
      const joinedAt = reader.joins ? local(reader.joins) : runs[0]!.minus({ minutes: 1 })
      const expected = POSTS.filter((planned) => matches(reader, planned) && announcedAt.get(planned.slug)! > joinedAt)
        .map((planned) => planned.slug)
        .sort()
      expect(got, reader.email).toEqual(expected)
    }
  })

  it('sends each post in an edition of the cadence the subscriber had then, at the slot that cadence says', async () => {
    let checked = 0
    for (const reader of READERS) {
      for (const { slug, editionId } of received.get(reader.email) ?? []) {
        const edition = await editions.get(editionId)
        const madeAt = madeBy.get(editionId)
        expect(edition && madeAt, `${reader.email} ${slug}`).toBeTruthy()
        const announced = announcedAt.get(slug)!
        // Cadences change only between runs, and a run sends what it makes: the edition is of the reader's cadence then.
        expect(edition!.cadence, `${reader.email} ${slug} in an edition made ${madeAt!.toISO()}`).toBe(cadenceAt(reader, madeAt!))
        expect(madeAt! >= announced, `${reader.email} ${slug}`).toBe(true)
        if (reader.cadences.length > 1) continue
        // Who never switched: instant in the announcing run's edition; daily and weekly in the first edition of their
        // cadence made at or after it (the first run at or after a slot makes it, including what that run announced),
        // and that edition's slot is the latest one due when it was made.
        if (edition!.cadence === 'instant') expect(madeAt!.toISO(), `${reader.email} ${slug}`).toBe(announced.toISO())
        else {
          const first = [...madeBy]
            .filter(([id, at]) => at >= announced && editionCadence.get(id) === edition!.cadence)
            .sort((a, b) => a[1].toMillis() - b[1].toMillis())[0]
          expect(first?.[0], `${reader.email} ${slug}`).toBe(editionId)
          expect(edition!.slot, `${reader.email} ${slug}`).toBe(latestSlot(edition!.cadence, madeAt!).toISODate())
        }
        checked++
      }
    }
    expect(checked).toBeGreaterThan(30)
  })

  it('lets a switcher catch up: posts announced under the old cadence and not yet mailed come in the new one', () => {
    // switcher-2 was weekly until Thursday 03-26 09:00: p04–p06 (announced after Monday's weekly edition) must
    // come in an instant edition, together with the next new post.
    const got = received.get('switcher-2@example.org') ?? []
    const p04 = got.find((entry) => entry.slug === 'p04')
    expect(p04).toBeDefined()
    expect(got.filter((entry) => entry.editionId === p04!.editionId).map((entry) => entry.slug)).toEqual(['p04', 'p05', 'p06', 'p07'])
  })
})

describe('status and preview by cadence', () => {
  it('status shows editions and subscribers by cadence; preview --cadence weekly shows the next weekly edition', async () => {
    const own = await useTestRedis('cadence-status')
    const smtp = await startSmtpSink()
    const dir = await makeSite(
      { 'posts/old.rst': post({ title: 'Old', slug: 'old', date: '2020-01-01 10:00' }) },
      siteConfig('email:\n  from: "Test Blog <news@blog.example.org>"'),
    )
    try {
      const env = { REDIS_URL: own.url, HERALD_PREFIX: own.prefix, SMTP_URL: smtp.url, HERALD_SECRET: SECRET }
      const store = new SubscriberStore({ redis: own.redis, prefix: own.prefix })
      await store.subscribe({ email: 'w@example.org', cadence: 'weekly', confirmed: true, consent: { source: 'cli' } })
      await store.subscribe({ email: 'i@example.org', cadence: 'instant', confirmed: true, consent: { source: 'cli' } })
      const added = await runHerald(['subscribers', 'add', 'd@example.org', '--cadence', 'daily', '--confirmed', '--site', dir], env)
      expect(added.code, added.stderr).toBe(0)
      expect((await runHerald(['subscribers', 'add', 'x@example.org', '--cadence', 'hourly', '--site', dir], env)).code).toBe(2)
      expect((await runHerald(['run', '--site', dir, '--now', '2026-03-16T09:00:00Z'], env)).code).toBe(0)
      await writeFile(path.join(dir, 'posts/a.rst'), post({ title: 'Alpha', slug: 'a', date: '2026-03-17 10:00' }))
      await writeFile(path.join(dir, 'posts/b.rst'), post({ title: 'Beta', slug: 'b', date: '2026-03-18 10:00' }))
      expect((await runHerald(['run', '--site', dir, '--now', '2026-03-17T12:00:00Z'], env)).code).toBe(0)
      // The instant reader at once, the daily one in the edition of that day's 08:00 slot made by the same run; not the weekly.
      expect(smtp.messages.map((message) => message.envelopeTo[0]).sort()).toEqual(['d@example.org', 'i@example.org'])

      const preview = await runHerald(
        ['preview', '--site', dir, '--cadence', 'weekly', '--now', '2026-03-19T12:00:00Z', '--out', path.join(dir, 'p.html')],
        env,
      )
      expect(preview.code, preview.stderr).toBe(0)
      expect(preview.stdout).toContain('the weekly edition due 2026-03-23T08:00:00.000Z')
      expect(preview.stdout).toContain('Subject: 2 new posts on Test Blog — week of March 16')
      expect(preview.stdout).toContain('Alpha')
      expect(preview.stdout).toContain('Beta')
      expect(preview.stdout).toContain('Recipients: 1 active weekly subscriber(s)')
      expect(await readFile(path.join(dir, 'p.html'), 'utf8')).toContain('/posts/b/')

      const status = await runHerald(['status', '--site', dir, '--json'], env)
      expect(status.code, status.stderr).toBe(0)
      const report = JSON.parse(status.stdout) as { cadences: Record<string, { subscribers: number; waitingPosts: number | null }> }
      // Only Alpha has been announced (by the run of the 17th); Beta is still to come.
      expect(report.cadences.weekly).toMatchObject({ subscribers: 1, waitingPosts: 1 })
      expect(report.cadences.instant).toMatchObject({ subscribers: 1 })
      expect(report.cadences.daily).toMatchObject({ subscribers: 1 })
      const text = await runHerald(['status', '--site', dir], env)
      expect(text.stdout).toMatch(
        /weekly +1 active subscriber\(s\), 0 edition\(s\); next due .* with 1 post\(s\) announced since the last one/,
      )
    } finally {
      await smtp.close()
      await own.cleanup()
      await rm(dir, { recursive: true, force: true })
    }
  })
})
