import { rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { EditionStore } from '../../src/editions/store.js'
import { type SubscriberEvent, SubscriberHistory } from '../../src/subscribers/history.js'
import { SubscriberStore } from '../../src/subscribers/store.js'
import { type HeraldResult, runHerald } from './cli.js'
import { type TestRedis, useTestRedis } from './redis.js'
import { makeSite, post, siteConfig } from './site.js'
import { type SmtpSink, startSmtpSink } from './smtp.js'

export const BOUNCE_SECRET = 'bounce-test-secret-0123456789-abcdefghijklmnop'
export const BOUNCE_ADDRESS = 'bounces@blog.example.org'

/** A site with `email.bounce_address`, its subscribers, and the digests it sent into an SMTP sink. */
export interface BounceSite {
  readonly dir: string
  readonly env: NodeJS.ProcessEnv
  readonly redis: TestRedis
  readonly sink: SmtpSink
  readonly subscribers: SubscriberStore
  readonly history: SubscriberHistory
  readonly editions: EditionStore
  /** `herald <argv> --site <dir>` in this process. */
  herald(...argv: string[]): Promise<HeraldResult>
  /** A new post, then `herald run`: the next edition goes to every active subscriber. */
  publish(slug: string): Promise<HeraldResult>
  /** The envelope sender (VERP address) of the latest digest to `email` (or of the `index`-th). */
  verp(email: string, index?: number): string
  /** The Message-ID of the latest digest to `email` (or of the `index`-th). */
  messageId(email: string, index?: number): string
  /** The id of the latest edition (or of the `index`-th, oldest first). */
  edition(index?: number): string
  status(email: string): Promise<string | undefined>
  events(email: string): Promise<SubscriberEvent[]>
  close(): Promise<void>
}

/**
 * Makes the site, subscribes `subscribers` (active) and sends them a first edition through a real SMTP sink with
 * `herald run --announce-latest 1`, so the VERP addresses and the send ledger are the real send path's.
 */
export async function startBounceSite(options: { subscribers: readonly string[]; bounces?: string; label?: string }): Promise<BounceSite> {
  const redis = await useTestRedis(options.label ?? 'bounce')
  const sink = await startSmtpSink()
  const config = siteConfig(
    [
      'email:',
      '  from: "Test Blog <news@blog.example.org>"',
      `  bounce_address: ${BOUNCE_ADDRESS}`,
      '  postal_address: "1 Test Street, Testville"',
      '  attempts: 2',
      '  backoff_ms: 50',
      '  run_wait_s: 30',
      ...(options.bounces ? ['  bounces:', ...options.bounces.split('\n').map((line) => `    ${line}`)] : []),
      'http:',
      '  public_url: https://news.example.org/',
    ].join('\n'),
  )
  const dir = await makeSite({ 'posts/first.rst': post({ title: 'First post', slug: 'first', date: '2024-01-01 10:00' }) }, config)
  const env = {
    REDIS_URL: redis.url,
    HERALD_PREFIX: redis.prefix,
    SMTP_URL: sink.url,
    HERALD_SECRET: BOUNCE_SECRET,
    HERALD_STALL_MS: '1000',
  }
  const subscribers = new SubscriberStore({ redis: redis.redis, prefix: redis.prefix })
  for (const email of options.subscribers) await subscribers.subscribe({ email, confirmed: true, consent: { source: 'cli' } })
  const herald = (...argv: string[]) => runHerald([...argv, '--site', dir], env)
  const first = await herald('run', '--announce-latest', '1')
  if (first.code !== 0) throw new Error(`herald run failed (${first.code}): ${first.stderr}`)
  const messagesTo = (email: string) => sink.messages.filter((message) => message.envelopeTo.includes(email.toLowerCase()))
  const pick = <T>(list: readonly T[], index: number | undefined, what: string): T => {
    const item = list.at(index ?? -1)
    if (item === undefined) throw new Error(`no ${what}`)
    return item
  }
  const editionIds = () => [...new Set(sink.messages.map((message) => String(message.parsed.headers.get('x-herald-edition'))))]
  return {
    dir,
    env,
    redis,
    sink,
    subscribers,
    history: new SubscriberHistory({ redis: redis.redis, prefix: redis.prefix }),
    editions: new EditionStore({ redis: redis.redis, prefix: redis.prefix }),
    herald,
    async publish(slug) {
      await writeFile(path.join(dir, 'posts', `${slug}.rst`), post({ title: `Post ${slug}`, slug, date: '2024-02-01 10:00' }))
      return herald('run')
    },
    verp: (email, index) => pick(messagesTo(email), index, `digest to ${email}`).envelopeFrom,
    messageId: (email, index) => pick(messagesTo(email), index, `digest to ${email}`).parsed.messageId ?? '',
    edition: (index) => pick(editionIds(), index, 'edition'),
    async status(email) {
      return (await subscribers.getByEmail(email))?.status
    },
    async events(email) {
      const subscriber = await subscribers.getByEmail(email)
      return subscriber ? new SubscriberHistory({ redis: redis.redis, prefix: redis.prefix }).list(subscriber.id) : []
    },
    async close() {
      await sink.close()
      await redis.cleanup()
      await rm(dir, { recursive: true, force: true })
    },
  }
}
