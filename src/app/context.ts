import type { Config } from '../config.js'
import type { Logger } from '../log.js'

/** What every use case gets: the site's validated configuration and the one logger of the process. */
export interface AppContext {
  readonly config: Config
  readonly logger: Logger
}
