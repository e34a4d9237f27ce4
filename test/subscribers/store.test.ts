import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { siteKeys } from '../../src/infra/keys.js'
import { normaliseEmail } from '../../src/mail/address.js'
import { type Subscriber, SubscriberStore } from '../../src/subscribers/store.js'
import { type TestRedis, useTestRedis } from '../support/redis.js'

let test: TestRedis
let store: SubscriberStore
let now: Date

beforeEach(async () => {
  test = await useTestRedis('store')
  now = new Date('2030-01-01T10:00:00Z')
  store = new SubscriberStore({ redis: test.redis, prefix: test.prefix, now: () => now })
})
afterEach(() => test.cleanup())

const form = { source: 'form' as const, ip: '203.0.113.9', userAgent: 'Firefox' }

describe('SubscriberStore', () => {
  it('subscribes as pending with consent, then confirms to active', async () => {
    const { subscriber, outcome } = await store.subscribe({ email: 'Ann@Example.org', tags: ['fedora'], consent: form })
    expect(outcome).toBe('created')
    expect(subscriber).toMatchObject({
      email: 'Ann@example.org',
      status: 'pending',
      tags: ['fedora'],
      cadence: 'instant',
      createdAt: '2030-01-01T10:00:00.000Z',
      confirmedAt: null,
      consent: { source: 'form', at: '2030-01-01T10:00:00.000Z', ip: '203.0.113.9', userAgent: 'Firefox' },
    })
    now = new Date('2030-01-02T00:00:00Z')
    expect(await store.confirm(subscriber.id)).toEqual({ outcome: 'changed', previous: 'pending' })
    expect(await store.confirm(subscriber.id)).toEqual({ outcome: 'unchanged', previous: 'active' })
    expect(await store.getByEmail('ann@EXAMPLE.org')).toMatchObject({ status: 'active', confirmedAt: '2030-01-02T00:00:00.000Z' })
  })

  it('keys every value under the hash-tagged prefix', async () => {
    await store.subscribe({ email: 'ann@example.org', consent: form })
    const keys = await test.redis.keys(`*${test.prefix}*`)
    expect(keys.length).toBeGreaterThan(0)
    for (const key of keys) expect(key.startsWith(`${siteKeys(test.prefix).root}:`)).toBe(true)
  })

  it('treats the same address twice as one subscriber and never changes an active one from the form', async () => {
    const first = await store.subscribe({ email: 'ann@example.org', confirmed: true, consent: { source: 'cli' } })
    const again = await store.subscribe({ email: 'ANN@example.org', tags: ['other'], consent: form })
    expect(again.outcome).toBe('active')
    expect(again.subscriber).toEqual(first.subscriber)
    expect((await store.counts()).total).toBe(1)
  })

  it('refreshes tags and consent of a pending subscriber, and activates it with confirmed', async () => {
    await store.subscribe({ email: 'ann@example.org', tags: ['a'], consent: form })
    now = new Date('2030-01-03T00:00:00Z')
    const again = await store.subscribe({ email: 'ann@example.org', tags: ['b'], consent: { source: 'form', ip: '198.51.100.1' } })
    expect(again.outcome).toBe('pending')
    expect(again.subscriber).toMatchObject({
      tags: ['b'],
      createdAt: '2030-01-01T10:00:00.000Z',
      consent: { at: '2030-01-03T00:00:00.000Z', ip: '198.51.100.1' },
    })
    const activated = await store.subscribe({ email: 'ann@example.org', confirmed: true, consent: { source: 'cli' } })
    expect(activated.outcome).toBe('activated')
    expect(activated.subscriber.status).toBe('active')
  })

  it('unsubscribes (twice is fine) and re-subscribing goes back to pending with new consent', async () => {
    const { subscriber } = await store.subscribe({ email: 'ann@example.org', confirmed: true, consent: { source: 'cli' } })
    expect(await store.unsubscribe(subscriber.id)).toEqual({ outcome: 'changed', previous: 'active' })
    expect(await store.unsubscribe(subscriber.id)).toEqual({ outcome: 'unchanged', previous: 'unsubscribed' })
    expect(await store.confirm(subscriber.id)).toEqual({ outcome: 'refused', previous: 'unsubscribed' })
    now = new Date('2030-02-01T00:00:00Z')
    const again = await store.subscribe({ email: 'ann@example.org', consent: form })
    expect(again.outcome).toBe('resubscribed')
    expect(again.subscriber).toMatchObject({
      status: 'pending',
      confirmedAt: null,
      consent: { source: 'form', at: '2030-02-01T00:00:00.000Z' },
    })
  })

  it('marks bounces with the reason and leaves unsubscribed subscribers alone', async () => {
    const ann = (await store.subscribe({ email: 'ann@example.org', confirmed: true, consent: { source: 'cli' } })).subscriber
    const bob = (await store.subscribe({ email: 'bob@example.org', confirmed: true, consent: { source: 'cli' } })).subscriber
    expect(await store.markBounced(ann.id, '550 5.1.1 <ann@example.org>: no such user\r\n')).toEqual({
      outcome: 'changed',
      previous: 'active',
    })
    expect(await store.get(ann.id)).toMatchObject({
      status: 'bounced',
      bouncedAt: '2030-01-01T10:00:00.000Z',
      bounceReason: '550 5.1.1 <ann@example.org>: no such user',
    })
    await store.unsubscribe(bob.id)
    expect(await store.markBounced(bob.id, '550')).toEqual({ outcome: 'refused', previous: 'unsubscribed' })
    expect(await store.markBounced(normaliseEmail('nobody@example.org').id, '550')).toEqual({ outcome: 'missing', previous: null })
    expect(await store.counts()).toEqual({ pending: 0, active: 0, unsubscribed: 1, bounced: 1, total: 2 })
  })

  it('removes a subscriber completely', async () => {
    const { subscriber } = await store.subscribe({ email: 'ann@example.org', consent: form })
    expect(await store.remove(subscriber.id)).toBe(true)
    expect(await store.remove(subscriber.id)).toBe(false)
    expect(await store.get(subscriber.id)).toBeNull()
    expect((await store.counts()).total).toBe(0)
    expect(await test.redis.keys(`*${test.prefix}*`)).toEqual([])
  })

  it('keeps the status sets consistent under concurrent transitions', async () => {
    const ids: string[] = []
    for (let index = 0; index < 20; index++)
      ids.push((await store.subscribe({ email: `user${index}@example.org`, consent: form })).subscriber.id)
    await Promise.all(
      ids.flatMap((id) => [
        store.confirm(id),
        store.unsubscribe(id),
        store.markBounced(id, '550'),
        store.confirm(id),
        store.unsubscribe(id),
      ]),
    )
    const counts = await store.counts()
    expect(counts.total).toBe(20)
    for (const id of ids) {
      const subscriber = (await store.get(id))!
      const memberships = await Promise.all(
        (['pending', 'active', 'unsubscribed', 'bounced'] as const).map((status) =>
          test.redis.zscore(siteKeys(test.prefix).subscribersInStatus(status), id),
        ),
      )
      expect(memberships.filter((score) => score !== null)).toHaveLength(1)
      expect(await test.redis.zscore(siteKeys(test.prefix).subscribersInStatus(subscriber.status), id)).not.toBeNull()
    }
  })

  it('streams active subscribers in batches, each exactly once, never the others', async () => {
    const pipeline: Promise<unknown>[] = []
    for (let index = 0; index < 1234; index++) {
      pipeline.push(store.importRecord({ email: `reader${index}@example.org`, status: index % 10 === 0 ? 'unsubscribed' : 'active' }))
    }
    await Promise.all(pipeline)
    const seen = new Set<string>()
    let batches = 0
    for await (const batch of store.streamActive({ batchSize: 100 })) {
      batches++
      expect(batch.length).toBeLessThanOrEqual(100)
      for (const subscriber of batch) {
        expect(subscriber.status).toBe('active')
        expect(seen.has(subscriber.id)).toBe(false)
        seen.add(subscriber.id)
      }
    }
    expect(seen.size).toBe(1234 - 124)
    expect(batches).toBe(Math.ceil(seen.size / 100))
  })

  it('skips subscribers that leave the status while a stream is running', async () => {
    const subscribers: Subscriber[] = []
    for (let index = 0; index < 30; index++)
      subscribers.push((await store.subscribe({ email: `r${index}@example.org`, confirmed: true, consent: { source: 'cli' } })).subscriber)
    const sorted = subscribers.map((subscriber) => subscriber.id).sort()
    const yielded: string[] = []
    for await (const batch of store.streamActive({ batchSize: 10 })) {
      if (yielded.length === 0) await store.unsubscribe(sorted[25]!)
      yielded.push(...batch.map((subscriber) => subscriber.id))
    }
    expect(yielded).toEqual(sorted.filter((id) => id !== sorted[25]))
  })

  it('pages with a cursor', async () => {
    for (let index = 0; index < 5; index++) await store.subscribe({ email: `p${index}@example.org`, consent: form })
    const first = await store.page({ status: 'pending', limit: 3 })
    expect(first.subscribers).toHaveLength(3)
    const second = await store.page({ status: 'pending', limit: 3, after: first.next })
    expect(second.subscribers).toHaveLength(2)
    expect(second.next).toBeNull()
  })

  it('refuses invalid input', async () => {
    await expect(store.subscribe({ email: 'ann@example.org\r\nBcc: x@y.org', consent: form })).rejects.toMatchObject({
      code: 'SUBSCRIBER_INVALID',
    })
    await expect(store.subscribe({ email: 'ann@example.org', tags: ['a\nb'], consent: form })).rejects.toMatchObject({
      code: 'SUBSCRIBER_INVALID',
    })
    expect(await store.get('not-an-id')).toBeNull()
    expect(await store.confirm('../../etc')).toEqual({ outcome: 'missing', previous: null })
  })

  it('imports forward only: never re-subscribes someone who left', async () => {
    expect((await store.importRecord({ email: 'ann@example.org', status: 'active' })).outcome).toBe('created')
    expect((await store.importRecord({ email: 'ann@example.org', status: 'active' })).outcome).toBe('unchanged')
    expect((await store.importRecord({ email: 'ann@example.org', status: 'unsubscribed' })).outcome).toBe('updated')
    expect((await store.importRecord({ email: 'ann@example.org', status: 'active' })).outcome).toBe('refused')
    expect((await store.getByEmail('ann@example.org'))?.status).toBe('unsubscribed')
  })

  it('keeps a cadence per subscriber: the default for new ones, a choice, a change of preferences', async () => {
    const daily = new SubscriberStore({ redis: test.redis, prefix: test.prefix, defaultCadence: 'daily' })
    expect((await daily.subscribe({ email: 'ann@example.org', consent: form })).subscriber.cadence).toBe('daily')
    expect((await daily.subscribe({ email: 'bob@example.org', cadence: 'weekly', consent: form })).subscriber.cadence).toBe('weekly')
    const ann = (await store.getByEmail('ann@example.org'))!
    expect(await store.setPreferences(ann.id, { cadence: 'instant', tags: ['Rust'] })).toBe(true)
    expect(await store.get(ann.id)).toMatchObject({ cadence: 'instant', tags: ['Rust'] })
    expect(await store.setPreferences('0'.repeat(32), { cadence: 'daily' })).toBe(false)
    await expect(store.setPreferences(ann.id, { cadence: 'hourly' as never })).rejects.toMatchObject({ code: 'SUBSCRIBER_INVALID' })
    expect((await store.importRecord({ email: 'carol@example.org', cadence: 'weekly' })).outcome).toBe('created')
    expect((await store.getByEmail('carol@example.org'))?.cadence).toBe('weekly')
  })

  it('fails fast without its dependencies', () => {
    expect(() => new SubscriberStore({ prefix: 'x' } as never)).toThrow(/Redis/)
  })
})
