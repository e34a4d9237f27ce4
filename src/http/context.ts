import type { FastifyRequest } from 'fastify'
import type { Redis } from 'ioredis'
import type { Registry } from 'prom-client'
import type { Subscriptions } from '../app/subscriptions.js'
import type { Webhooks } from '../app/webhooks.js'
import type { Config } from '../config.js'
import type { Messages } from '../i18n/messages.js'
import type { Logger } from '../log.js'
import type { PageSite } from './pages.js'

/** Options for `createServer`. Everything the service talks to is passed in; it opens nothing itself. */
export interface ServerOptions {
  readonly config: Config
  /** Subscribe, confirm, unsubscribe: the use cases the routes call. */
  readonly subscriptions: Subscriptions
  /** For `/healthz` and the shared per-client rate limit. */
  readonly redis: Redis
  readonly logger: Logger
  /** Every live tag of the site: offered on the preferences page, and what a form may choose from. Default none. */
  readonly tags?: readonly string[]
  /** The tags the subscribe page offers (`subscribe.tags`, or the most used). Default: `tags`. */
  readonly formTags?: readonly string[]
  /** What `/metrics` renders; the service adds its own request counter to it. Default a new registry. */
  readonly metrics?: Registry
  /** Largest request body in bytes. Default 16 KiB. */
  readonly bodyLimit?: number
  /** Fastify's `trustProxy` (true, or the proxy addresses/CIDRs) when behind a reverse proxy. Default false. */
  readonly trustProxy?: boolean | string | string[]
  /** The bounce and complaint webhooks (`POST /webhooks/<provider>`). Default none: the routes do not exist. */
  readonly webhooks?: Webhooks
}

/** What route modules share. */
export interface ServiceContext {
  readonly options: ServerOptions
  readonly words: Messages
  readonly site: PageSite
  readonly metrics: Registry
  /** Emails still being sent in the background; awaited when the server closes. */
  readonly inFlight: Set<Promise<unknown>>
}

/** JSON for API clients (JSON body or an Accept that prefers JSON), an HTML page for everyone else. */
export function wantsJson(request: FastifyRequest): boolean {
  if (String(request.headers['content-type'] ?? '').startsWith('application/json')) return true
  const accept = String(request.headers.accept ?? '')
  return /application\/(?:[\w.+-]+\+)?json/.test(accept) && !accept.includes('text/html')
}
