import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMetricsRegistry, registerPipelineMetrics, registerSubscriberMetrics } from '../../src/app/metrics.js'
import { Subscriptions } from '../../src/app/subscriptions.js'
import { parseConfig } from '../../src/config-parse.js'
import { EditionStore } from '../../src/editions/store.js'
import { createServer } from '../../src/http/server.js'
import { openRedis, type RedisHandle, watchConnection } from '../../src/infra/redis.js'
import { silentLogger } from '../../src/log.js'
import { createOutboxTransport } from '../../src/mail/outbox.js'
import { CycleStatsStore } from '../../src/publishing/cycle-stats.js'
import { openQueues } from '../../src/queue/queues.js'
import { SubscriberStore } from '../../src/subscribers/store.js'
import { TokenSigner } from '../../src/subscribers/tokens.js'
import { makeSite, siteConfig } from '../support/site.js'
import { FEEDS, form } from './support.js'

// A Redis of our own, so that it can be killed: the web service must keep answering, within 2 s, with 503 where it
// needs Redis, and a command must give up after a bounded wait instead of hanging.
let dir: string
let server: ChildProcess
let handle: RedisHandle
let app: FastifyInstance
let base: string
let tokens: TokenSigner
let subscriberId: string

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'herald-redis-down-'))
  const socket = path.join(dir, 'redis.sock')
  server = spawn('redis-server', ['--port', '0', '--unixsocket', socket, '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
  const site = await makeSite(FEEDS, siteConfig('http:\n  subscribe_rate_limit: 1000'))
  const config = parseConfig(siteConfig('http:\n  subscribe_rate_limit: 1000'), site, {
    REDIS_URL: `unix://${socket}`,
    HERALD_PREFIX: 'down',
  })
  for (let attempt = 0; attempt < 50 && !handle; attempt++) {
    handle = await openRedis(config, silentLogger(), { commandTimeoutMs: 1500 }).catch(async () => {
      await new Promise((resolve) => setTimeout(resolve, 100))
      return undefined as never
    })
  }
  const store = new SubscriberStore({ redis: handle.redis, prefix: 'down' })
  tokens = new TokenSigner({ secret: 'd'.repeat(48) })
  const logger = silentLogger()
  const transport = createOutboxTransport({ dir: path.join(dir, 'outbox') })
  subscriberId = (await store.subscribe({ email: 'ann@example.org', confirmed: true, consent: { source: 'cli' } })).subscriber.id
  const metrics = createMetricsRegistry()
  registerSubscriberMetrics(metrics, store, logger)
  const queues = openQueues(handle.redis, 'down')
  registerPipelineMetrics(
    metrics,
    {
      editions: new EditionStore({ redis: handle.redis, prefix: 'down' }),
      queues,
      cycles: new CycleStatsStore({ redis: handle.redis, prefix: 'down' }),
    },
    logger,
  )
  app = await createServer({
    config,
    subscriptions: new Subscriptions({ config, store, tokens, transport, logger }),
    redis: handle.redis,
    logger,
    metrics,
  })
  base = `${await app.listen({ port: 0, host: '127.0.0.1' })}/`
  server.kill('SIGKILL')
  await new Promise((resolve) => server.once('exit', resolve))
})

afterAll(async () => {
  await app?.close()
  handle?.redis.disconnect()
  await rm(dir, { recursive: true, force: true })
})

async function timed(url: string, init?: RequestInit): Promise<{ status: number; ms: number; retryAfter: string | null; body: string }> {
  const started = Date.now()
  const response = await fetch(url, init)
  const body = await response.text()
  return { status: response.status, ms: Date.now() - started, retryAfter: response.headers.get('retry-after'), body }
}

describe('Redis down: herald serve', () => {
  it('answers every route within 2 s: 503 with Retry-After where it needs Redis, the rest as usual', async () => {
    const unsubscribe = `unsubscribe?token=${tokens.unsubscribeToken(subscriberId)}`
    const confirm = `confirm?token=${tokens.confirmToken(subscriberId)}`
    const needsRedis: Array<[string, RequestInit | undefined]> = [
      ['subscribe', form({ email: 'new@example.org' })],
      [confirm, { method: 'POST' }],
      [unsubscribe, form({ 'List-Unsubscribe': 'One-Click' })],
      ['healthz', undefined],
    ]
    for (const [route, init] of needsRedis) {
      const answer = await timed(base + route, init)
      expect(answer.ms, route).toBeLessThan(2000)
      expect(answer.status, route).toBe(503)
      if (route !== 'healthz') {
        expect(answer.retryAfter, route).toBe('30')
        expect(answer.body, route).toContain('unavailable for a moment')
      }
    }
    const metrics = await timed(`${base}metrics`)
    expect(metrics.ms).toBeLessThan(2000)
    expect(metrics.status).toBe(200)
    // Pages and feeds need no Redis at all.
    for (const route of ['subscribe', unsubscribe, confirm, 'rss.xml']) {
      const answer = await timed(base + route)
      expect(answer.ms, route).toBeLessThan(2000)
      expect(answer.status, route).toBe(200)
    }
  })
})

describe('Redis down: a command', () => {
  it('is told after a bounded wait, with a message that says what happened and that nothing is lost', async () => {
    const lost = await new Promise<string>((resolve) => watchConnection(handle, 300, resolve))
    expect(lost).toMatch(/lost the connection to Redis at unix:.* for 0 s .*nothing recorded is lost/)
  })
})
