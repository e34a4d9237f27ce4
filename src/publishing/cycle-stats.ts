import type { Redis } from 'ioredis'
import { siteKeys } from '../infra/keys.js'

/** What the last publish cycle (a `herald run` or a scheduled run) did, for `/metrics`. */
export interface CycleStats {
  readonly durationMs: number
  readonly at: Date
  readonly feedsWritten: number
  readonly feedsUnchanged: number
  readonly feedsFailed: number
  readonly postsLive: number
  readonly postsScheduled: number
  readonly postsSkipped: number
}

const FIELDS = ['durationMs', 'at', 'feedsWritten', 'feedsUnchanged', 'feedsFailed', 'postsLive', 'postsScheduled', 'postsSkipped'] as const

/** Keeps the last cycle's figures in Redis (`siteKeys(prefix).lastCycle()`), so any web process can report them. */
export class CycleStatsStore {
  private readonly key: string

  constructor(private readonly options: { redis: Redis; prefix: string }) {
    this.key = siteKeys(options.prefix).lastCycle()
  }

  async record(stats: CycleStats): Promise<void> {
    await this.options.redis.hset(this.key, { ...stats, at: stats.at.getTime() })
  }

  async last(): Promise<CycleStats | null> {
    const values = await this.options.redis.hmget(this.key, ...FIELDS)
    if (values[1] === null) return null
    const number = (index: number) => Number(values[index] ?? 0)
    return {
      durationMs: number(0),
      at: new Date(number(1)),
      feedsWritten: number(2),
      feedsUnchanged: number(3),
      feedsFailed: number(4),
      postsLive: number(5),
      postsScheduled: number(6),
      postsSkipped: number(7),
    }
  }
}
