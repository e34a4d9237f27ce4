import type { FastifyInstance } from 'fastify'
import { Counter } from 'prom-client'
import { WEBHOOK_PROVIDERS, type WebhookProvider } from '../app/webhooks.js'
import type { ServiceContext } from './context.js'
import { HttpError } from './errors.js'

/** Largest webhook body: an SNS message is at most 256 KB; SendGrid batches and Postmark's bounce copies stay below. */
export const WEBHOOK_BODY_LIMIT = 1024 * 1024

/**
 * `POST /webhooks/ses|postmark|mailgun|sendgrid`: the sending services' bounce and complaint events, verified and handled
 * by `app/webhooks.ts`. The routes live in their own plugin context whose only body parser keeps the raw bytes, whatever
 * the content type (SNS posts JSON as text/plain; SendGrid's signature covers the exact bytes).
 */
export function registerWebhookRoutes(app: FastifyInstance, context: ServiceContext): void {
  const webhooks = context.options.webhooks
  if (!webhooks) return
  const requests = new Counter({
    name: 'herald_webhook_requests_total',
    help: 'Bounce webhook requests by provider and answer (200 handled, 401 refused, 404 not configured, 409 replay).',
    labelNames: ['provider', 'status'],
    registers: [context.metrics],
  })
  app.register(async (routes) => {
    routes.removeAllContentTypeParsers()
    routes.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: WEBHOOK_BODY_LIMIT }, (_request, body, done) => done(null, body))
    routes.post<{ Params: { provider: string } }>('/webhooks/:provider', { bodyLimit: WEBHOOK_BODY_LIMIT }, async (request, reply) => {
      const provider = request.params.provider as WebhookProvider
      if (!WEBHOOK_PROVIDERS.includes(provider)) throw new HttpError(404, context.words.notFoundText)
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0)
      const answer = await webhooks.receive(provider, { body, headers: request.headers })
      requests.inc({ provider, status: String(answer.status) })
      reply.code(answer.status).header('Cache-Control', 'no-store')
      if (answer.headers) reply.headers(answer.headers)
      return answer.body
    })
  })
}
