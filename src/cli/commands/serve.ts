import type { Command } from 'commander'
import { createMetricsRegistry, registerPipelineMetrics, registerSubscriberMetrics } from '../../app/metrics.js'
import { openServices } from '../../app/services.js'
import { siteTags } from '../../app/site-posts.js'
import { createServer } from '../../http/server.js'
import { waitForStopSignal } from '../../infra/signals.js'
import { parseTrustProxy, parseWholeNumber } from '../options.js'
import { type CommandRegistry, type CommonOptions, openSite, println, withCommonOptions } from '../runtime.js'

interface ServeOptions extends CommonOptions {
  host: string
  port: string
  trustProxy?: string
}

export function registerServe(program: Command, registry: CommandRegistry): void {
  withCommonOptions(
    program
      .command('serve')
      .description('Run the web service: subscribe, confirm and unsubscribe pages, the feeds, /healthz and /metrics.')
      .option('--host <address>', 'address to listen on', '127.0.0.1')
      .option('--port <number>', 'port to listen on (0 picks a free one)', '8080')
      .option(
        '--trust-proxy <addresses>',
        'behind a reverse proxy: "true", or its addresses/CIDRs comma-separated (client IPs come from X-Forwarded-For)',
      ),
  ).action(async (options: ServeOptions) => {
    const port = parseWholeNumber('--port', options.port, 0, 65535)
    const { onRedisLost: _exitWhenRedisIsLost, ...context } = await openSite(options, registry.runtime)
    const { config, logger, runtime } = context
    // A web service stays up when Redis goes away: every request is answered within seconds (503 where it needs Redis).
    const services = await openServices(context, { redisCommandTimeoutMs: 1500 })
    try {
      const metrics = createMetricsRegistry()
      registerSubscriberMetrics(metrics, services.subscribers, logger)
      registerPipelineMetrics(metrics, { editions: services.editions, queues: await services.queues(), cycles: services.cycles }, logger)
      const tags = await siteTags(context)
      const app = await createServer({
        config,
        subscriptions: services.subscriptions,
        redis: services.redis.redis,
        logger,
        tags: tags.all,
        formTags: tags.form,
        metrics,
        trustProxy: parseTrustProxy(options.trustProxy),
      })
      const address = await app.listen({ host: options.host, port })
      const mail = services.transport().kind === 'smtp' ? 'SMTP' : config.email.outboxDir
      println(runtime, `herald: serving ${config.site.title} on ${address} (mail: ${mail})`)
      const signal = await waitForStopSignal()
      logger.info(`${signal}: finishing requests in flight and shutting down`)
      // Fastify answers 503 to new requests, waits for those in flight and for confirmation emails being sent.
      await app.close()
    } finally {
      await services.close()
    }
  })
}
