import type { Redis } from 'ioredis'
import { siteKeys } from '../infra/keys.js'
import { loadLuaScript, reply, runLua } from '../infra/scripts.js'

const FAILURE = loadLuaScript(new URL('./lua/breaker-failure.lua', import.meta.url), reply.integer)

/** Options for {@link CircuitBreaker}. */
export interface CircuitBreakerOptions {
  readonly redis: Redis
  readonly prefix: string
  /** Failures in a row with the same reply, for different recipients, that trip it. Default 5 (`email.breaker_failures`). */
  readonly threshold?: number
  /** A run of failures older than this is forgotten. Default 1 hour (longer than the whole retry schedule). */
  readonly windowMs?: number
}

/**
 * The site's circuit breaker, shared by every worker through Redis. A failure the classifier cannot pin on the system
 * (a relay that answers `550` with no enhanced code, a server that is down) still shows itself: the same reply for
 * one recipient after another. A message sent resets it (set-send-final.lua).
 */
export class CircuitBreaker {
  readonly threshold: number
  private readonly key: string
  private readonly windowMs: number

  constructor(private readonly options: CircuitBreakerOptions) {
    if (!options?.redis) throw new TypeError('CircuitBreaker needs a Redis connection (options.redis)')
    this.key = siteKeys(options.prefix).breaker()
    this.threshold = options.threshold ?? 5
    this.windowMs = options.windowMs ?? 3_600_000
  }

  /** Counts a failed send; true when this one trips the breaker (the edition must pause). */
  async failure(replyText: string, subscriberId: string): Promise<boolean> {
    const count = await runLua(this.options.redis, FAILURE, [this.key], [replyText.slice(0, 500), subscriberId, this.windowMs])
    return count >= this.threshold
  }

  /** Forgets the current run of failures (an operator resumed after fixing the cause). */
  async reset(): Promise<void> {
    await this.options.redis.del(this.key)
  }
}
