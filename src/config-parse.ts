import { type Config, readEnv, resolveConfig } from './config.js'
import { CONFIG_FILE } from './config-common.js'
import { validateConfigText } from './config-schema.js'

/** Validates config text and resolves it with the environment, synchronously; `fileLabel` is used in messages. */
export function parseConfig(source: string, siteDir: string, env: NodeJS.ProcessEnv, fileLabel = CONFIG_FILE): Config {
  return resolveConfig(validateConfigText(source, fileLabel), siteDir, readEnv(env))
}
