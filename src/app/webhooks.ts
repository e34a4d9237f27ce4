import { createHash, type KeyObject } from 'node:crypto'
import type { BounceReport } from '../bounces/report.js'
import type { BounceStore } from '../bounces/store.js'
import { mailgunReports, verifyMailgun } from '../bounces/webhooks/mailgun.js'
import { postmarkAuthorized, postmarkReports } from '../bounces/webhooks/postmark.js'
import { sendgridKey, sendgridReports, verifySendgrid } from '../bounces/webhooks/sendgrid.js'
import { sesReports } from '../bounces/webhooks/ses.js'
import { confirmSnsSubscription, SnsRejected, SnsVerifier } from '../bounces/webhooks/sns.js'
import type { WebhookSecrets } from '../config.js'
import { HeraldError } from '../errors.js'
import type { Logger } from '../log.js'
import type { BounceResult, Bounces } from './bounces.js'

/** The sending services whose bounce and complaint webhooks Herald takes (`POST /webhooks/<provider>`). */
export const WEBHOOK_PROVIDERS = ['ses', 'postmark', 'mailgun', 'sendgrid'] as const
export type WebhookProvider = (typeof WEBHOOK_PROVIDERS)[number]

/** A webhook request as it arrived: the exact body bytes (signatures cover them) and the headers. */
export interface WebhookRequest {
  readonly body: Buffer
  readonly headers: Readonly<Record<string, string | string[] | undefined>>
}

/** What to answer: the status, a small JSON body, extra headers; `results` says what each event did. */
export interface WebhookAnswer {
  readonly status: number
  readonly body: Readonly<Record<string, unknown>>
  readonly headers?: Readonly<Record<string, string>>
  readonly results?: readonly BounceResult[]
}

/** What {@link Webhooks} uses. */
export interface WebhooksOptions {
  /** From the environment (`config.env.webhooks`); a provider without its secret answers 404. */
  readonly secrets: WebhookSecrets
  readonly bounces: Bounces
  readonly store: BounceStore
  readonly logger: Logger
  /** SNS verification (tests inject their certificate fetch and trust). Default: from `secrets.sesTopicArns`. */
  readonly sns?: SnsVerifier
  /** Confirms an SNS subscription by fetching its (validated) SubscribeURL. Default: HTTPS GET. */
  readonly confirmSubscription?: (url: string) => Promise<void>
  readonly now?: () => Date
}

/** How long a request's replay key is kept: longer than each provider's accepted age, so a replay is always caught. */
const REPLAY_TTL_S = { ses: 2 * 86_400, postmark: 30 * 86_400, mailgun: 86_400, sendgrid: 86_400 } as const

/**
 * The bounce and complaint webhooks of SES (through SNS), Postmark, Mailgun and SendGrid. Each request is verified with
 * its provider's scheme and the secret from the environment before anything is read from it: missing or bad
 * credentials, a bad or stale signature → 401, nothing changes. A request seen before → 409, nothing changes. Then each
 * event goes to {@link Bounces}, which checks it against the send ledger like any returned mail.
 */
export class Webhooks {
  private readonly options: WebhooksOptions
  private readonly now: () => Date
  private readonly sns: SnsVerifier | null
  private readonly sendgrid: KeyObject | null

  constructor(options: WebhooksOptions) {
    this.options = options
    this.now = options.now ?? (() => new Date())
    const { secrets } = options
    this.sns = options.sns ?? (secrets.sesTopicArns.length > 0 ? new SnsVerifier({ topicArns: secrets.sesTopicArns, now: this.now }) : null)
    try {
      this.sendgrid = secrets.sendgridVerificationKey ? sendgridKey(secrets.sendgridVerificationKey) : null
    } catch (error) {
      throw new HeraldError('CONFIG_INVALID', (error as Error).message, { field: 'HERALD_SENDGRID_VERIFICATION_KEY' })
    }
  }

  /** Whether a provider's webhook is configured (its secret is set). */
  enabled(provider: WebhookProvider): boolean {
    const { secrets } = this.options
    if (provider === 'ses') return this.sns !== null
    if (provider === 'postmark') return secrets.postmarkAuth !== null
    if (provider === 'mailgun') return secrets.mailgunSigningKey !== null
    return this.sendgrid !== null
  }

  /** Verifies and handles one request. */
  async receive(provider: WebhookProvider, request: WebhookRequest): Promise<WebhookAnswer> {
    if (!this.enabled(provider)) return { status: 404, body: { error: `the ${provider} webhook is not configured` } }
    const answer = await this.handle(provider, request)
    if (answer.status === 401 || answer.status === 409) {
      this.options.logger.warn({ provider, status: answer.status }, `webhook refused: ${String(answer.body.error)}`)
    }
    return answer
  }

