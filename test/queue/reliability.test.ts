import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { DelayedError, type Job, UnrecoverableError, Worker } from 'bullmq'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { parseConfig } from '../../src/config-parse.js'
import { AnnouncementLedger } from '../../src/editions/announcements.js'
import { EditionStore } from '../../src/editions/store.js'
import { siteKeys } from '../../src/infra/keys.js'
import { openRedis } from '../../src/infra/redis.js'
import { silentLogger } from '../../src/log.js'
import { createFanoutProcessor } from '../../src/queue/fanout-job.js'
import { type EditionJobData, ensureJobs, type HeraldQueues, openQueues, sendJobId } from '../../src/queue/queues.js'
import { SendLocks } from '../../src/queue/send-lock.js'
import { sendPlan } from '../../src/queue/workers.js'
import { SubscriberStore } from '../../src/subscribers/store.js'
import { type TestRedis, useTestRedis } from '../support/redis.js'
import { siteConfig } from '../support/site.js'

let redis: TestRedis
let queues: HeraldQueues

beforeEach(async () => {
  redis = await useTestRedis('rel')
  queues = openQueues(redis.redis, redis.prefix)
})

afterEach(async () => {
  await queues.close()
  await redis.cleanup()
})

const fakeJob = (data: EditionJobData) =>
  ({ data, updateProgress: async () => {}, moveToDelayed: vi.fn(async () => {}) }) as unknown as Job<EditionJobData> & {
    moveToDelayed: ReturnType<typeof vi.fn>
  }

async function editionWithSubscribers(
  count: number,
): Promise<{ editionId: string; subscribers: SubscriberStore; editions: EditionStore; ids: string[] }> {
  const subscribers = new SubscriberStore({ redis: redis.redis, prefix: redis.prefix })
  const editions = new EditionStore({ redis: redis.redis, prefix: redis.prefix })
  const ledger = new AnnouncementLedger({ redis: redis.redis, prefix: redis.prefix })
  const ids: string[] = []
  for (let index = 0; index < count; index++) {
    ids.push((await subscribers.subscribe({ email: `s${index}@example.org`, confirmed: true, consent: { source: 'cli' } })).subscriber.id)
  }
  // Announced after they subscribed: a subscriber gets what is announced from then on.
  const claimed = await ledger.claimEdition([{ feedId: 'p', snapshot: JSON.stringify({ feedId: 'p', tags: [] }) }])
  return { editionId: claimed!.editionId, subscribers, editions, ids }
}

describe('send locks', () => {
  it('are held against a live worker, and only the holder releases them', async () => {
    const locks = new SendLocks({ redis: redis.redis, prefix: redis.prefix })
    const other = new SendLocks({ redis: redis.redis, prefix: redis.prefix })
    await Promise.all([locks.start(), other.start()])
    const first = await locks.acquireMany(['s'])
    expect([...first.taken]).toEqual([['s', null]])
    expect((await other.acquireMany(['s'])).taken.size).toBe(0)
    await other.releaseMany(['s'], 'someone-else|x')
    expect((await other.acquireMany(['s'])).taken.size).toBe(0)
    await locks.releaseMany(['s'], first.holder)
    expect((await other.acquireMany(['s'])).taken.has('s')).toBe(true)
    await Promise.all([locks.stop(), other.stop()])
  })

  it('are never taken over within the process holding them, even when its heartbeat lapsed', async () => {
    // Not started: no heartbeat at all, as after an event loop blocked past HERALD_STALL_MS, when BullMQ hands the
    // stalled job to this same worker again while the first execution is still talking to the server.
    const busy = new SendLocks({ redis: redis.redis, prefix: redis.prefix, heartbeatMs: 200 })
    const first = await busy.acquireMany(['s', 't'])
    expect([...first.taken.keys()]).toEqual(['s', 't'])
    const second = await busy.acquireMany(['s', 't', 'u'])
    expect([...second.taken.keys()]).toEqual(['u'])
    // Another process does take them over: for it, a lapsed heartbeat is a dead worker.
    const other = new SendLocks({ redis: redis.redis, prefix: redis.prefix, heartbeatMs: 200 })
    await other.start()
    expect((await other.acquireMany(['t'])).taken.has('t')).toBe(true)
    // Released, they can be taken again here; a release by another holder changes nothing.
    await busy.releaseMany(['s'], second.holder)
    expect((await busy.acquireMany(['s'])).taken.size).toBe(0)
    await busy.releaseMany(['s', 't'], first.holder)
    expect([...(await busy.acquireMany(['s'])).taken.keys()]).toEqual(['s'])
    await other.stop()
  })

  it('are taken over from a worker whose heartbeat stopped', async () => {
    const dead = new SendLocks({ redis: redis.redis, prefix: redis.prefix, workerId: 'dead-worker', heartbeatMs: 300 })
    await dead.start()
    expect((await dead.acquireMany(['s'])).taken.has('s')).toBe(true)
    const alive = new SendLocks({ redis: redis.redis, prefix: redis.prefix, heartbeatMs: 300 })
    await alive.start()
    expect((await alive.acquireMany(['s'])).taken.size).toBe(0)
    await dead.stop()
    expect((await alive.acquireMany(['s'])).taken.get('s')).toMatch(/^dead-worker\|/)
    await alive.stop()
  })
})

