import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'

/** A real Redis connection and a key prefix of its own; `cleanup` deletes every key under the prefix. */
export interface TestRedis {
  readonly redis: Redis
  /** Unique per call, with a cluster hash tag like production prefixes: `htest-ab12cd`. */
  readonly prefix: string
  readonly url: string
  cleanup(): Promise<void>
}

export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'

/** Connects to the test Redis (`TEST_REDIS_URL`, default 127.0.0.1:6379) under a fresh random prefix. */
export async function useTestRedis(label = 'test'): Promise<TestRedis> {
  const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null, lazyConnect: true })
  await redis.connect()
  const prefix = `h${label}-${randomBytes(4).toString('hex')}`
  return {
    redis,
    prefix,
    url: TEST_REDIS_URL,
    async cleanup() {
      await deleteKeys(redis, `*${prefix}*`)
      redis.disconnect()
    },
  }
}

/** Deletes keys matching a pattern with SCAN (never KEYS), in batches. */
export async function deleteKeys(redis: Redis, pattern: string): Promise<void> {
  let cursor = '0'
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000)
    cursor = next
    if (keys.length > 0) await redis.unlink(...keys)
  } while (cursor !== '0')
}