  private handle(provider: WebhookProvider, request: WebhookRequest): Promise<WebhookAnswer> {
    switch (provider) {
      case 'ses':
        return this.ses(request)
      case 'postmark':
        return this.postmark(request)
      case 'mailgun':
        return this.mailgun(request)
      case 'sendgrid':
        return this.sendgridEvents(request)
    }
  }

  private async ses(request: WebhookRequest): Promise<WebhookAnswer> {
    const body = parseJson(request.body)
    if (body === undefined) return refused('not an SNS message')
    let message: Awaited<ReturnType<SnsVerifier['verify']>>
    try {
      message = await this.sns!.verify(body)
    } catch (error) {
      if (error instanceof SnsRejected) return refused(error.message)
      throw error
    }
    return this.once('ses', message.messageId, async () => {
      if (message.type === 'SubscriptionConfirmation') {
        await (this.options.confirmSubscription ?? confirmSnsSubscription)(message.subscribeUrl!)
        this.options.logger.info({ topic: message.topicArn }, 'SNS subscription confirmed: SES notifications will come here')
        return { status: 200, body: { status: 'subscribed' } }
      }
      if (message.type === 'UnsubscribeConfirmation') {
        this.options.logger.warn({ topic: message.topicArn }, 'SNS says this endpoint was unsubscribed from the topic')
        return { status: 200, body: { status: 'ok' } }
      }
      const notification = parseJson(Buffer.from(message.message))
      return this.reports(notification === undefined ? [] : sesReports(notification))
    })
  }

  private async postmark(request: WebhookRequest): Promise<WebhookAnswer> {
    if (!postmarkAuthorized(header(request, 'authorization'), this.options.secrets.postmarkAuth!)) {
      return { ...refused('missing or wrong credentials'), headers: { 'WWW-Authenticate': 'Basic realm="herald webhooks"' } }
    }
    let reports: BounceReport[]
    try {
      reports = postmarkReports(request.body.toString('utf8'))
    } catch (error) {
      if (error instanceof SyntaxError) return { status: 400, body: { error: 'not JSON' } }
      throw error
    }
    return this.once('postmark', reports[0]?.eventId ?? digest(request.body), () => this.reports(reports))
  }

  private async mailgun(request: WebhookRequest): Promise<WebhookAnswer> {
    const body = parseJson(request.body)
    const check = verifyMailgun(body, this.options.secrets.mailgunSigningKey!, this.now())
    if (!check.ok) return refused(check.reason)
    return this.once('mailgun', check.token, () => this.reports(mailgunReports(body)))
  }

  private async sendgridEvents(request: WebhookRequest): Promise<WebhookAnswer> {
    const signature = header(request, 'x-twilio-email-event-webhook-signature')
    const check = verifySendgrid(
      request.body,
      { signature, timestamp: header(request, 'x-twilio-email-event-webhook-timestamp') },
      this.sendgrid!,
      this.now(),
    )
    if (!check.ok) return refused(check.reason)
    const events = parseJson(request.body)
    if (events === undefined) return { status: 400, body: { error: 'not JSON' } }
    return this.once('sendgrid', signature!, () => this.reports(sendgridReports(events)))
  }

  /** Runs `handle` for a request the first time its replay key is seen; a repeat gets 409. A failure forgets the key. */
  private async once(provider: WebhookProvider, key: string, handle: () => Promise<WebhookAnswer>): Promise<WebhookAnswer> {
    const id = `webhook:${provider}:${digest(Buffer.from(key))}`
    if (!(await this.options.store.claim(id, REPLAY_TTL_S[provider]))) {
      return { status: 409, body: { error: 'this request was received before (a replay); nothing changed' } }
    }
    try {
      return await handle()
    } catch (error) {
      await this.options.store.forget(id)
      throw error
    }
  }

  private async reports(reports: readonly BounceReport[]): Promise<WebhookAnswer> {
    const results = await this.options.bounces.receiveReports(reports)
    const outcomes: Record<string, number> = {}
    for (const result of results) outcomes[result.outcome] = (outcomes[result.outcome] ?? 0) + 1
    return { status: 200, body: { status: 'ok', events: results.length, outcomes }, results }
  }
}

function refused(reason: string): WebhookAnswer {
  return { status: 401, body: { error: reason } }
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8')) as unknown
  } catch {
    return undefined
  }
}

function header(request: WebhookRequest, name: string): string | undefined {
  const value = request.headers[name]
  return Array.isArray(value) ? value[0] : value
}

function digest(body: Buffer): string {
  return createHash('sha256').update(body).digest('hex')
}
