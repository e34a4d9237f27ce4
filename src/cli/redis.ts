import { Redis } from 'ioredis'
import type { Config } from '../config.js'
import { HeraldError } from '../errors.js'
import type { Logger } from '../log.js'

/** Default Redis when `REDIS_URL` is unset. */
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379'

/** An open Redis connection and how to close it (and anything started for it). */
export interface RedisHandle {
  readonly redis: Redis
  readonly url: string
  close(): Promise<void>
}

const HOW_TO_GET_REDIS =
  'start one with "docker compose up -d redis", or install it ("apt-get install redis-server" on Debian/Ubuntu, "brew install redis" on macOS), or set REDIS_URL'

/**
 * Connects to `REDIS_URL` (default redis://127.0.0.1:6379) with settings BullMQ needs
 * (`maxRetriesPerRequest: null`). Fails with exit status 2 and directions when nothing answers.
 */
export async function openRedis(config: Config, logger: Logger): Promise<RedisHandle> {
  const url = config.env.redisUrl ?? DEFAULT_REDIS_URL
  const redis = await tryConnect(url)
  if (redis) {
    logger.debug({ redis: redactUrl(url) }, 'connected to Redis')
    return { redis, url, close: async () => void (await redis.quit().catch(() => redis.disconnect())) }
  }
  throw new HeraldError('REDIS_UNAVAILABLE', `no Redis answers at ${redactUrl(url)}: ${HOW_TO_GET_REDIS}`, { field: 'REDIS_URL' })
}

/** Connects and pings once; null when nothing answers within a few seconds. */
export async function tryConnect(url: string, timeoutMs = 3000): Promise<Redis | null> {
  const redis = new Redis(url, {
    maxRetriesPerRequest: null,
    lazyConnect: true,
    connectTimeout: timeoutMs,
    // Give up quickly while connecting; once connected, ioredis reconnects by itself.
    retryStrategy: (times) => (times > 3 ? null : 200 * times),
  })
  redis.on('error', () => {})
  try {
    await redis.connect()
    await redis.ping()
    // Connected: from now on keep reconnecting (a long-running worker must survive a Redis restart).
    redis.options.retryStrategy = (times) => Math.min(times * 200, 5000)
    return redis
  } catch {
    redis.disconnect()
    return null
  }
}

/** Hides the password in a Redis URL for logs and messages. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):([^@/]*)@/, '//$1:***@')
}
