import type { Command } from 'commander'
import { MetricsRegistry } from '../../http/metrics.js'
import { createServer } from '../../http/server.js'
import { livePosts } from '../../publishing/live.js'
import type { CommandRegistry } from '../main.js'
import { openSite, println, UsageError, withCommonOptions, type CommonOptions, type SiteContext } from '../runtime.js'
import { loadSitePosts } from '../../app/site-posts.js'
import { openDigestServices } from '../../app/services.js'
import { registerPipelineMetrics } from '../../app/metrics.js'

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
      .option('--trust-proxy <addresses>', 'behind a reverse proxy: "true", or its addresses/CIDRs comma-separated (client IPs come from X-Forwarded-For)'),
  ).action(async (options: ServeOptions) => {
    const port = Number(options.port)
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port: expected a number from 0 to 65535 (got ${JSON.stringify(options.port)})`)
    const context = openSite(options, registry.runtime)
    await serve(context, { host: options.host, port, trustProxy: parseTrustProxy(options.trustProxy) })
  })
}

/** Wires config → Redis → store, tokens, transport → server; listens until SIGTERM/SIGINT, then closes everything in order. */
async function serve(context: SiteContext, listen: { host: string; port: number; trustProxy: boolean | string[] }): Promise<void> {
  const { config, logger, runtime } = context
  const tags = await siteTags(context)
  const services = await openDigestServices(context)
  const transport = services.transport()
  const metrics = new MetricsRegistry()
  registerPipelineMetrics(metrics, services)
  try {
    const app = await createServer({ config, store: services.subscribers, transport, tokens: services.tokens, redis: services.redis.redis, logger, tags, metrics, trustProxy: listen.trustProxy })
    const address = await app.listen({ host: listen.host, port: listen.port })
    println(runtime, `herald: serving ${config.site.title} on ${address} (mail: ${transport.kind === 'smtp' ? 'SMTP' : config.email.outboxDir})`)
    const signal = await new Promise<NodeJS.Signals>((resolve) => {
      const stop = (received: NodeJS.Signals) => {
        process.off('SIGTERM', stop)
        process.off('SIGINT', stop)
        resolve(received)
      }
      process.on('SIGTERM', stop)
      process.on('SIGINT', stop)
    })
    logger.info(`${signal}: finishing requests in flight and shutting down`)
    // Fastify answers 503 to new requests, waits for those in flight and for confirmation emails being sent.
    await app.close()
  } finally {
    await services.close()
  }
}

/** Tags of the live posts, for the subscribe page's checkboxes (read once at start: restart to refresh). */
async function siteTags(context: SiteContext): Promise<string[]> {
  try {
    const collection = await loadSitePosts(context)
    const tags = new Map<string, string>()
    for (const post of livePosts(collection.posts, new Date())) for (const tag of post.tags) if (!tags.has(tag.toLowerCase())) tags.set(tag.toLowerCase(), tag)
    return [...tags.values()].sort((a, b) => a.localeCompare(b, context.config.site.language))
  } catch (error) {
    context.logger.warn(`could not read the posts for the subscribe page's tags: ${(error as Error).message}`)
    return []
  }
}

function parseTrustProxy(value: string | undefined): boolean | string[] {
  if (value === undefined || value === 'false') return false
  if (value === 'true') return true
  return value.split(',').map((part) => part.trim()).filter(Boolean)
}
