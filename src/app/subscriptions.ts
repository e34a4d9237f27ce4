import type { Config } from '../config.js'
import { composeConfirmation } from '../digest/confirmation.js'
import type { Logger } from '../log.js'
import { loadTemplate } from '../mail/render.js'
import type { MailTransport, SendResult } from '../mail/transport.js'
import { confirmUrl } from '../subscribers/links.js'
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
    /** Default: `email.default_cadence`. */
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
    const template = await loadTemplate('confirm', {
      siteDir: config.siteDir,
      ...(this.options.builtinTemplatesDir ? { builtinDir: this.options.builtinTemplatesDir } : {}),
    })
    const message = await composeConfirmation({ config, template, to: subscriber.email, confirmUrl: this.confirmUrl(subscriber.id) })
    return this.options.transport.send(message)
  }

  /** The link a confirmation email carries. */
  confirmUrl(subscriberId: string): string {
    return confirmUrl(this.options.config.http.publicUrl, this.options.tokens, subscriberId)
  }

  /** pending → active. */
  confirm(subscriberId: string): Promise<TransitionResult> {
    return this.options.store.confirm(subscriberId)
  }

  /** → unsubscribed (repeats are fine). */
  unsubscribe(subscriberId: string): Promise<TransitionResult> {
    return this.options.store.unsubscribe(subscriberId)
  }
}