describe('fan-out', () => {
  it('repairs after a crash in its first batch: every queued recipient gets a job, even one who left meanwhile', async () => {
    const { editionId, subscribers, editions, ids } = await editionWithSubscribers(3)
    const fanout = createFanoutProcessor({ editions, subscribers, queues, sendOptions: {}, logger: silentLogger(), batchSize: 10 })
    const addBulk = vi.spyOn(queues.sends, 'addBulk').mockRejectedValueOnce(new Error('connection lost'))
    await expect(fanout(fakeJob({ editionId }))).rejects.toThrow('connection lost')
    addBulk.mockRestore()
    await subscribers.unsubscribe(ids[1]!)

    const result = await fanout(fakeJob({ editionId }))
    expect(result.repaired).toBe(3)
    const queued = (await queues.sends.getJobs(['waiting', 'delayed', 'prioritized'])).flatMap((job) => job.data.subscriberIds)
    expect([...new Set(queued)].sort()).toEqual([...ids].sort())
    expect(await queues.sends.getJob(sendJobId(editionId, [...ids].sort()))).toBeTruthy()
    expect(await editions.get(editionId)).toMatchObject({ expected: 3, fanout: 'done' })
  })

  it('stops at a batch boundary when the worker shuts down while waiting for room, without using an attempt', async () => {
    const { editionId, subscribers, editions } = await editionWithSubscribers(4)
    const stopping = new AbortController()
    const fanout = createFanoutProcessor({
      editions,
      subscribers,
      queues,
      sendOptions: {},
      logger: silentLogger(),
      batchSize: 2,
      sendBatchSize: 1,
      highWater: 1,
      signal: stopping.signal,
      sleep: async () => stopping.abort(),
    })
    const job = fakeJob({ editionId })
    await expect(fanout(job, 'token')).rejects.toBeInstanceOf(DelayedError)
    expect(job.moveToDelayed).toHaveBeenCalledWith(expect.any(Number), 'token')
    const edition = await editions.get(editionId)
    expect(edition).toMatchObject({ fanout: 'pending', expected: 2 })
    expect(edition!.fanoutCursor).not.toBeNull()
  })
})

describe('re-queueing', () => {
  it('revives a job that already failed for good (BullMQ would ignore a plain add with its id)', async () => {
    await queues.editions.add('fanout', { editionId: 'x' }, { jobId: 'edition-x', attempts: 1 })
    let calls = 0
    const worker = new Worker<EditionJobData>(
      'editions',
      async () => {
        calls++
        if (calls === 1) throw new UnrecoverableError('first time fails')
      },
      { connection: redis.redis, prefix: siteKeys(redis.prefix).root },
    )
    await vi.waitFor(async () => expect(await (await queues.editions.getJob('edition-x'))!.isFailed()).toBe(true), { timeout: 5000 })
    await queues.editions.add('fanout', { editionId: 'x' }, { jobId: 'edition-x' })
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(calls).toBe(1)
    await ensureJobs(queues.editions, [{ name: 'fanout', data: { editionId: 'x' }, opts: { jobId: 'edition-x' } }])
    await vi.waitFor(() => expect(calls).toBe(2), { timeout: 5000 })
    await worker.close()
  })
})

describe('rate limit', () => {
  it('batches recipients to the rate and keeps fractional rates (0.2 msg/s is one message per 5 s, not one per second)', () => {
    expect(sendPlan(0)).toEqual({ batchSize: 50, limiter: null })
    expect(sendPlan(0.2)).toEqual({ batchSize: 1, limiter: { max: 1, duration: 5000 } })
    expect(sendPlan(10)).toEqual({ batchSize: 10, limiter: { max: 1, duration: 1000 } })
    expect(sendPlan(200)).toEqual({ batchSize: 50, limiter: { max: 1, duration: 250 } })
  })
})

describe('private redis-server', () => {
  it('closes cleanly even when the server already died', async () => {
    const site = await mkdtemp(path.join(tmpdir(), 'herald-private-'))
    try {
      const config = parseConfig(siteConfig(), site, {})
      const handle = await openRedis(config, silentLogger(), { defaultUrl: 'redis://127.0.0.1:1' })
      const pid = Number(await readFile(path.join(site, '.herald/redis/server.pid'), 'utf8'))
      process.kill(pid, 'SIGTERM')
      await vi.waitFor(() => expect(() => process.kill(pid, 0)).toThrow(), { timeout: 5000 })
      await expect(
        Promise.race([handle.close().then(() => 'closed'), new Promise((resolve) => setTimeout(() => resolve('hung'), 3000))]),
      ).resolves.toBe('closed')
    } finally {
      await rm(site, { recursive: true, force: true })
    }
  })
})
