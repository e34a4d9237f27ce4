import type { Logger } from '../log.js'

/** Options for {@link notifyHub}. */
export interface NotifyHubOptions {
  /** The WebSub hub (`websub.hub`). */
  readonly hubUrl: string
  /** Absolute URLs of the feeds that changed. */
  readonly feedUrls: readonly string[]
  readonly fetch: typeof globalThis.fetch
  readonly logger: Logger
  /** Per request. Default 10 000 ms. */
  readonly timeoutMs?: number
  /** Requests in flight at once. Default 4. */
  readonly concurrency?: number
}

/** Which feeds the hub accepted a publish notice for, and which it did not (with the reason). */
export interface NotifyHubResult {
  readonly notified: string[]
  readonly failed: { readonly url: string; readonly error: string }[]
}

/**
 * Tells a WebSub hub that feeds changed: one form-encoded `hub.mode=publish&hub.url=<feed>` POST per feed.
 * Failures are logged as warnings and never thrown: the feeds are already written, and the hub sees them
 * on its next poll anyway. When the hub cannot be reached at all, the remaining feeds are not tried.
 */
export async function notifyHub(options: NotifyHubOptions): Promise<NotifyHubResult> {
  const timeoutMs = options.timeoutMs ?? 10_000
  const outcomes = new Map<string, string | null>()
  let unreachable: string | null = null
  let next = 0

  const worker = async () => {
    while (next < options.feedUrls.length && unreachable === null) {
      const feedUrl = options.feedUrls[next++]!
      try {
        const response = await options.fetch(options.hubUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ 'hub.mode': 'publish', 'hub.url': feedUrl }).toString(),
          signal: AbortSignal.timeout(timeoutMs),
        })
        await response.arrayBuffer().catch(() => undefined)
        outcomes.set(feedUrl, response.ok ? null : `the hub answered ${response.status} ${response.statusText}`.trim())
      } catch (error) {
        // A hub that refuses connections or times out will do the same for every other feed in this build.
        const reason = (error as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : describe(error)
        outcomes.set(feedUrl, reason)
        unreachable ??= reason
      }
    }
  }
  const workers = Math.max(1, Math.min(options.concurrency ?? 4, options.feedUrls.length))
  await Promise.all(Array.from({ length: workers }, worker))

  const result: NotifyHubResult = { notified: [], failed: [] }
  for (const feedUrl of options.feedUrls) {
    const outcome = outcomes.get(feedUrl)
    if (outcome === null) {
      result.notified.push(feedUrl)
      continue
    }
    const error = outcome ?? `not tried: the hub could not be reached (${unreachable})`
    result.failed.push({ url: feedUrl, error })
    if (outcome !== undefined) options.logger.warn(`WebSub: could not notify ${options.hubUrl} about ${feedUrl}: ${error}`)
  }
  const skipped = options.feedUrls.length - outcomes.size
  if (skipped > 0) options.logger.warn(`WebSub: ${skipped} more feed(s) not announced to ${options.hubUrl}, which could not be reached`)
  if (result.notified.length > 0) options.logger.debug(`WebSub: notified ${options.hubUrl} about ${result.notified.length} feed(s)`)
  return result
}

/** fetch() failures say "fetch failed" and keep the useful part (ECONNREFUSED …) in `cause`. */
function describe(error: unknown): string {
  const message = (error as Error).message ?? String(error)
  const cause = (error as { cause?: { code?: string; message?: string } }).cause
  return cause ? `${message} (${cause.code ?? cause.message})` : message
}
