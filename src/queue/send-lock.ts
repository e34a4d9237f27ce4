import { hostname } from 'node:os'
import { randomBytes } from 'node:crypto'
import type { Redis } from 'ioredis'
import { keySpace, type KeySpace } from '../infra/keys.js'
import { runScript } from '../infra/scripts.js'

// KEYS: 1 lock, 2 worker-heartbeat key prefix. ARGV: holder ("<worker id>|<execution>"), lock ttl ms.
// Takes the lock when it is free or held by a worker whose heartbeat has expired (that worker is dead). Another
// execution in this same process is a holder like any other: a stalled job picked up again by its own worker
// must not send alongside the first execution. Returns the previous holder ('' when free), or false.
const ACQUIRE = `
local holder = redis.call('GET', KEYS[1])
if holder then
  local worker = string.match(holder, '^(.*)|') or holder
  if redis.call('EXISTS', KEYS[2] .. worker) == 1 then return false end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return holder or ''
`
// KEYS: 1 lock. ARGV: holder. Deletes the lock only if this execution holds it.
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`

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
  private readonly keys: KeySpace
  private readonly heartbeatMs: number
  private readonly lockMs: number
  private timer: NodeJS.Timeout | undefined

  constructor(options: SendLocksOptions) {
    if (!options?.redis) throw new TypeError('SendLocks needs a Redis connection (options.redis)')
    this.redis = options.redis
    this.keys = keySpace(options.prefix)
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
   * `{ acquired: true, holder, previousHolder }` (previousHolder: a dead worker's execution we took over from, or
   * null), or `{ acquired: false }` while a live execution — in any process, this one included — holds it.
   */
  async acquire(editionId: string, subscriberId: string): Promise<{ acquired: true; holder: string; previousHolder: string | null } | { acquired: false }> {
    const holder = `${this.workerId}|${randomBytes(6).toString('hex')}`
    const result = await runScript(this.redis, ACQUIRE, [this.lockKey(editionId, subscriberId), this.keys.key('worker', '')], [holder, this.lockMs])
    if (result === null || result === false) return { acquired: false }
    const previous = String(result)
    return { acquired: true, holder, previousHolder: previous === '' ? null : previous }
  }

  /** Releases a lock taken by `acquire` (only if `holder` still holds it). */
  async release(editionId: string, subscriberId: string, holder: string): Promise<void> {
    await runScript(this.redis, RELEASE, [this.lockKey(editionId, subscriberId)], [holder])
  }

  private beat(): Promise<unknown> {
    return this.redis.set(this.heartbeatKey(this.workerId), '1', 'PX', this.heartbeatMs)
  }

  private heartbeatKey(workerId: string): string {
    return this.keys.key('worker', workerId)
  }

  private lockKey(editionId: string, subscriberId: string): string {
    return this.keys.key('lock', 'send', editionId, subscriberId)
  }
}
