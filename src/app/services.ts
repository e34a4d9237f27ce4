import { readFile } from 'node:fs/promises'
import path from 'node:path'
import type { Redis } from 'ioredis'
import type { DKIMOptions } from 'nodemailer'
import { BounceStore } from '../bounces/store.js'
import { verpAddress, verpKey } from '../bounces/verp.js'
import { type Config, stateDir } from '../config.js'
import { DigestComposer } from '../digest/compose.js'
import { WELCOME_POSTS } from '../digest/welcome.js'
import { AnnouncementLedger } from '../editions/announcements.js'
import { EditionStore } from '../editions/store.js'
import { HeraldError } from '../errors.js'
import { type SiteKeys, siteKeys } from '../infra/keys.js'
import { openRedis, type RedisHandle, watchConnection } from '../infra/redis.js'
import { claimSite, DATA_SCHEMA, recordSchema } from '../infra/site-record.js'
import { localImageSizes } from '../mail/image-files.js'
import { loadTemplate } from '../mail/render.js'
import { createTransport, type MailTransport } from '../mail/transport.js'
import { CycleStatsStore } from '../publishing/cycle-stats.js'
import type { HeraldQueues } from '../queue/queues.js'
import type { SendLocks } from '../queue/send-lock.js'
import { SubscriberHistory } from '../subscribers/history.js'
import { migrateToAsciiDomainIds } from '../subscribers/migrate.js'
import { resolveSecret } from '../subscribers/secret.js'
import { SubscriberStore } from '../subscribers/store.js'
import { TokenSigner } from '../subscribers/tokens.js'
import { Bounces } from './bounces.js'
import type { AppContext } from './context.js'
import { latestPosts } from './site-posts.js'
import { Subscriptions } from './subscriptions.js'

/**
 * Everything the commands and the web service use, built once from the configuration: the one place where Redis is
 * opened and the stores, queues and mail transport are made. Parts that cost a module load or a connection (the
 * queues, the SMTP pool, the digest composer, the send locks) are made on first use.
 */
export interface SiteServices {
  readonly context: AppContext
  readonly redis: RedisHandle
  readonly keys: SiteKeys
  readonly announcements: AnnouncementLedger
  readonly editions: EditionStore
  readonly subscribers: SubscriberStore
  /** Each subscriber's returned-mail events. */
  readonly history: SubscriberHistory
  /** Returned mail: bounces, complaints, auto-replies from the SMTP listener, `herald bounces ingest` and webhooks. */
  readonly bounces: Bounces
  readonly bounceStore: BounceStore
  readonly tokens: TokenSigner
  readonly cycles: CycleStatsStore
  readonly subscriptions: Subscriptions
  queues(): Promise<HeraldQueues>
  /** Pooled SMTP or the outbox, DKIM-signing when `email.dkim` is set. */
  transport(): MailTransport
  composer(): Promise<DigestComposer>
  locks(): Promise<SendLocks>
  close(): Promise<void>
}

/** Headers DKIM signs: the usual ones plus both List-Unsubscribe headers (RFC 8058 asks for them to be signed). */
export const DKIM_SIGNED_HEADERS =
  'from:sender:reply-to:subject:date:message-id:to:cc:mime-version:content-type:list-id:list-unsubscribe:list-unsubscribe-post'

/** What a caller may supply instead of what the configuration says (benchmarks, tests). */
export interface ServiceOverrides {
  /** Used instead of the SMTP pool or outbox of the configuration. */
  readonly transport?: MailTransport
  /** Longest a Redis command may wait (the web service: answer within seconds even when Redis is away). */
  readonly redisCommandTimeoutMs?: number
}

/** How long a command line waits for a Redis that went away before it gives up (exit 1). */
export const REDIS_GRACE_MS = 60_000

/** Opens the site's services for `use` and closes them afterwards, whatever happens. */
export async function withServices<T>(context: AppContext, use: (services: SiteServices) => Promise<T>): Promise<T> {
  const services = await openServices(context)
  try {
    return await use(services)
  } finally {
    await services.close()
  }
}

