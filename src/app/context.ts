import type { Config } from '../config.js'
import type { Logger } from '../log.js'

/** What every use case gets: the site's validated configuration and the one logger of the process. */
export interface AppContext {
  readonly config: Config
  readonly logger: Logger
  /**
   * Called when Redis has been unreachable for a while in the middle of a command (see `openServices`); a command
   * line ends the process with a clear message, so nothing hangs. Absent: keep waiting (the web service answers 503).
   */
  readonly onRedisLost?: (message: string) => void
}
