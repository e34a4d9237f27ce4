import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import type { Redis } from 'ioredis'
import { type SiteKeys, siteKeys } from '../infra/keys.js'
import { loadLuaScript, reply, runLua } from '../infra/scripts.js'

const ACQUIRE_MANY = loadLuaScript(new URL('./lua/acquire-send-locks.lua', import.meta.url), (value) => {
  if (!Array.isArray(value)) throw new TypeError(`acquire-send-locks: expected a list, got ${JSON.stringify(value)}`)
  return value.map((entry) => (entry === null ? null : reply.string(entry)))
})
const RELEASE_MANY = loadLuaScript(new URL('./lua/release-send-locks.lua', import.meta.url), reply.integer)

/** Options for {@link SendLocks}. */
export interface SendLocksOptions {
  readonly redis: Redis
  readonly prefix: string
  /** This process's identity in locks and the send ledger. Default: host, pid and a random suffix. */
  readonly workerId?: string
  /** How long a worker counts as alive after its last heartbeat. Default 30 s. */
  readonly heartbeatMs?: number
  /** Longest a send may hold its lock (covers the SMTP timeouts). Default 10 min. */
  readonly lockMs?: number
}

/**
 * One lock per (edition, recipient) so that two executions of the same send job (a stalled job picked up
 * again while the first worker is still alive) never talk to the SMTP server at the same time. A lock held
 * by a worker that stopped beating (killed, crashed) is taken over at once instead of waiting for its TTL.
 */
export class SendLocks {
  readonly workerId: string
  private readonly redis: Redis
  private readonly keys: SiteKeys
  private readonly heartbeatMs: number
  private readonly lockMs: number
  private timer: NodeJS.Timeout | undefined
  // Subscribers whose locks an execution in this process holds. This process is alive by definition, so its own
  // executions never take over from each other, even when its heartbeat lapsed (an event loop blocked past
  // HERALD_STALL_MS, then BullMQ hands the stalled job to this same worker again): the heartbeat speaks for other
  // processes only.
  private readonly heldHere = new Map<string, string>()

  constructor(options: SendLocksOptions) {
    if (!options?.redis) throw new TypeError('SendLocks needs a Redis connection (options.redis)')
    this.redis = options.redis
    this.keys = siteKeys(options.prefix)
    this.workerId = (options.workerId ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`).replace(/\|/g, '-')
    this.heartbeatMs = options.heartbeatMs ?? 30_000
    this.lockMs = options.lockMs ?? 600_000
  }

  /** Starts beating (and beats once now). Call before taking any lock. */
  async start(): Promise<void> {
    await this.beat()
    this.timer = setInterval(() => void this.beat().catch(() => {}), Math.max(100, Math.floor(this.heartbeatMs / 3)))
    this.timer.unref()
  }

  /** Stops beating and withdraws this worker's heartbeat (its locks become free to take over). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    this.timer = undefined
    await this.redis.del(this.heartbeatKey(this.workerId)).catch(() => {})
  }

  /**
   * Takes the locks of several subscribers in one round trip, under one holder. A lock is per subscriber, not per
   * edition: two editions never send to one subscriber at once (their posts could overlap). Returns the ids it took
   * (with the dead worker's execution it took over from, if any); the others are held by a live execution.
   */
  async acquireMany(subscriberIds: readonly string[]): Promise<{ holder: string; taken: Map<string, string | null> }> {
    const holder = `${this.workerId}|${randomBytes(6).toString('hex')}`
    const taken = new Map<string, string | null>()
    const asked = [...new Set(subscriberIds)].filter((id) => !this.heldHere.has(id))
    if (asked.length === 0) return { holder, taken }
    for (const id of asked) this.heldHere.set(id, holder)
    try {
      const previous = await runLua(
        this.redis,
        ACQUIRE_MANY,
        [this.keys.sendLockPrefix(), this.keys.workerHeartbeatPrefix()],
        [holder, this.lockMs, ...asked],
      )
      asked.forEach((id, index) => {
        const before = previous[index]
        if (before !== null && before !== undefined) taken.set(id, before === '' ? null : before)
      })
    } finally {
      for (const id of asked) if (!taken.has(id)) this.heldHere.delete(id)
    }
    return { holder, taken }
  }

  /** Releases locks taken by `acquireMany` (each only if `holder` still holds it). */
  async releaseMany(subscriberIds: readonly string[], holder: string): Promise<void> {
    if (subscriberIds.length === 0) return
    try {
      await runLua(this.redis, RELEASE_MANY, [this.keys.sendLockPrefix()], [holder, ...subscriberIds])
    } finally {
      for (const id of subscriberIds) if (this.heldHere.get(id) === holder) this.heldHere.delete(id)
    }
  }

  private beat(): Promise<unknown> {
    return this.redis.set(this.heartbeatKey(this.workerId), '1', 'PX', this.heartbeatMs)
  }

  private heartbeatKey(workerId: string): string {
    return this.keys.workerHeartbeat(workerId)
  }
}
