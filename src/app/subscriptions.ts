import type { Config } from '../config.js'
import { composeConfirmation } from '../digest/confirmation.js'
import { composeWelcome } from '../digest/welcome.js'
import type { PostSnapshot } from '../editions/snapshot.js'
import type { Logger } from '../log.js'
import { loadTemplate } from '../mail/render.js'
import type { MailTransport, SendResult } from '../mail/transport.js'
import { confirmUrl, preferencesUrl, unsubscribeUrl } from '../subscribers/links.js'
import type { Cadence, ConsentSource, SubscribeOutcome, Subscriber, SubscriberStore, TransitionResult } from '../subscribers/store.js'
import type { TokenSigner } from '../subscribers/tokens.js'

/** What {@link Subscriptions} uses; nothing is opened here. */
export interface SubscriptionsOptions {
  readonly config: Config
  readonly store: SubscriberStore
  readonly tokens: TokenSigner
  readonly transport: MailTransport
  readonly logger: Logger
  /** Seconds before another confirmation email may go to the same pending address. Default 600. */
  readonly confirmResendSeconds?: number
  /** Herald's own templates folder (tests). Default the repository's `templates/`. */
  readonly builtinTemplatesDir?: string
  /** The newest live posts, for the welcome email (`email.welcome`). Default none (the email lists no posts). */
  readonly latestPosts?: () => Promise<readonly PostSnapshot[]> | readonly PostSnapshot[]
}

/** What {@link Subscriptions.subscribe} did, and whether a confirmation email is due now. */
export interface SubscribeResult {
  readonly subscriber: Subscriber
  readonly outcome: SubscribeOutcome
  /**
   * `due`: send one now (see `sendConfirmation`); `cooling-down`: one went out less than the resend interval ago;
   * `none`: the subscriber is active (nothing is ever mailed to an active address from here).
   */
  readonly confirmation: 'due' | 'cooling-down' | 'none'
}

/**
 * Subscribing, confirming and unsubscribing: one flow for the web form (`herald serve`) and the command line
 * (`herald subscribers add`), so both apply the same resend cool-down and send the same (DKIM-signed) email.
 */
export class Subscriptions {
  constructor(private readonly options: SubscriptionsOptions) {
    for (const name of ['config', 'store', 'tokens', 'transport', 'logger'] as const) {
      if (!options?.[name]) throw new TypeError(`Subscriptions needs options.${name}`)
    }
  }

  get store(): SubscriberStore {
    return this.options.store
  }

  get tokens(): TokenSigner {
    return this.options.tokens
  }

  /**
   * Adds (or refreshes) a subscriber: pending with double opt-in, or active when `confirmed` (the operator vouches).
   * An active subscriber is left exactly as it is and gets no email; a pending one at most one email per interval.
   */
  async subscribe(input: {
    email: string
    tags?: readonly string[]
    /** Default `email.default_cadence` (for a new subscriber). */
    cadence?: Cadence
    confirmed?: boolean
    consent: { source: ConsentSource; ip?: string | null; userAgent?: string | null }
  }): Promise<SubscribeResult> {
    const { subscriber, outcome } = await this.options.store.subscribe(input)
    if (subscriber.status !== 'pending') return { subscriber, outcome, confirmation: 'none' }
    // A new (or returning) address always gets its email; a repeated request for a pending one waits out the cool-down.
    const seconds = this.options.confirmResendSeconds ?? 600
    const due = await this.options.store.claimConfirmationSlot(subscriber.id, seconds, outcome !== 'pending')
    return { subscriber, outcome, confirmation: due ? 'due' : 'cooling-down' }
  }

  /** Renders and sends the confirmation email of a pending subscriber. */
  async sendConfirmation(subscriber: Subscriber): Promise<SendResult> {
    const { config } = this.options
    const template = await this.template('confirm')
    const message = await composeConfirmation({ config, template, to: subscriber.email, confirmUrl: this.confirmUrl(subscriber.id) })
    return this.options.transport.send(message)
  }

  /** The link a confirmation email carries. */
  confirmUrl(subscriberId: string): string {
    return confirmUrl(this.options.config.http.publicUrl, this.options.tokens, subscriberId)
  }

  /**
   * pending → active. `welcome` is true when this call activated the subscriber and `email.welcome` is on: send the
   * welcome email then (`sendWelcome`), once; confirming again changes nothing and welcomes nobody twice.
   */
  async confirm(subscriberId: string): Promise<TransitionResult & { readonly welcome: boolean }> {
    const result = await this.options.store.confirm(subscriberId)
    return { ...result, welcome: result.outcome === 'changed' && this.options.config.email.welcome }
  }

  /**
   * Renders and sends the welcome email (`welcome.mjml`: the latest posts, the preferences and unsubscribe links) to an
   * active subscriber; null when there is no such active subscriber any more.
   */
  async sendWelcome(subscriberId: string): Promise<SendResult | null> {
    const { config, tokens, store } = this.options
    const subscriber = await store.get(subscriberId)
    if (subscriber?.status !== 'active') return null
    const message = await composeWelcome({
      config,
      template: await this.template('welcome'),
      to: subscriber.email,
      posts: [...((await this.options.latestPosts?.()) ?? [])],
      unsubscribeUrl: unsubscribeUrl(config.http.publicUrl, tokens, subscriber.id),
      preferencesUrl: preferencesUrl(config.http.publicUrl, tokens, subscriber.id),
    })
    return this.options.transport.send(message)
  }

  private template(name: string) {
    return loadTemplate(name, {
      siteDir: this.options.config.siteDir,
      ...(this.options.builtinTemplatesDir ? { builtinDir: this.options.builtinTemplatesDir } : {}),
    })
  }

  /** → unsubscribed (repeats are fine). */
  unsubscribe(subscriberId: string): Promise<TransitionResult> {
    return this.options.store.unsubscribe(subscriberId)
  }
}
