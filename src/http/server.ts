import formbody from '@fastify/formbody'
import rateLimit from '@fastify/rate-limit'
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import { Registry } from 'prom-client'
import { messagesFor } from '../i18n/messages.js'
import { siteKeys } from '../infra/keys.js'
import { isRedisUnavailable } from '../infra/redis.js'
import { type ServerOptions, type ServiceContext, wantsJson } from './context.js'
import { HttpError } from './errors.js'
import { registerFeedRoutes } from './feeds.js'
import { parseMultipartFields } from './forms.js'
import { messagePage, pageSite, subscribePage } from './pages.js'
import { registerSubscriptionRoutes } from './subscription-routes.js'
import { registerWebhookRoutes } from './webhook-routes.js'

export type { ServerOptions } from './context.js'

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
 * conditional GET, `/healthz`, `/metrics` and the bounce webhooks. Returns the Fastify instance, not yet listening.
 */
export async function createServer(options: ServerOptions): Promise<FastifyInstance> {
  for (const name of ['config', 'subscriptions', 'redis', 'logger'] as const) {
    if (!options?.[name]) throw new TypeError(`createServer needs options.${name}`)
  }
  const { config } = options
  const words = messagesFor(config.site.language)
  const metrics = options.metrics ?? new Registry()
  const context: ServiceContext = { options, words, site: pageSite(config, words), metrics, inFlight: new Set() }

  const app = Fastify({
    // No request log: URLs carry tokens. Failures are logged by the error handler below.
    logger: false,
    bodyLimit: options.bodyLimit ?? 16 * 1024,
    trustProxy: options.trustProxy ?? false,
    return503OnClosing: true,
  })
  await app.register(formbody)
  // Limits only the routes that ask for it (POST /subscribe); counts are kept in Redis, shared by every web process.
  await app.register(rateLimit, {
    global: false,
    redis: options.redis,
    nameSpace: siteKeys(config.env.prefix).rateLimitPrefix('subscribe'),
    errorResponseBuilder: (_request, limit) =>
      new HttpError(429, words.tooManyRequests, { headers: { 'Retry-After': String(Math.max(1, Math.ceil(limit.ttl / 1000))) } }),
  })
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
  app.setNotFoundHandler((request, reply) =>
    sendError(context, new HttpError(404, words.notFoundText, { title: words.notFoundTitle }), request, reply),
  )

  app.get('/', async (_request, reply) => reply.redirect('subscribe', 302))
  app.get('/healthz', async (_request, reply) => {
    const answered = await Promise.race([
      options.redis.ping().then(
        () => true,
        () => false,
      ),
      new Promise<boolean>((resolve) => setTimeout(resolve, 2000, false).unref()),
    ])
    reply.header('Cache-Control', 'no-store')
    return answered ? { status: 'ok', redis: 'ok' } : reply.code(503).send({ status: 'unavailable', redis: 'no answer' })
  })
  app.get('/metrics', async (_request, reply) => {
    reply.header('Content-Type', metrics.contentType).header('Cache-Control', 'no-store')
    return metrics.metrics()
  })
  registerSubscriptionRoutes(app, context)
  registerWebhookRoutes(app, context)
  registerFeedRoutes(app, { outputDir: config.outputDir, feeds: config.feeds, notFound: words.notFoundText })
  return app
}

function sendError(context: ServiceContext, error: FastifyError | HttpError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const { words, site } = context
  let httpError: HttpError
  if (error instanceof HttpError) {
    httpError = error
  } else if (isRedisUnavailable(error)) {
    context.options.logger.warn({ path: request.routeOptions.url }, `answered 503: Redis does not answer (${(error as Error).message})`)
    httpError = new HttpError(503, words.serviceUnavailable, { headers: { 'Retry-After': '30' } })
  } else {
    const status = typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500
    if (status === 500)
      context.options.logger.error({ err: error, method: request.method, path: request.routeOptions.url }, 'request failed')
    const text =
      status === 413 ? words.tooLarge : status === 500 ? words.serverErrorText : status === 404 ? words.notFoundText : words.badInput
    httpError = new HttpError(status, text)
  }
  reply.code(httpError.status)
  if (httpError.extra.headers) reply.headers(httpError.extra.headers)
  if (httpError.status >= 400 && httpError.status !== 404) reply.header('Cache-Control', 'no-store')
  if (wantsJson(request)) return reply.send({ error: httpError.message, status: httpError.status })
  const form = httpError.extra.form
  const html = form
    ? subscribePage(site, {
        tags: context.options.formTags ?? context.options.tags ?? [],
        email: form.email,
        checked: form.tags,
        ...(form.cadence ? { cadence: form.cadence } : {}),
        error: httpError.message,
      })
    : messagePage(site, httpError.extra.title ?? (httpError.status === 404 ? words.notFoundTitle : words.errorTitle), httpError.message, {
        offerSubscribe: httpError.extra.offerSubscribe ?? false,
      })
  return reply.type('text/html; charset=utf-8').send(html)
}
