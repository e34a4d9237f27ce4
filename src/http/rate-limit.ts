import { isIP } from 'node:net'
import type { Redis } from 'ioredis'
import { keySpace, type KeySpace } from '../infra/keys.js'

/** Options for {@link RateLimiter}. */
export interface RateLimiterOptions {
  /** Shared by every web process, so the limit holds across all of them. */
  readonly redis: Redis
  readonly prefix: string
  /** What is limited, part of the key (`subscribe`). */
  readonly name: string
  /** Requests allowed per client per window. */
  readonly limit: number
  readonly windowSeconds: number
}

/** Result of {@link RateLimiter.hit}. */
export interface RateLimitVerdict {
  readonly allowed: boolean
  /** Seconds until the window ends (for `Retry-After`). */
  readonly retryAfterSeconds: number
}

const FIXED_WINDOW = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('TTL', KEYS[1])
if ttl < 0 then redis.call('EXPIRE', KEYS[1], ARGV[1]) ttl = tonumber(ARGV[1]) end
return {count, ttl}
`

/** A fixed-window counter per client in Redis (INCR + EXPIRE in one script). */
export class RateLimiter {
  private readonly keys: KeySpace

  constructor(private readonly options: RateLimiterOptions) {
    if (!options?.redis) throw new TypeError('RateLimiter needs a Redis connection (options.redis)')
    this.keys = keySpace(options.prefix)
  }

  /** Counts one request from `client` (an IP address) and says whether it is within the limit. */
  async hit(client: string): Promise<RateLimitVerdict> {
    const key = this.keys.key('ratelimit', this.options.name, clientKey(client))
    const [count, ttl] = (await this.options.redis.eval(FIXED_WINDOW, 1, key, this.options.windowSeconds)) as [number, number]
    return { allowed: count <= this.options.limit, retryAfterSeconds: Math.max(1, ttl) }
  }
}

/** IPv4 as is; IPv6 by its /64, since one home or VM usually gets a whole /64. */
export function clientKey(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)
  if (mapped) return mapped[1]!
  if (isIP(ip) !== 6) return ip.replace(/[^0-9A-Za-z.]/g, '_')
  const [head = '', tail = ''] = ip.toLowerCase().split('%')[0]!.split('::')
  const headParts = head ? head.split(':') : []
  const tailParts = ip.includes('::') ? (tail ? tail.split(':') : []) : []
  const groups = ip.includes('::') ? [...headParts, ...Array(8 - headParts.length - tailParts.length).fill('0'), ...tailParts] : headParts
  return `${groups.slice(0, 4).map((group) => group.replace(/^0+(?=.)/, '')).join('_')}_64`
}
