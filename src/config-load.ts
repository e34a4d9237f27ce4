import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { CONFIG_FILE, type Config, readEnv, resolveConfig, stateDir } from './config.js'
import type { RawConfig } from './config-schema.js'
import { HeraldError } from './errors.js'
import { writeFileAtomically } from './infra/atomic-file.js'

const CACHE_VERSION = 1

interface ConfigCache {
  readonly version: number
  readonly key: string
  readonly raw: RawConfig
}

/**
 * Loads `<site>/herald.yml` and the environment. The validated settings are kept in `.herald/cache/config.json`,
 * keyed by the file's text and the schema's source, so commands only load the validator when the file changed.
 * Nothing from the environment is kept there: secrets and endpoints are read fresh every time.
 */
export async function loadConfig(siteDir: string, env: NodeJS.ProcessEnv = process.env): Promise<Config> {
  const absoluteSite = path.resolve(siteDir)
  const file = path.join(absoluteSite, CONFIG_FILE)
  if (!existsSync(file)) {
    throw new HeraldError('CONFIG_MISSING', `no ${CONFIG_FILE} here; pass --site DIR or create one with "herald init"`, { file })
  }
  const text = readFileSync(file, 'utf8')
  const envConfig = readEnv(env)
  const key = createHash('sha256').update(schemaStamp()).update('\0').update(text).digest('hex')
  const cacheFile = path.join(stateDir(absoluteSite), 'cache', 'config.json')
  const cached = readCache(cacheFile, key)
  if (cached) return resolveConfig(cached, absoluteSite, envConfig)
  const { validateConfigText } = await import('./config-schema.js')
  const raw = validateConfigText(text, file)
  await writeCache(cacheFile, { version: CACHE_VERSION, key, raw })
  return resolveConfig(raw, absoluteSite, envConfig)
}

let stamp: string | undefined

// The schema module's own source: a new Herald version with new defaults or rules invalidates every cache.
function schemaStamp(): string {
  if (stamp !== undefined) return stamp
  const here = new URL('.', import.meta.url)
  for (const name of ['config-schema.js', 'config-schema.ts']) {
    try {
      stamp = createHash('sha256')
        .update(readFileSync(new URL(name, here)))
        .digest('hex')
      return stamp
    } catch {}
  }
  stamp = `unknown-${Date.now()}`
  return stamp
}

function readCache(file: string, key: string): RawConfig | null {
  try {
    const cache = JSON.parse(readFileSync(file, 'utf8')) as ConfigCache
    return cache.version === CACHE_VERSION && cache.key === key ? cache.raw : null
  } catch {
    return null
  }
}

async function writeCache(file: string, cache: ConfigCache): Promise<void> {
  try {
    await writeFileAtomically(file, JSON.stringify(cache))
  } catch {
    // A read-only site still works; it only validates herald.yml on every command.
  }
}
