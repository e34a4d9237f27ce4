import { PassThrough, Readable } from 'node:stream'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { exportSubscribers, importSubscribers } from '../../src/subscribers/csv.js'
import { type SubscriberEvent, SubscriberHistory } from '../../src/subscribers/history.js'
import { SubscriberStore } from '../../src/subscribers/store.js'
import { type TestRedis, useTestRedis } from '../support/redis.js'

let test: TestRedis
let store: SubscriberStore
let history: SubscriberHistory

beforeEach(async () => {
  test = await useTestRedis('hist')
  store = new SubscriberStore({ redis: test.redis, prefix: test.prefix })
  history = new SubscriberHistory({ redis: test.redis, prefix: test.prefix, limit: 3 })
})
afterEach(() => test.cleanup())

const event = (fields: Partial<SubscriberEvent> = {}): SubscriberEvent =>
  SubscriberHistory.event({
    at: '2030-01-01T00:00:00.000Z',
    kind: 'hard',
    source: 'ingest',
    editionId: '0123456789abcdef0123',
    status: '5.1.1',
    diagnostic: '550 5.1.1 user\r\nunknown',
    outcome: 'bounced',
    ...fields,
  })

async function subscriber(email: string) {
  return (await store.subscribe({ email, confirmed: true, consent: { source: 'cli' } })).subscriber
}

describe('subscriber history', () => {
  it('keeps the newest events up to its limit, with diagnostics made safe to show', async () => {
    const ann = await subscriber('ann@example.org')
    const events = [1, 2, 3, 4].map((n) => event({ status: `5.1.${n}` }))
    for (const entry of events) await history.record(ann.id, entry)
    const kept = await history.list(ann.id)
    expect(kept.map((entry) => entry.status)).toEqual(['5.1.4', '5.1.3', '5.1.2'])
    expect(kept[0]!.diagnostic).toBe('550 5.1.1 user unknown')
  })

  it('changes one event’s outcome, and is deleted with the subscriber', async () => {
    const ann = await subscriber('ann@example.org')
    const held = event({ outcome: 'held' })
    await history.record(ann.id, event())
    await history.record(ann.id, held)
    expect(await history.setOutcome(ann.id, held.id, 'discarded')).toBe(true)
    expect(await history.setOutcome(ann.id, 'no-such-event', 'bounced')).toBe(false)
    expect((await history.list(ann.id)).map((entry) => entry.outcome)).toEqual(['discarded', 'bounced'])
    await store.remove(ann.id)
    expect(await history.list(ann.id)).toEqual([])
    expect(await test.redis.exists(`{${test.prefix}}:events:${ann.id}`)).toBe(0)
  })

  it('undoes only the bounce its own event caused', async () => {
    const ann = await subscriber('ann@example.org')
    const bounce = event()
    await store.markBounced(ann.id, '550 5.1.1', bounce.id)
    expect(await store.undoBounce(ann.id, 'another-event')).toBe(false)
    expect(await store.undoBounce(ann.id, bounce.id)).toBe(true)
    expect(await store.get(ann.id)).toMatchObject({ status: 'active', bouncedAt: null, bounceReason: null })
    // A bounce from the send path (no event) is never undone by one.
    await store.markBounced(ann.id, '550 5.1.1 at RCPT')
    expect(await store.undoBounce(ann.id, bounce.id)).toBe(false)
  })

  it('notes why a subscriber unsubscribed, keeping the first reason', async () => {
    const ann = await subscriber('ann@example.org')
    await store.unsubscribe(ann.id, 'complaint')
    await store.unsubscribe(ann.id)
    expect(await store.get(ann.id)).toMatchObject({ status: 'unsubscribed', unsubscribeReason: 'complaint' })
    const bob = await subscriber('bob@example.org')
    await store.unsubscribe(bob.id)
    expect((await store.get(bob.id))!.unsubscribeReason).toBe('request')
  })

  it('goes into the export and comes back from it with the unsubscribe reason', async () => {
    const ann = await subscriber('ann@example.org')
    const events = [
      event({ kind: 'soft', status: '5.2.2', outcome: 'counted' }),
      event({ kind: 'complaint', status: null, outcome: 'unsubscribed' }),
    ]
    for (const entry of events) await history.record(ann.id, entry)
    await store.unsubscribe(ann.id, 'complaint')
    const output = new PassThrough()
    const chunks: Buffer[] = []
    output.on('data', (chunk: Buffer) => chunks.push(chunk))
    await exportSubscribers({ store, history, output })
    const csv = Buffer.concat(chunks).toString()

    const other = await useTestRedis('hist2')
    try {
      const restoredStore = new SubscriberStore({ redis: other.redis, prefix: other.prefix })
      const restoredHistory = new SubscriberHistory({ redis: other.redis, prefix: other.prefix })
      const report = await importSubscribers({ store: restoredStore, history: restoredHistory, input: Readable.from([Buffer.from(csv)]) })
      expect(report).toMatchObject({ created: 1, errors: [] })
      expect(await restoredStore.get(ann.id)).toMatchObject({ status: 'unsubscribed', unsubscribeReason: 'complaint' })
      expect(await restoredHistory.list(ann.id)).toEqual(await history.list(ann.id))
      // Importing again never rewrites an existing subscriber's history.
      await restoredHistory.record(ann.id, event({ kind: 'auto_reply', outcome: 'recorded' }))
      await importSubscribers({ store: restoredStore, history: restoredHistory, input: Readable.from([Buffer.from(csv)]) })
      expect(await restoredHistory.list(ann.id)).toHaveLength(3)
    } finally {
      await other.cleanup()
    }
    const broken = csv.replace(/"\[\{.*\}\]"/, '"not json"')
    const report = await importSubscribers({ store, history, input: Readable.from([Buffer.from(broken)]) })
    expect(report.errors).toEqual([{ line: 2, message: 'events: the events cell is not a JSON array' }])
  })
})
