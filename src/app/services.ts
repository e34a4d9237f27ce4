import { readFile } from 'node:fs/promises'
import type { DKIMOptions } from 'nodemailer'
import { HeraldError } from '../errors.js'
import { DigestComposer } from '../digest/compose.js'
import { EditionStore } from '../editions/store.js'
import { loadTemplate } from '../mail/render.js'
import { createTransport, type MailTransport } from '../mail/transport.js'
import { PublishingLedger } from '../editions/announcements.js'
import { CycleStatsStore } from '../publishing/cycle-stats.js'
import { openQueues, type HeraldQueues } from '../queue/queues.js'
import { SendLocks } from '../queue/send-lock.js'
import { resolveSecret } from '../subscribers/secret.js'
import { SubscriberStore } from '../subscribers/store.js'
import { TokenSigner } from '../subscribers/tokens.js'
import { openRedis, type RedisHandle } from '../infra/redis.js'
import type { SiteContext } from '../cli/runtime.js'
import { stateDir } from './site-posts.js'

/** Everything the digest pipeline uses, built once from config. The one place where connections are made. */
export interface DigestServices {
  readonly redis: RedisHandle
  readonly ledger: PublishingLedger
  readonly editions: EditionStore
  readonly subscribers: SubscriberStore
  readonly tokens: TokenSigner
  readonly queues: HeraldQueues
  readonly cycles: CycleStatsStore
  /** Created on first use (a `status` or `preview` never opens an SMTP pool). */
  transport(): MailTransport
  composer(): Promise<DigestComposer>
  locks(): SendLocks
  close(): Promise<void>
}

/** Headers DKIM signs: the usual ones plus both List-Unsubscribe headers (RFC 8058 asks for them to be signed). */
export const DKIM_SIGNED_HEADERS = 'from:sender:reply-to:subject:date:message-id:to:cc:mime-version:content-type:list-id:list-unsubscribe:list-unsubscribe-post'

/** The link signer for a site (HERALD_SECRET, or the generated one in `<site>/.herald/secret`). */
export async function openTokenSigner(context: SiteContext): Promise<TokenSigner> {
  const secret = await resolveSecret({ envSecret: context.config.env.secret, stateDir: stateDir(context.config.siteDir), logger: context.logger })
  return new TokenSigner({ secret, confirmTtlDays: context.config.confirmTtlDays })
}

/** Just the subscriber store, for commands that need nothing else; `close` releases the connection. */
export async function openSubscriberStore(context: SiteContext): Promise<{ store: SubscriberStore; redis: RedisHandle; close(): Promise<void> }> {
  const redis = await openRedis(context.config, context.logger)
  const store = new SubscriberStore({ redis: redis.redis, prefix: context.config.env.prefix })
  return { store, redis, close: () => redis.close() }
}

/** Wires config → Redis → stores, queues, tokens, composer, transport. */
export async function openDigestServices(context: SiteContext): Promise<DigestServices> {
  const { config, logger } = context
  const tokens = await openTokenSigner(context)
  const redis = await openRedis(config, logger)
  const prefix = config.env.prefix
  const queues = openQueues(redis.redis, prefix)
  let transport: MailTransport | undefined
  let composer: Promise<DigestComposer> | undefined
  let locks: SendLocks | undefined
  const dkim = await loadDkim(context)
  return {
    redis,
    ledger: new PublishingLedger({ redis: redis.redis, prefix }),
    editions: new EditionStore({ redis: redis.redis, prefix }),
    subscribers: new SubscriberStore({ redis: redis.redis, prefix }),
    tokens,
    queues,
    cycles: new CycleStatsStore({ redis: redis.redis, prefix }),
    transport() {
      transport ??= createTransport({ config, logger, ...(dkim ? { dkim } : {}) })
      return transport
    },
    composer() {
      composer ??= loadTemplate('digest', { siteDir: config.siteDir }).then((template) => new DigestComposer({ config, template, tokens }))
      return composer
    },
    locks() {
      locks ??= new SendLocks({ redis: redis.redis, prefix, heartbeatMs: config.env.stallMs })
      return locks
    },
    async close() {
      await locks?.stop()
      await queues.close()
      await transport?.close()
      await redis.close()
    },
  }
}

async function loadDkim(context: SiteContext): Promise<DKIMOptions | null> {
  const settings = context.config.email.dkim
  if (!settings) return null
  let privateKey: string
  try {
    privateKey = await readFile(settings.privateKeyFile, 'utf8')
  } catch (error) {
    throw new HeraldError('CONFIG_INVALID', `cannot read the DKIM private key: ${(error as Error).message}`, { field: 'email.dkim.private_key_file' })
  }
  return { domainName: settings.domain, keySelector: settings.selector, privateKey, headerFieldNames: DKIM_SIGNED_HEADERS }
}
