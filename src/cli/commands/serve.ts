import type { Command } from 'commander'
import { createMetricsRegistry, registerBounceMetrics, registerPipelineMetrics, registerSubscriberMetrics } from '../../app/metrics.js'
import { openServices } from '../../app/services.js'
import { siteTags } from '../../app/site-posts.js'
import { Webhooks } from '../../app/webhooks.js'
import { type BounceListener, startBounceListener } from '../../bounces/smtp-listener.js'
import { HeraldError } from '../../errors.js'
import { createServer } from '../../http/server.js'
import { waitForStopSignal } from '../../infra/signals.js'
import { COMMAND_HELP } from '../help.js'
import { parseTrustProxy, parseWholeNumber } from '../options.js'
import { type CommandRegistry, type CommonOptions, openSite, println, withCommonOptions } from '../runtime.js'

interface ServeOptions extends CommonOptions {
  host: string
  port: string
  trustProxy?: string
  smtpPort?: string
  smtpHost?: string
}

export function registerServe(program: Command, registry: CommandRegistry): void {
  withCommonOptions(
    program
      .command('serve')
      .description(COMMAND_HELP.serve.description)
      .option('--host <address>', 'address to listen on', '127.0.0.1')
      .option('--port <number>', 'port to listen on (0 picks a free one)', '8080')
      .option(
        '--trust-proxy <addresses>',
        'behind a reverse proxy: "true", or its addresses/CIDRs comma-separated (client IPs come from X-Forwarded-For)',
      )
      .option('--smtp-port <number>', 'also take returned mail for email.bounce_address by SMTP on this port (0 picks a free one)')
      .option('--smtp-host <address>', 'address the SMTP listener listens on (default: --host)'),
  ).action(async (options: ServeOptions) => {
    const port = parseWholeNumber('--port', options.port, 0, 65535)
    const smtpPort = options.smtpPort === undefined ? null : parseWholeNumber('--smtp-port', options.smtpPort, 0, 65535)
    const { onRedisLost: _exitWhenRedisIsLost, ...context } = await openSite(options, registry.runtime)
    const { config, logger, runtime } = context
    const bounceAddress = config.email.bounceAddress
    if (smtpPort !== null && !bounceAddress) {
      throw new HeraldError('CONFIG_MISSING', '--smtp-port takes mail for email.bounce_address: set it in herald.yml first', {
        field: 'email.bounce_address',
      })
    }
    // A web service stays up when Redis goes away: every request is answered within seconds (503 where it needs Redis).
    const services = await openServices(context, { redisCommandTimeoutMs: 1500 })
    try {
      const metrics = createMetricsRegistry()
      registerSubscriberMetrics(metrics, services.subscribers, logger)
      registerPipelineMetrics(metrics, { editions: services.editions, queues: await services.queues(), cycles: services.cycles }, logger)
      const tags = await siteTags(context)
      registerBounceMetrics(metrics, services.bounceStore, logger)
      const webhooks = new Webhooks({ secrets: config.env.webhooks, bounces: services.bounces, store: services.bounceStore, logger })
      const app = await createServer({
        config,
        subscriptions: services.subscriptions,
        redis: services.redis.redis,
        logger,
        tags: tags.all,
        formTags: tags.form,
        metrics,
        trustProxy: parseTrustProxy(options.trustProxy),
        webhooks,
      })
      const address = await app.listen({ host: options.host, port })
      const mail = services.transport().kind === 'smtp' ? 'SMTP' : config.email.outboxDir
      println(runtime, `herald: serving ${config.site.title} on ${address} (mail: ${mail})`)
      let listener: BounceListener | null = null
      if (smtpPort !== null && bounceAddress) {
        listener = await startBounceListener({
          host: options.smtpHost ?? options.host,
          port: smtpPort,
          bounceAddress,
          logger,
          onMessage: (raw, envelope) => services.bounces.receiveMail(raw, { source: 'smtp', envelopeRecipients: envelope.to }),
        })
        println(runtime, `herald: taking returned mail for ${bounceAddress} by SMTP on ${listener.host}:${listener.port}`)
      }
      const signal = await waitForStopSignal()
      logger.info(`${signal}: finishing requests in flight and shutting down`)
      // Fastify answers 503 to new requests, waits for those in flight and for confirmation emails being sent.
      await Promise.all([app.close(), listener?.close()])
    } finally {
      await services.close()
    }
  })
}
