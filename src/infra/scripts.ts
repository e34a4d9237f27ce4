import { createHash } from 'node:crypto'
import type { Redis } from 'ioredis'

const shas = new Map<string, string>()

/**
 * Runs a Lua script by SHA (EVALSHA), sending the source only on first use or after a Redis restart
 * (NOSCRIPT). Scripts are how Herald makes multi-key changes atomic; all their keys share one hash tag.
 */
export async function runScript(redis: Redis, script: string, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
  let sha = shas.get(script)
  if (!sha) {
    sha = createHash('sha1').update(script).digest('hex')
    shas.set(script, sha)
  }
  try {
    return await redis.evalsha(sha, keys.length, ...keys, ...args)
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error
    return redis.eval(script, keys.length, ...keys, ...args)
  }
}
