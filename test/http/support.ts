import { readFile } from 'node:fs/promises'
import path from 'node:path'
import type { FastifyInstance } from 'fastify'
import { createMetricsRegistry, registerSubscriberMetrics } from '../../src/app/metrics.js'
import { Subscriptions } from '../../src/app/subscriptions.js'
import type { Config } from '../../src/config.js'
import { parseConfig } from '../../src/config-parse.js'
import { createServer, type ServerOptions } from '../../src/http/server.js'
import { silentLogger } from '../../src/log.js'
import { createSmtpTransport } from '../../src/mail/smtp.js'
import type { MailTransport } from '../../src/mail/transport.js'
import { SubscriberStore } from '../../src/subscribers/store.js'
import { TokenSigner } from '../../src/subscribers/tokens.js'
import { type TestRedis, useTestRedis } from '../support/redis.js'
import { makeSite, siteConfig } from '../support/site.js'
import type { SmtpSink } from '../support/smtp.js'

/** A running `herald serve` on port 0 with real Redis and a real SMTP sink. */
export interface TestService {
  readonly url: string
  readonly app: FastifyInstance
  readonly config: Config
  readonly store: SubscriberStore
  readonly tokens: TokenSigner
  readonly redis: TestRedis
  readonly transport: MailTransport
  readonly subscriptions: Subscriptions
  /** Moves the clock of store and tokens. */
  setNow(iso: string): void
  close(): Promise<void>
}

export const FEEDS = {
  'public/rss.xml': '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Test</title></channel></rss>',
  'public/feed.atom': '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Test</title></feed>',
  'public/feed.json': JSON.stringify({ version: 'https://jsonfeed.org/version/1.1', title: 'Test', items: [] }),
  'public/categories/fedora.xml': '<?xml version="1.0"?><rss version="2.0"><channel><title>fedora</title></channel></rss>',
  'public/.hidden.xml': '<secret/>',
  'public/notes.txt': 'not a feed',
  'secret.xml': '<outside/>',
}

export async function startService(options: {
  yaml?: string
  language?: string
  sink: SmtpSink
  extra?: Partial<ServerOptions>
  tags?: string[]
}): Promise<TestService> {
  const redis = await useTestRedis('http')
  const site = await makeSite(
    FEEDS,
    siteConfig(options.yaml ?? 'http:\n  subscribe_rate_limit: 1000', { language: options.language ?? 'en' }),
  )
  const config = parseConfig(await readFile(path.join(site, 'herald.yml'), 'utf8'), site, {
    HERALD_PREFIX: redis.prefix,
    SMTP_URL: options.sink.url,
  })
  let now = new Date()
  const clock = () => now
  const store = new SubscriberStore({ redis: redis.redis, prefix: redis.prefix, now: clock })
  const tokens = new TokenSigner({ secret: 'z'.repeat(48), confirmTtlDays: config.confirmTtlDays, now: clock })
  const transport = createSmtpTransport({ url: options.sink.url, logger: silentLogger() })
  const logger = silentLogger()
  const subscriptions = new Subscriptions({ config, store, tokens, transport, logger })
  const metrics = createMetricsRegistry()
  registerSubscriberMetrics(metrics, store, logger)
  const app = await createServer({
    config,
    subscriptions,
    redis: redis.redis,
    logger,
    metrics,
    tags: options.tags ?? ['Fedora', 'cloud'],
    ...options.extra,
  })
  const address = await app.listen({ port: 0, host: '127.0.0.1' })
  return {
    url: `${address}/`,
    app,
    config,
    store,
    tokens,
    redis,
    transport,
    subscriptions,
    setNow: (iso) => {
      now = new Date(iso)
    },
    async close() {
      await app.close()
      await transport.close()
      await redis.cleanup()
    },
  }
}

/** The confirm link in a received confirmation email's text part. */
export function confirmLink(text: string | undefined): string {
  const match = /https?:\/\/\S+\/confirm\?token=[A-Za-z0-9._%-]+/.exec(text ?? '')
  if (!match) throw new Error(`no confirm link in:\n${text}`)
  return match[0]
}

export const form = (fields: Record<string, string | string[]>) => {
  const body = new URLSearchParams()
  for (const [name, value] of Object.entries(fields)) for (const item of [value].flat()) body.append(name, item)
  return { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: body.toString() }
}