/** Opens the site's services. Close them with `close()`; nothing is left running. */
export async function openServices(context: AppContext, overrides: ServiceOverrides = {}): Promise<SiteServices> {
  const { config, logger } = context
  const dkim = await loadDkim(context)
  const secret = await resolveSecret({ envSecret: config.env.secret, stateDir: stateDir(config.siteDir), logger })
  const tokens = new TokenSigner({ secret, confirmTtlDays: config.confirmTtlDays })
  const redis = await openRedis(
    config,
    logger,
    overrides.redisCommandTimeoutMs ? { commandTimeoutMs: overrides.redisCommandTimeoutMs } : {},
  )
  const stopWatching = context.onRedisLost ? watchConnection(redis, REDIS_GRACE_MS, context.onRedisLost) : () => {}
  const prefix = config.env.prefix
  const connection = redis.redis
  const keys = siteKeys(prefix)
  try {
    await prepareData(context, connection, keys)
  } catch (error) {
    await redis.close()
    throw error
  }
  let transport: MailTransport | undefined = overrides.transport
  let queues: Promise<HeraldQueues> | undefined
  let composer: Promise<DigestComposer> | undefined
  let locks: Promise<SendLocks> | undefined
  const openTransport = () => (transport ??= createTransport({ config, logger, ...(dkim ? { dkim } : {}) }))
  const subscribers = new SubscriberStore({ redis: connection, prefix, defaultCadence: config.email.defaultCadence })
  const history = new SubscriberHistory({ redis: connection, prefix })
  const editions = new EditionStore({ redis: connection, prefix })
  const bounceStore = new BounceStore({ redis: connection, prefix })
  const tagKey = verpKey(secret)
  const bounceAddress = config.email.bounceAddress
  // The transport is only opened when a confirmation email is actually sent.
  const lazyTransport: MailTransport = {
    get kind() {
      return openTransport().kind
    },
    send: (message) => openTransport().send(message),
    sendRaw: (message) => openTransport().sendRaw(message),
    verify: () => openTransport().verify(),
    close: async () => {},
  }
  return {
    context,
    redis,
    keys,
    announcements: new AnnouncementLedger({ redis: connection, prefix }),
    editions,
    subscribers,
    history,
    bounceStore,
    bounces: new Bounces({ config, subscribers, history, editions, store: bounceStore, verpKey: tagKey, logger }),
    tokens,
    cycles: new CycleStatsStore({ redis: connection, prefix }),
    subscriptions: new Subscriptions({
      config,
      store: subscribers,
      tokens,
      transport: lazyTransport,
      logger,
      latestPosts: () => latestPosts(context, WELCOME_POSTS),
    }),
    queues() {
      queues ??= import('../queue/queues.js').then(({ openQueues }) => openQueues(connection, prefix, throttled(logger)))
      return queues
    },
    transport: openTransport,
    composer() {
      // With email.bounce_address, each message's envelope sender is its own signed VERP address (bounces/verp.ts).
      const envelopeSender = bounceAddress
        ? { envelopeSender: (editionId: string, subscriberId: string) => verpAddress(bounceAddress, editionId, subscriberId, tagKey) }
        : {}
      composer ??= loadTemplate('digest', { siteDir: config.siteDir }).then(
        (template) => new DigestComposer({ config, template, tokens, logger, imageSize: siteImageSizes(config), ...envelopeSender }),
      )
      return composer
    },
    locks() {
      locks ??= import('../queue/send-lock.js').then(
        ({ SendLocks }) => new SendLocks({ redis: connection, prefix, heartbeatMs: config.env.stallMs }),
      )
      return locks
    },
    async close() {
      stopWatching()
      await (await locks)?.stop()
      await (await queues)?.close()
      await transport?.close()
      await redis.close()
    },
  }
}

/** Sizes of the site's own images, read from the output folder or the site folder (Nikola's `images/`, `files/`). */
export function siteImageSizes(config: Config) {
  return localImageSizes(config.site.url, [config.outputDir, config.siteDir, path.join(config.siteDir, 'files')])
}

/** A queue error reporter that says so at most every 10 s (Redis away means one error per command). */
function throttled(logger: AppContext['logger']): (error: Error) => void {
  let last = 0
  return (error) => {
    if (Date.now() - last < 10_000) return
    last = Date.now()
    logger.warn(`queue: ${error.message}`)
  }
}

/** Checks that the data under the prefix is this site's, and brings its layout up to date (once, under a lock). */
async function prepareData(context: AppContext, redis: Redis, keys: SiteKeys): Promise<void> {
  const site = await claimSite(redis, keys, context.config.site.url, context.config.env.prefix)
  if (site.schema >= DATA_SCHEMA) return
  // Another process may be migrating: wait for it rather than migrate twice at once.
  for (let attempt = 0; attempt < 300; attempt++) {
    if ((await redis.set(keys.migrationLock(), String(process.pid), 'PX', 120_000, 'NX')) === 'OK') break
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  try {
    if (Number(await redis.hget(keys.site(), 'schema')) >= DATA_SCHEMA) return
    context.logger.info(`updating the data layout under "${context.config.env.prefix}" from version ${site.schema} to ${DATA_SCHEMA}`)
    await migrateToAsciiDomainIds(redis, keys, context.logger)
    await recordSchema(redis, keys)
  } finally {
    await redis.del(keys.migrationLock())
  }
}

async function loadDkim(context: AppContext): Promise<DKIMOptions | null> {
  const settings = context.config.email.dkim
  if (!settings) return null
  let privateKey: string
  try {
    privateKey = await readFile(settings.privateKeyFile, 'utf8')
  } catch (error) {
    throw new HeraldError('CONFIG_INVALID', `cannot read the DKIM private key: ${(error as Error).message}`, {
      field: 'email.dkim.private_key_file',
    })
  }
  return { domainName: settings.domain, keySelector: settings.selector, privateKey, headerFieldNames: DKIM_SIGNED_HEADERS }
}
