import { type ChildProcess, spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { chmod, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Redis, type RedisOptions } from 'ioredis'
import type { Config } from '../config.js'
import { HeraldError } from '../errors.js'
import type { Logger } from '../log.js'

/** Default Redis when `REDIS_URL` is unset. */
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379'

/** An open Redis connection and how to close it (and anything started for it). */
export interface RedisHandle {
  readonly redis: Redis
  /** Where it is: a URL, or `unix:<socket>` for a private server. */
  readonly url: string
  close(): Promise<void>
}

const HOW_TO_GET_REDIS =
  'start one with "docker compose up -d redis", or install it ("apt-get install redis-server" on Debian/Ubuntu, ' +
  '"brew install redis" on macOS), or set REDIS_URL'

/** Options for {@link openRedis}. */
export interface OpenRedisOptions {
  /** Tried when `REDIS_URL` is unset. Default {@link DEFAULT_REDIS_URL}. */
  readonly defaultUrl?: string
  /** Site state folder, where a private server keeps its data. Default `<site>/.herald`. */
  readonly stateDir?: string
  /**
   * Longest any command may wait for an answer, queued while Redis is away included (the web service: a request must
   * be answered, with a 503 if need be, within seconds). Default none: commands wait for Redis to come back.
   */
  readonly commandTimeoutMs?: number
}

/**
 * Connects to `REDIS_URL`, or when it is unset to redis://127.0.0.1:6379; if nothing answers there either,
 * starts a private `redis-server` from PATH for this process (data kept under `<site>/.herald/redis`, so the
 * ledger survives between runs), so a first run on a fresh machine needs no set-up. Otherwise exit status 2
 * with directions.
 */
export async function openRedis(config: Config, logger: Logger, options: OpenRedisOptions = {}): Promise<RedisHandle> {
  const url = config.env.redisUrl ?? options.defaultUrl ?? DEFAULT_REDIS_URL
  const redis = await tryConnect(url, 3000, logger)
  if (redis) {
    logger.debug({ redis: redactUrl(url) }, 'connected to Redis')
    if (options.commandTimeoutMs) redis.options.commandTimeout = options.commandTimeoutMs
    return { redis, url, close: () => quit(redis) }
  }
  if (config.env.redisUrl === null) {
    const privateServer = await startPrivateRedis(options.stateDir ?? path.join(config.siteDir, '.herald'), logger)
    if (privateServer && options.commandTimeoutMs) privateServer.redis.options.commandTimeout = options.commandTimeoutMs
    if (privateServer) return privateServer
  }
  throw new HeraldError('REDIS_UNAVAILABLE', `no Redis answers at ${redactUrl(url)}: ${HOW_TO_GET_REDIS}`, { field: 'REDIS_URL' })
}

/** Connects and pings once; null when nothing answers within a few seconds. */
export async function tryConnect(target: string | { path: string }, timeoutMs = 3000, logger?: Logger): Promise<Redis | null> {
  const options = {
    maxRetriesPerRequest: null,
    lazyConnect: true,
    connectTimeout: timeoutMs,
    // Give up quickly while connecting; once connected, ioredis reconnects by itself.
    retryStrategy: (times: number) => (times > 3 ? null : 200 * times),
  } satisfies RedisOptions
  const redis = typeof target === 'string' ? new Redis(target, options) : new Redis({ path: target.path, ...options })
  redis.on('error', () => {})
  try {
    await redis.connect()
    await redis.ping()
    // Connected: from now on keep reconnecting (a long-running worker must survive a Redis restart), and say so.
    redis.options.retryStrategy = (times) => Math.min(times * 200, 5000)
    redis.removeAllListeners('error')
    let lastReport = 0
    redis.on('error', (error: Error) => {
      if (Date.now() - lastReport < 10_000) return
      lastReport = Date.now()
      logger?.warn(`Redis connection problem (reconnecting): ${error.message}`)
    })
    return redis
  } catch {
    redis.disconnect()
    return null
  }
}

/**
 * Calls `onLost` when the connection has been down for `graceMs` without coming back (a command waiting on Redis must
 * not wait forever). Returns a function that stops watching.
 */
export function watchConnection(handle: RedisHandle, graceMs: number, onLost: (message: string) => void): () => void {
  const { redis } = handle
  let timer: NodeJS.Timeout | undefined
  let lastError = ''
  const down = () => {
    timer ??= setTimeout(() => {
      onLost(
        `lost the connection to Redis at ${redactUrl(handle.url)} for ${Math.round(graceMs / 1000)} s` +
          `${lastError ? ` (${lastError})` : ''}; nothing recorded is lost: run the command again when Redis is back`,
      )
    }, graceMs)
  }
  const up = () => {
    clearTimeout(timer)
    timer = undefined
  }
  const error = (cause: Error) => {
    lastError = cause.message
  }
  redis.on('close', down)
  redis.on('reconnecting', down)
  redis.on('ready', up)
  redis.on('error', error)
  return () => {
    up()
    redis.off('close', down)
    redis.off('reconnecting', down)
    redis.off('ready', up)
    redis.off('error', error)
  }
}

/** Whether an error means Redis did not answer (down, restarting, too slow), rather than a bug. */
export function isRedisUnavailable(error: unknown): boolean {
  const message = error instanceof Error ? error.message : ''
  const unavailable =
    /Command timed out|Connection is closed|enableOfflineQueue|ECONNREFUSED|ECONNRESET|Reached the max retries|isn't writeable/i
  return unavailable.test(message)
}

/** Hides the password in a Redis URL for logs and messages. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):([^@/]*)@/, '//$1:***@')
}

async function quit(redis: Redis): Promise<void> {
  await redis.quit().catch(() => redis.disconnect())
}

/** A private redis-server on a Unix socket in the site's state folder; null when `redis-server` is not installed. */
async function startPrivateRedis(stateDir: string, logger: Logger): Promise<RedisHandle | null> {
  const dir = path.join(stateDir, 'redis')
  // The data is the subscriber list and the send ledger: readable by this user only.
  await mkdir(dir, { recursive: true, mode: 0o700 })
  await chmod(dir, 0o700)
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    await chmod(path.join(dir, entry.name), entry.isDirectory() ? 0o700 : 0o600).catch(() => {})
  }
  // Unix socket paths are limited to ~104 bytes; a deep site folder gets a short path in the temp folder instead.
  let socket = path.join(dir, 'redis.sock')
  if (Buffer.byteLength(socket) > 100)
    socket = path.join(tmpdir(), `herald-${createHash('sha1').update(dir).digest('hex').slice(0, 12)}.sock`)
  const shared = (redis: Redis): RedisHandle => ({ redis, url: `unix:${socket}`, close: () => quit(redis) })

  // One server per site: the process that creates the lock file starts it; others wait for it and share it
  // (two servers on one data folder would each hold half the ledger).
  const lockFile = path.join(dir, 'server.pid')
  if (!(await takeLock(lockFile))) {
    for (let attempt = 0; attempt < 50; attempt++) {
      const running = await tryConnect({ path: socket }, 200, logger)
      if (running) return shared(running)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    return null
  }

  let child: ChildProcess
  try {
    // Through a shell only to set the umask, so the files redis-server creates (append-only file, log) are 0600.
    child = spawn(
      '/bin/sh',
      [
        '-c',
        'umask 077 && exec redis-server "$@"',
        'redis-server',
        '--port',
        '0',
        '--unixsocket',
        socket,
        '--unixsocketperm',
        '700',
        '--dir',
        dir,
        '--appendonly',
        'yes',
        '--appendfsync',
        'everysec',
        '--save',
        '',
        '--maxmemory-policy',
        'noeviction',
        '--logfile',
        'redis.log',
      ],
      // Its own process group: a Ctrl-C meant for herald must not stop Redis under in-flight writes.
      { stdio: 'ignore', detached: true },
    )
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve)
      child.once('error', reject)
    })
  } catch {
    await rm(lockFile, { force: true })
    return null
  }
  await writeFile(lockFile, String(child.pid))
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      // SIGTERM makes redis-server flush its append-only file and exit cleanly.
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      await exited
    }
    await rm(lockFile, { force: true })
  }
  for (let attempt = 0; attempt < 50; attempt++) {
    const redis = await tryConnect({ path: socket }, 500, logger)
    if (redis) {
      logger.warn(
        `no Redis at ${DEFAULT_REDIS_URL} and REDIS_URL is unset: started a private redis-server for this run (data in ${dir}). ` +
          'Use a real Redis (REDIS_URL) for workers and several processes.',
      )
      return {
        redis,
        url: `unix:${socket}`,
        async close() {
          await quit(redis)
          await stop()
        },
      }
    }
    if (child.exitCode !== null) break
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  child.kill('SIGKILL')
  await rm(lockFile, { force: true })
  return null
}

/** Creates `file` exclusively; a lock left by a process that no longer exists is taken over. */
async function takeLock(file: string): Promise<boolean> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(file, String(process.pid), { flag: 'wx' })
      return true
    } catch {
      const pid = Number((await readFile(file, 'utf8').catch(() => '')).trim())
      if (pid > 0 && isAlive(pid)) return false
      await rm(file, { force: true })
    }
  }
  return false
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
