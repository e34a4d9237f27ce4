import formbody from '@fastify/formbody'
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import type { Redis } from 'ioredis'
import type { Config } from '../config.js'
import { messagesFor, type Messages } from '../i18n/messages.js'
import type { Logger } from '../log.js'
import type { MailTransport } from '../mail/transport.js'
import { ConfirmationMailer } from '../app/subscriptions.js'
import { SUBSCRIBER_STATUSES, type SubscriberStore } from '../subscribers/store.js'
import type { TokenSigner } from '../subscribers/tokens.js'
import { HttpError } from './errors.js'
import { registerFeedRoutes } from './feeds.js'
import { parseMultipartFields } from './forms.js'
import { MetricsRegistry } from './metrics.js'
import { messagePage, pageSite, subscribePage, type PageSite } from './pages.js'
import { RateLimiter } from './rate-limit.js'
import { registerSubscriptionRoutes } from './subscription-routes.js'

/** Options for {@link createServer}. Everything the service talks to is passed in; it opens nothing itself. */
export interface ServerOptions {
  readonly config: Config
  readonly store: SubscriberStore
  readonly transport: MailTransport
  readonly tokens: TokenSigner
  /** For `/healthz` and the shared per-IP rate limit. */
  readonly redis: Redis
  readonly logger: Logger
  /** The site's tags, offered as optional checkboxes on the subscribe page. Default none. */
  readonly tags?: readonly string[]
  /** Where `/metrics` reads from; subscriber counts are added to it. Default a new registry. */
  readonly metrics?: MetricsRegistry
  /** Largest request body in bytes. Default 16 KiB. */
  readonly bodyLimit?: number
  /** Fastify's `trustProxy` (true, or the proxy addresses/CIDRs) when behind a reverse proxy. Default false. */
  readonly trustProxy?: boolean | string | string[]
  /** Seconds before another confirmation email goes to the same pending address. Default 600. */
  readonly confirmResendSeconds?: number
  /** Herald's own templates folder (tests). Default the repository's `templates/`. */
  readonly builtinTemplatesDir?: string
}

/** What route modules share. */
export interface ServiceContext {
  readonly options: ServerOptions
  readonly words: Messages
  readonly site: PageSite
  readonly mailer: ConfirmationMailer
  readonly rateLimiter: RateLimiter
  readonly metrics: MetricsRegistry
  /** Sends still running in the background; awaited when the server closes. */
  readonly inFlight: Set<Promise<unknown>>
}

const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  // Links carry tokens in the query string: never leak them to another site.
  'Referrer-Policy': 'no-referrer',
}
const PAGE_HEADERS = {
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  'X-Frame-Options': 'DENY',
}

/**
 * The `herald serve` web service: subscribe / confirm / unsubscribe (RFC 8058), the feeds with
 * conditional GET, `/healthz` and `/metrics`. Returns the Fastify instance, not yet listening.
 */
