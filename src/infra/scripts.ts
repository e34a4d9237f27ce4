import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Redis } from 'ioredis'

/**
 * A Lua script kept in its own `.lua` file beside the module that owns the records it changes, registered on each
 * connection with ioredis' `defineCommand` (EVALSHA, with EVAL after a Redis restart), the way BullMQ loads
 * `src/commands/*.lua`. Its reply is checked by `parse` before anyone sees it.
 */
export interface LuaScript<Reply> {
  /** Command name on the connection: `herald` + the file name in camel case. */
  readonly name: string
  /** How many KEYS it takes: the highest `KEYS[n]` its header names. */
  readonly keyCount: number
  /** The source with every `-- @include` expanded. */
  readonly source: string
  readonly parse: (reply: unknown) => Reply
}

const INCLUDE = /^--\s*@include\s+"([^"]+)"\s*$/gm

/**
 * Reads a script file. Its header (the first block comment) must name every `KEYS[n]` the script uses, and
 * `-- @include "file.lua"` lines are replaced by that file (relative to the including one), so shared functions
 * live once. Throws at load time when the header and the body disagree, so a wrong key count never reaches Redis.
 */
export function loadLuaScript<Reply>(file: URL, parse: (reply: unknown) => Reply): LuaScript<Reply> {
  const filePath = fileURLToPath(file)
  const source = expandIncludes(filePath, new Set())
  const header = /^--\[\[([\s\S]*?)\]\]/.exec(source.trimStart())?.[1]
  if (header === undefined) throw new TypeError(`${filePath}: a Lua script starts with a --[[ … ]] header naming its KEYS, ARGV and reply`)
  const declared = maxIndex(header, /KEYS\[(\d+)\]/g)
  const used = maxIndex(source.slice(source.indexOf(']]')), /KEYS\[(\d+)\]/g)
  if (used > declared) throw new TypeError(`${filePath}: uses KEYS[${used}] but its header names only ${declared}`)
  if (!/Returns?:/i.test(header)) throw new TypeError(`${filePath}: the header must say what the script returns ("Returns: …")`)
  const base = path.basename(filePath, '.lua')
  const name = `herald${base.replace(/(^|-)([a-z])/g, (_whole, _dash, letter: string) => letter.toUpperCase())}`
  return Object.freeze({ name, keyCount: declared, source, parse })
}

function expandIncludes(file: string, seen: Set<string>): string {
  if (seen.has(file)) throw new TypeError(`${file}: included twice (an include cycle?)`)
  seen.add(file)
  return readFileSync(file, 'utf8').replace(INCLUDE, (_line, include: string) =>
    expandIncludes(path.resolve(path.dirname(file), include), seen),
  )
}

function maxIndex(text: string, pattern: RegExp): number {
  let max = 0
  for (const match of text.matchAll(pattern)) max = Math.max(max, Number(match[1]))
  return max
}

const defined = new WeakMap<Redis, Set<string>>()

type ScriptCommand = (...args: Array<string | number>) => Promise<unknown>

/** Runs a script on a connection (defining it there on first use) and returns its checked reply. */
export async function runLua<Reply>(
  redis: Redis,
  script: LuaScript<Reply>,
  keys: readonly string[],
  args: ReadonlyArray<string | number>,
): Promise<Reply> {
  checkKeys(script, keys)
  define(redis, script)
  const command = (redis as unknown as Record<string, ScriptCommand>)[script.name]!
  return script.parse(await command.call(redis, ...keys, ...args))
}

/** Runs a script several times in one round trip (a pipeline); replies in order, each checked. */
export async function runLuaMany<Reply>(
  redis: Redis,
  script: LuaScript<Reply>,
  calls: ReadonlyArray<{ readonly keys: readonly string[]; readonly args: ReadonlyArray<string | number> }>,
): Promise<Reply[]> {
  if (calls.length === 0) return []
  define(redis, script)
  const pipeline = redis.pipeline()
  const queue = pipeline as unknown as Record<string, (...args: Array<string | number>) => unknown>
  for (const call of calls) {
    checkKeys(script, call.keys)
    queue[script.name]!.call(pipeline, ...call.keys, ...call.args)
  }
  const replies = (await pipeline.exec()) ?? []
  return replies.map(([error, value]) => {
    if (error) throw error
    return script.parse(value)
  })
}

function checkKeys(script: LuaScript<unknown>, keys: readonly string[]): void {
  if (keys.length !== script.keyCount) throw new TypeError(`${script.name}: expected ${script.keyCount} keys, got ${keys.length}`)
}

function define(redis: Redis, script: LuaScript<unknown>): void {
  let names = defined.get(redis)
  if (!names) {
    names = new Set()
    defined.set(redis, names)
  }
  if (!names.has(script.name)) {
    redis.defineCommand(script.name, { numberOfKeys: script.keyCount, lua: script.source })
    names.add(script.name)
  }
}

/** Reply checks for {@link loadLuaScript}: each throws a TypeError naming what it expected. */
export const reply = {
  integer(value: unknown): number {
    if (typeof value !== 'number' || !Number.isInteger(value))
      throw new TypeError(`expected an integer reply from Redis, got ${describe(value)}`)
    return value
  },
  string(value: unknown): string {
    if (typeof value !== 'string') throw new TypeError(`expected a string reply from Redis, got ${describe(value)}`)
    return value
  },
  strings(value: unknown): string[] {
    if (!Array.isArray(value) || !value.every((item) => typeof item === 'string'))
      throw new TypeError(`expected a list of strings from Redis, got ${describe(value)}`)
    return value as string[]
  },
  /** Lua `false` arrives as null. */
  nullable<T>(parse: (value: unknown) => T): (value: unknown) => T | null {
    return (value) => (value === null ? null : parse(value))
  },
  oneOf<T extends string>(...allowed: readonly T[]): (value: unknown) => T {
    return (value) => {
      if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
        throw new TypeError(`expected one of ${allowed.join(', ')} from Redis, got ${describe(value)}`)
      }
      return value as T
    }
  },
}

function describe(value: unknown): string {
  const text = JSON.stringify(value)
  return text === undefined ? String(value) : text.length > 80 ? `${text.slice(0, 80)}…` : text
}