export async function createServer(options: ServerOptions): Promise<FastifyInstance> {
  for (const name of ['config', 'store', 'transport', 'tokens', 'redis', 'logger'] as const) {
    if (!options?.[name]) throw new TypeError(`createServer needs options.${name}`)
  }
  const { config, logger } = options
  const words = messagesFor(config.site.language)
  const metrics = options.metrics ?? new MetricsRegistry()
  const context: ServiceContext = {
    options,
    words,
    site: pageSite(config, words),
    mailer: new ConfirmationMailer({ config, transport: options.transport, tokens: options.tokens, ...(options.builtinTemplatesDir ? { builtinTemplatesDir: options.builtinTemplatesDir } : {}) }),
    rateLimiter: new RateLimiter({
      redis: options.redis,
      prefix: config.env.prefix,
      name: 'subscribe',
      limit: config.http.subscribeRateLimit,
      windowSeconds: config.http.subscribeRateWindowSeconds,
    }),
    metrics,
    inFlight: new Set(),
  }
  metrics.gauge('herald_subscribers', 'Subscribers by status.', async () => {
    const counts = await options.store.counts()
    return SUBSCRIBER_STATUSES.map((status) => ({ labels: { status }, value: counts[status] }))
  })

  const app = Fastify({
    // No request log: URLs carry tokens. Failures are logged by the error handler below.
    logger: false,
    bodyLimit: options.bodyLimit ?? 16 * 1024,
    trustProxy: options.trustProxy ?? false,
    return503OnClosing: true,
  })
  await app.register(formbody)
  app.addContentTypeParser('multipart/form-data', { parseAs: 'string' }, (request, body, done) => {
    try {
      done(null, parseMultipartFields(body as string, request.headers['content-type'] ?? ''))
    } catch (error) {
      done(error as Error, undefined)
    }
  })
  app.addContentTypeParser('text/plain', { parseAs: 'string' }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)))
  })

  app.addHook('onSend', async (_request, reply, payload) => {
    reply.headers(SECURITY_HEADERS)
    if (String(reply.getHeader('content-type') ?? '').startsWith('text/html')) reply.headers(PAGE_HEADERS)
    return payload
  })
  app.addHook('onClose', async () => {
    await Promise.allSettled([...context.inFlight])
  })

  app.setErrorHandler((error: FastifyError | HttpError, request, reply) => sendError(context, error, request, reply))
  app.setNotFoundHandler((request, reply) => sendError(context, new HttpError(404, words.notFoundText, { title: words.notFoundTitle }), request, reply))

  app.get('/', async (_request, reply) => reply.redirect('subscribe', 302))
  app.get('/healthz', async (_request, reply) => {
    const answered = await Promise.race([
      options.redis.ping().then(() => true, () => false),
      new Promise<boolean>((resolve) => setTimeout(resolve, 2000, false).unref()),
    ])
    reply.header('Cache-Control', 'no-store')
    return answered ? { status: 'ok', redis: 'ok' } : reply.code(503).send({ status: 'unavailable', redis: 'no answer' })
  })
  app.get('/metrics', async (_request, reply) => {
    reply.header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8').header('Cache-Control', 'no-store')
    return metrics.render()
  })
  registerSubscriptionRoutes(app, context)
  registerFeedRoutes(app, { outputDir: config.outputDir, feeds: config.feeds, notFound: words.notFoundText })
  return app
}

/** JSON for API clients (JSON body or an Accept that prefers JSON), an HTML page for everyone else. */
export function wantsJson(request: FastifyRequest): boolean {
  if (String(request.headers['content-type'] ?? '').startsWith('application/json')) return true
  const accept = String(request.headers.accept ?? '')
  return /application\/(?:[\w.+-]+\+)?json/.test(accept) && !accept.includes('text/html')
}

function sendError(context: ServiceContext, error: FastifyError | HttpError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const { words, site } = context
  let httpError: HttpError
  if (error instanceof HttpError) {
    httpError = error
  } else {
    const status = typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500
    if (status === 500) context.options.logger.error({ err: error, method: request.method, path: request.routeOptions.url }, 'request failed')
    const text = status === 413 ? words.tooLarge : status === 500 ? words.serverErrorText : status === 404 ? words.notFoundText : words.badInput
    httpError = new HttpError(status, text)
  }
  reply.code(httpError.status)
  if (httpError.extra.headers) reply.headers(httpError.extra.headers)
  if (httpError.status >= 400 && httpError.status !== 404) reply.header('Cache-Control', 'no-store')
  if (wantsJson(request)) return reply.send({ error: httpError.message, status: httpError.status })
  const form = httpError.extra.form
  const html = form
    ? subscribePage(site, { tags: context.options.tags ?? [], email: form.email, checked: form.tags, error: httpError.message })
    : messagePage(site, httpError.extra.title ?? (httpError.status === 404 ? words.notFoundTitle : words.errorTitle), httpError.message, { offerSubscribe: httpError.extra.offerSubscribe ?? false })
  return reply.type('text/html; charset=utf-8').send(html)
}
